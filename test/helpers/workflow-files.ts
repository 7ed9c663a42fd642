/**
 * The YAML files GitHub reads from this repository, as the lint tests see them: the workflows, the
 * example workflows, and every action.yml; their steps, and each `run:` script with the line it
 * starts on (js-yaml gives the text, a scan of the lines gives where it is; the two must agree).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';

export const ROOT = path.resolve(__dirname, '..', '..');

const yamlIn = (dir: string): string[] =>
  fs.existsSync(path.join(ROOT, dir))
    ? fs
        .readdirSync(path.join(ROOT, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => `${dir}/${f}`)
    : [];

/** Workflows: what GitHub runs here, and the examples users copy. */
export const WORKFLOWS = [...yamlIn('.github/workflows'), ...yamlIn('examples/workflows')];

/** The actions under actions/ (each a folder with an action.yml). */
export const ACTION_NAMES = fs
  .readdirSync(path.join(ROOT, 'actions'))
  .filter((a) => fs.existsSync(path.join(ROOT, 'actions', a, 'action.yml')))
  .sort();

/** The Markdown files whose ```yaml blocks users copy: README.md, each action's README, and docs/*.md. */
export const MARKDOWN_DOCS = [
  'README.md',
  ...ACTION_NAMES.map((a) => `actions/${a}/README.md`),
  ...(fs.existsSync(path.join(ROOT, 'docs')) ? fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`) : []),
].filter((f) => fs.existsSync(path.join(ROOT, f)));

/** The ```yaml blocks of a Markdown file: where each is (file and block number) and its text, unindented. */
export function yamlBlocks(file: string): { where: string; text: string }[] {
  return [...read(file).matchAll(/^( *)```yaml\n([\s\S]*?)\n\1```/gm)].map((m, i) => ({
    where: `${file}, yaml block ${i + 1}`,
    text: m[2]!.split('\n').map((l) => l.slice(m[1]!.length)).join('\n'),
  }));
}

/** Every action.yml: the root one (which only says to use a sub-action) and each under actions/. */
export const ACTION_FILES = ['action.yml', ...ACTION_NAMES.map((a) => `actions/${a}/action.yml`)];

export type Doc = Record<string, unknown>;

export const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');
export const parse = (file: string): Doc => load(read(file), { filename: file }) as Doc;

export const isRecord = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Step {
  /** Where the step is: "jobs.test.steps[2]" or "runs.steps[0]". */
  readonly where: string;
  readonly step: Doc;
  /** The shell its `run:` uses: the step's, else the job's or the workflow's default, else bash. */
  readonly shell: string;
}

const defaultShell = (v: unknown): string | undefined => {
  if (!isRecord(v) || !isRecord(v.run)) return undefined;
  return typeof v.run.shell === 'string' ? v.run.shell : undefined;
};

/** The steps of a workflow (every job) or of a composite action.yml, in file order. */
export function steps(doc: Doc): Step[] {
  const out: Step[] = [];
  const add = (list: unknown, where: string, shell: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((step: unknown, i) => {
      if (!isRecord(step)) return;
      out.push({ where: `${where}[${i}]`, step, shell: typeof step.shell === 'string' ? step.shell : shell });
    });
  };
  if (isRecord(doc.jobs)) {
    const workflowShell = defaultShell(doc.defaults) ?? 'bash';
    for (const [id, job] of Object.entries(doc.jobs)) {
      if (isRecord(job)) add(job.steps, `jobs.${id}.steps`, defaultShell(job.defaults) ?? workflowShell);
    }
  }
  if (isRecord(doc.runs)) add(doc.runs.steps, 'runs.steps', 'bash');
  return out;
}

export interface RunBlock {
  readonly file: string;
  /** 1-based line of the script's first line in the file. */
  readonly line: number;
  readonly script: string;
  readonly shell: string;
  readonly where: string;
}

/**
 * Each `run:` of a file with the line its script starts on. The scan finds `run:` keys of steps
 * (`- run:` or `run:` inside a step); a block scalar (`|`, `>`) starts on the next line. The
 * scripts themselves come from the parsed document, so the scan only has to get the count and the
 * order right, which the caller checks.
 */
export function runBlocks(file: string): { blocks: RunBlock[]; scannedLines: number[] } {
  const doc = parse(file);
  const scannedLines: number[] = [];
  read(file)
    .split('\n')
    .forEach((line, i) => {
      const m = /^\s*(?:-\s+)?run:\s*(.*)$/.exec(line);
      if (!m) return;
      // A `run:` that is a mapping (`defaults: run: shell:`) is not a script.
      const rest = m[1]!.replace(/\s+#.*$/, '');
      if (rest === '') return;
      scannedLines.push(/^[|>][-+0-9]*$/.test(rest) ? i + 2 : i + 1);
    });
  const withRun = steps(doc).filter((s) => typeof s.step.run === 'string');
  const blocks = withRun.map((s, i) => ({ file, line: scannedLines[i] ?? 0, script: s.step.run as string, shell: s.shell, where: s.where }));
  return { blocks, scannedLines };
}
