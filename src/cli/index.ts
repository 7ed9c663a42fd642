#!/usr/bin/env node
/**
 * `ci-stores COMMAND [--INPUT VALUE ...]`: the actions outside GitHub Actions. Flags are exactly the
 * inputs the action's action.yml declares, with its defaults; anything else is a usage error before
 * anything runs. Outputs go to stdout as `name=value` lines, the log to stderr, the job summary only
 * to the file named by `--summary-file`.
 */
import { cliHost } from '../runtime/cli-host';
import { runAction, type ActionContext } from '../runtime/run-action';
import { downloadImageAction } from '../actions/download-image/main';
import { uploadImage } from '../actions/upload-image/main';
import { uploadLogs } from '../actions/upload-logs/main';
import { mirrorBucket } from '../steps/mirror-bucket/main';
import { auditAcl } from '../steps/audit-acl/main';
import { reconcile } from '../actions/reconcile/main';
import { pruneAction } from '../actions/prune/main';
import { loadActionSpec, packageVersion, withDefaults, type ActionSpec } from './action-metadata';
import { parseArgs, UsageError } from './args';
import { commandHelp, usage } from './help';

export const COMMANDS: Record<string, { run: (ctx: ActionContext) => Promise<void>; about: string }> = {
  'upload-image': { run: uploadImage, about: 'upload files to every store at once, per-file visibility, verified' },
  'upload-logs': { run: uploadLogs, about: 'publish a directory of logs under a templated prefix, browsable, linked back' },
  'mirror-bucket': { run: mirrorBucket, about: 'make one store hold what another holds: copy, sync or check' },
  'audit-acl': { run: auditAcl, about: 'check bucket settings and every object\'s effective visibility; optionally fix' },
  reconcile: { run: reconcile, about: 'the nightly reconciliation: mirror-bucket, then audit-acl on both stores' },
  'download-image': { run: downloadImageAction, about: 'fetch an image from the first store that has it, resumed, sha256-verified' },
  prune: { run: pruneAction, about: 'image retention in every store at once: keep the newest N per group or a keep list, delete the rest' },
};

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

const USAGE = usage(Object.entries(COMMANDS).map(([name, c]) => ({ name, about: c.about })));

/** Runs the CLI on argv; resolves to the exit status (0 done, 1 the run failed, 2 a usage error). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const specs = new Map<string, ActionSpec>();
  const spec = (command: string): ActionSpec | undefined => {
    if (!Object.hasOwn(COMMANDS, command)) return undefined;
    if (!specs.has(command)) specs.set(command, loadActionSpec(command));
    return specs.get(command);
  };
  let args;
  try {
    args = parseArgs(argv, (command) => spec(command)?.inputs.map((i) => i.name), Object.keys(COMMANDS));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const known = argv.find((a) => Object.hasOwn(COMMANDS, a));
    io.stderr(`ci-stores: ${e.message}\n${known ? `see ci-stores ${known} --help for its inputs` : 'see ci-stores --help for the commands'}\n`);
    return 2;
  }
  if (args.version) {
    io.stdout(`ci-stores ${packageVersion()}\n`);
    return 0;
  }
  if (args.command === undefined) {
    (args.help ? io.stdout : io.stderr)(USAGE);
    return args.help ? 0 : 2;
  }
  const action = spec(args.command)!;
  if (args.help) {
    io.stdout(commandHelp(action));
    return 0;
  }
  const inputs = withDefaults(action, args.inputs);
  const host = cliHost({ inputs, verbose: args.verbose, summaryFile: args.summaryFile, env: io.env, cwd: io.cwd, stdout: io.stdout, stderr: io.stderr });
  await runAction(args.command, COMMANDS[args.command]!.run, host);
  return host.failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then(
    (status) => {
      process.exitCode = status;
    },
    (e: unknown) => {
      process.stderr.write(`ci-stores: internal error (please report it): ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
