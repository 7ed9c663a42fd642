/**
 * Runs a composite action.yml the way a runner does, for the subset the project's composites use:
 * `shell: bash` steps whose `env` values are `${{ inputs.NAME }}` (or literal), an `if:` of the form
 * `${{ !cancelled() && inputs.NAME == 'VALUE' }}`, step outputs through GITHUB_OUTPUT, and the
 * composite's outputs as `${{ steps.ID.outputs.NAME }}`. Anything else in the file is an error.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseOutputFile } from './bundle';
import { REPO } from './rgw';

export interface CompositeRun {
  readonly steps: { id: string; ran: boolean; code: number | null; stdout: string; outputs: Record<string, string> }[];
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

interface Step {
  id: string;
  when?: { input: string; value: string };
  env: [string, string][];
  run: string;
}

function parse(yml: string): { defaults: Record<string, string>; steps: Step[]; outputs: [string, string, string][] } {
  const defaults: Record<string, string> = {};
  const inputs = yml.slice(yml.indexOf('\ninputs:\n'), yml.indexOf('\noutputs:\n'));
  for (const m of inputs.matchAll(/\n {2}([a-z0-9-]+):\n(?: {4}.*\n| {6}.*\n)*? {4}default: (?:'((?:[^']|'')*)'|\|\n((?: {6}.*\n)+))/g)) {
    defaults[m[1]!] = m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3]!.replace(/^ {6}/gm, '');
  }
  const outputs = [...yml.matchAll(/\n {2}([a-z0-9-]+):\n {4}description: .*\n {4}value: \$\{\{ steps\.([a-z0-9-]+)\.outputs\.([a-z0-9-]+) \}\}/g)].map((m) => [m[1]!, m[2]!, m[3]!] as [string, string, string]);
  const steps = yml
    .slice(yml.indexOf('\n  steps:\n'))
    .split(/\n {4}- /)
    .slice(1)
    .map((text): Step => {
      const id = /\n {6}id: ([a-z0-9-]+)/.exec(text)?.[1];
      if (!id || !/\n {6}shell: bash\n/.test(text)) throw new Error(`composite step without id or not bash:\n${text}`);
      const cond = /\n {6}if: \$\{\{ !cancelled\(\) && inputs\.([a-z0-9-]+) == '([^']*)' \}\}/.exec(text);
      if (/\n {6}if:/.test(text) && !cond) throw new Error(`composite step ${id}: an if: this runner does not understand`);
      const env = [...text.matchAll(/\n {8}([A-Z0-9_-]+): (.*)/g)].map((m) => [m[1]!, m[2]!] as [string, string]);
      const block = /\n {6}run: \|\n((?: {8}.*\n?)+)/.exec(text);
      const line = /\n {6}run: (.+)/.exec(text);
      const run = block ? block[1]!.replace(/^ {8}/gm, '') : line![1]!;
      return { id, when: cond ? { input: cond[1]!, value: cond[2]! } : undefined, env, run };
    });
  return { defaults, steps, outputs };
}

/** Runs `actions/<name>/action.yml` with `inputs` (defaults from the file for the rest). */
export async function runComposite(name: string, given: Record<string, string>, o: { env?: NodeJS.ProcessEnv; cwd: string }): Promise<CompositeRun> {
  const file = path.join(REPO, 'actions', name, 'action.yml');
  const { defaults, steps, outputs } = parse(fs.readFileSync(file, 'utf8'));
  const inputs = { ...defaults, ...given };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'composite-'));
  const summary = path.join(dir, 'summary');
  fs.writeFileSync(summary, '');
  const results: CompositeRun['steps'] = [];
  for (const step of steps) {
    if (step.when && inputs[step.when.input] !== step.when.value) {
      results.push({ id: step.id, ran: false, code: null, stdout: '', outputs: {} });
      continue;
    }
    const output = path.join(dir, `${step.id}.out`);
    fs.writeFileSync(output, '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...o.env,
      GITHUB_ACTION_PATH: path.dirname(file),
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_WORKSPACE: o.cwd,
      RUNNER_TEMP: dir,
    };
    for (const [k, v] of step.env) {
      const m = /^\$\{\{ inputs\.([a-z0-9-]+) \}\}$/.exec(v);
      if (!m && v.includes('${{')) throw new Error(`composite step ${step.id}: env ${k} uses an expression this runner does not understand`);
      env[k] = m ? (inputs[m[1]!] ?? '') : v;
    }
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('bash', ['-e', '-c', step.run], { env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stdout += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    results.push({ id: step.id, ran: true, code: r.code, stdout: r.stdout, outputs: parseOutputFile(fs.readFileSync(output, 'utf8')) });
  }
  const out: Record<string, string> = {};
  for (const [name, id, key] of outputs) out[name] = results.find((s) => s.id === id)?.outputs[key] ?? '';
  return { steps: results, outputs: out, summary: fs.readFileSync(summary, 'utf8') };
}
