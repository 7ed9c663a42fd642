/**
 * Runs an action's ncc bundle the way a GitHub runner does: under Node 24 (the runtime that
 * action.yml declares), inputs as INPUT_* variables, outputs and summary through the files named by
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './rgw';

/** Watches every bundle run for a crash: see crash-monitor.js (which writes this marker). */
const CRASH_MONITOR = path.join(__dirname, 'crash-monitor.js');
const CRASH_MARKER = '[crash-monitor]';

/**
 * Where the bundles are: `dist/`, or the folder CI_STORES_TEST_DIST names (bundles built from the
 * working tree into a scratch folder, to try a source change through them without touching `dist/`).
 */
export const DIST = process.env.CI_STORES_TEST_DIST ? path.resolve(process.env.CI_STORES_TEST_DIST) : path.join(REPO, 'dist');

/** The Node 24 binary from the `node` package in devDependencies. */
export const NODE24 = path.join(REPO, 'node_modules', 'node', 'bin', 'node');

export interface BundleRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

/** Parses a GITHUB_OUTPUT file (`name<<DELIM` heredocs, or `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Called with the child once started, e.g. to kill it. */
  readonly onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

/** Runs `dist/<action>/index.js` with the given inputs (names as in action.yml). */
export async function runBundle(action: string, inputs: Record<string, string>, o: RunOptions = {}): Promise<BundleRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gha-'));
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary');
  fs.writeFileSync(outputFile, '');
  fs.writeFileSync(summaryFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: o.cwd ?? dir,
    RUNNER_TEMP: dir,
    ...o.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const child = spawn(NODE24, ['--require', CRASH_MONITOR, path.join(DIST, action, 'index.js')], { env, cwd: o.cwd ?? dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = collect(child);
  o.onSpawn?.(child);
  const { code, signal, stdout, stderr } = await done;
  // A crash (an uncaught exception or unhandled rejection) fails every test, whatever it checks.
  const crash = stderr.indexOf(CRASH_MARKER);
  if (crash >= 0) throw new Error(`dist/${action} crashed instead of failing with its error message:\n${stderr.slice(crash, crash + 3000)}`);
  return {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseOutputFile(fs.readFileSync(outputFile, 'utf8')),
    summary: fs.readFileSync(summaryFile, 'utf8'),
  };
}

/** What a finished child wrote to its piped stdout and stderr, and how it ended. */
interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects a child's stdout and stderr until it closes; rejects if it cannot be started. */
function collect(child: ChildProcess): Promise<Finished> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The CLI bundle, `dist/cli/index.js`. */
export const CLI = path.join(DIST, 'cli', 'index.js');

/** Runs the CLI bundle under Node 24 with `args`, in `cwd`, with exactly the environment `env`. */
export function runCli(args: readonly string[], o: { env: NodeJS.ProcessEnv; cwd: string }): Promise<Finished> {
  return collect(spawn(NODE24, [CLI, ...args], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** The `::error::` lines of a run, decoded. */
export function errors(run: BundleRun): string[] {
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .map((l) => l.slice(l.indexOf('::', 2) + 2).replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));
}
