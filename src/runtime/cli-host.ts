/**
 * The command-line host: inputs from flags (`--stores` is the input `stores`), logs to stderr with
 * every secret masked, outputs to stdout as `name=value` lines, the summary (markdown, for a file
 * or a page, not a terminal) only to the file the user names. A failure is said once, in the log.
 */
import * as fs from 'node:fs';
import type { Host } from './host';

export interface CliHostOptions {
  readonly inputs: ReadonlyMap<string, string>;
  readonly verbose: boolean;
  /** Write the summary to this file instead of stderr. */
  readonly summaryFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Where stdout and stderr text goes; the process's own streams by default. */
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

export function cliHost(o: CliHostOptions): Host & { outputs: Map<string, string>; failed: boolean } {
  const secrets: string[] = [];
  const mask = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const stdout = o.stdout ?? ((t: string) => void process.stdout.write(t));
  const stderr = o.stderr ?? ((t: string) => void process.stderr.write(t));
  const err = (line: string) => stderr(`${mask(line)}\n`);
  const outputs = new Map<string, string>();
  const host = {
    outputs,
    failed: false,
    input: (name: string) => o.inputs.get(name) ?? '',
    setOutput: (name: string, value: string) => {
      outputs.set(name, value);
      stdout(`${name}=${mask(value)}\n`);
    },
    setSecret: (value: string) => {
      if (value.length >= 4 && !secrets.includes(value)) secrets.push(value);
    },
    debugEnabled: o.verbose,
    debug: (m: string) => {
      if (o.verbose) err(`debug: ${m}`);
    },
    info: (m: string) => err(m),
    notice: (m: string) => err(`notice: ${m}`),
    warning: (m: string) => err(`warning: ${m}`),
    error: (m: string) => err(`error: ${m}`),
    group: async <T>(name: string, fn: () => Promise<T>) => {
      err(`== ${name}`);
      return fn();
    },
    writeSummary: async (md: string) => {
      if (o.summaryFile) fs.appendFileSync(o.summaryFile, mask(md));
    },
    fail: (m: string) => {
      host.failed = true;
      err(`error: ${m}`);
    },
    env: o.env ?? process.env,
    cwd: o.cwd ?? process.cwd(),
  };
  return host;
}
