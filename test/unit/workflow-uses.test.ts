/**
 * The `uses:` lines of the workflows and example workflows. A step that runs one of this
 * repository's actions (`ci-stores/ci-stores/actions/NAME@REF` or `./actions/NAME`) names an
 * action that exists, passes only inputs its action.yml declares (the runner merely warns about
 * others, and the action never sees them) and every input it declares required (the runner does
 * not enforce that). Every other action is pinned by the full SHA of a commit, with the version it
 * is in a comment. action.yml is read when the test runs, so new inputs need no change here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTION_NAMES, ROOT, WORKFLOWS, isRecord, parse, read, steps, type Doc } from '../helpers/workflow-files';

const OWN = /^(?:ci-stores\/ci-stores\/actions\/([^@/]+)@(\S+)|\.\/actions\/([^@/]+))$/;
const ROOT_ACTION = /^(?:ci-stores\/ci-stores|\.\/?)(?:@\S+)?$/;

interface Use {
  readonly file: string;
  readonly where: string;
  readonly uses: string;
  readonly with: Doc;
}

const USES: Use[] = WORKFLOWS.flatMap((file) =>
  steps(parse(file))
    .filter((s) => typeof s.step.uses === 'string')
    .map((s) => ({ file, where: s.where, uses: s.step.uses as string, with: isRecord(s.step.with) ? s.step.with : {} })),
);

const OWN_USES = USES.flatMap((u) => {
  const m = OWN.exec(u.uses);
  return m ? [{ ...u, action: (m[1] ?? m[3])! }] : [];
});

/** The inputs an action.yml declares, with whether each is required. */
function declaredInputs(action: string): Map<string, boolean> {
  const doc = parse(`actions/${action}/action.yml`);
  return new Map(Object.entries(isRecord(doc.inputs) ? doc.inputs : {}).map(([name, v]) => [name, isRecord(v) && v.required === true]));
}

// A required input an action's code lets a step leave out, and when. Each is checked against the
// code below, so the exception cannot outlive the behaviour that allows it.
const OPTIONAL_WHEN: Record<string, { input: string; when: Record<string, unknown>; code: [string, RegExp] }> = {
  'upload-logs stores': {
    input: 'stores',
    when: { 'authorize-only': true },
    code: ['src/actions/upload-logs/inputs.ts', /readStoreInputs\(host, authorizeOnly\)/],
  },
};

test('the examples use several of the actions', () => {
  expect(new Set(OWN_USES.map((u) => u.action)).size).toBeGreaterThanOrEqual(3);
});

test('no step uses the root action (it only fails, pointing at the actions under actions/)', () => {
  expect(USES.filter((u) => ROOT_ACTION.test(u.uses)).map((u) => `${u.file} ${u.where}: ${u.uses}`)).toEqual([]);
});

test('each exception to a required input is still what the code does', () => {
  for (const [name, e] of Object.entries(OPTIONAL_WHEN)) {
    expect([name, e.code[1].test(fs.readFileSync(path.join(ROOT, e.code[0]), 'utf8'))]).toEqual([name, true]);
  }
});

describe.each(OWN_USES.map((u) => [`${u.file} ${u.where} ${u.action}`, u] as const))('%s', (_name, use) => {
  test('names an action of actions/', () => {
    expect([use.uses, ACTION_NAMES.includes(use.action)]).toEqual([use.uses, true]);
  });

  test('passes only inputs the action declares', () => {
    const declared = declaredInputs(use.action);
    expect(Object.keys(use.with).filter((k) => !declared.has(k))).toEqual([]);
  });

  test('passes every input the action requires', () => {
    const missing = [...declaredInputs(use.action)]
      .filter(([name, required]) => required && !(name in use.with))
      .filter(([name]) => {
        const e = OPTIONAL_WHEN[`${use.action} ${name}`];
        return !(e && Object.entries(e.when).every(([k, v]) => use.with[k] === v));
      })
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });
});

test('every action but a local one is pinned by a full commit SHA, its version in a comment', () => {
  const unpinned: string[] = [];
  for (const file of WORKFLOWS) {
    read(file)
      .split('\n')
      .forEach((line, i) => {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m || m[1]!.startsWith('./') || m[1]!.startsWith('docker://')) return;
        if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1]!) || !/^\s+#\s*v\d+/.test(m[2]!)) unpinned.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(unpinned).toEqual([]);
});
