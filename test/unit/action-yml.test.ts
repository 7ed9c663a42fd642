/**
 * Holds every action.yml against the code that reads it: each input the code reads is declared
 * (and each declared input is read), each output the code sets is declared (and vice versa), the
 * runtime is node24 and `main` points at the action's bundle. Shared inputs mean the same thing
 * everywhere: same description and default in every action.yml that has them. reconcile runs the
 * mirror-bucket and audit-acl steps through hosts that rename some of their inputs and outputs: its
 * inputs are recorded as its code reads them, its outputs mapped from the steps'.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AUDIT_NAMES, MIRROR_NAMES, readReconcileInputs } from '../../src/actions/reconcile/inputs';
import type { Host } from '../../src/runtime/host';
import type { PartNames } from '../../src/runtime/part-host';

const root = path.resolve(__dirname, '..', '..');
const all = fs.readdirSync(path.join(root, 'actions')).filter((a) => fs.existsSync(path.join(root, 'actions', a, 'action.yml')));
/** Actions made of the steps of others: each step's outputs under the names the action gives them. */
const PARTS: Record<string, [string, PartNames][]> = { reconcile: [['mirror-bucket', MIRROR_NAMES], ['audit-acl', AUDIT_NAMES]] };

/** The names under a top-level section (`inputs:` or `outputs:`) of an action.yml. */
function section(yml: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = yml.split('\n');
  const start = lines.indexOf(`${name}:`);
  if (start < 0) return out;
  let current: string | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const m = /^ {2}([a-z0-9-]+):\s*$/.exec(line);
    if (m) {
      current = m[1]!;
      out.set(current, '');
    } else if (current) out.set(current, `${out.get(current)}${line.trim()}\n`);
  }
  return out;
}

/** The action's own sources (its entry, and its step when another action runs it too), plus the shared input readers it calls. */
function sources(action: string): string {
  const dirs = [path.join(root, 'src', 'actions', action), path.join(root, 'src', 'steps', action)].filter((d) => fs.existsSync(d));
  const own = dirs.flatMap((dir) => fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))).join('\n');
  const shared = fs.readFileSync(path.join(root, 'src', 'runtime', 'store-inputs.ts'), 'utf8');
  const body = (fn: string) => {
    const start = shared.indexOf(`function ${fn}(`);
    if (start < 0) throw new Error(`store-inputs.ts has no function ${fn}`);
    return shared.slice(start, shared.indexOf('\n}\n', start));
  };
  const parts = [own];
  // readStoreInputs reads `stores` and the store defaults; readStoreInput(host, 'NAME') reads NAME and the defaults.
  if (own.includes('readStoreInputs(')) parts.push(body('readStoreInputs'));
  for (const m of own.matchAll(/readStoreInput\(\s*host,\s*'([a-z0-9-]+)'/g)) parts.push(`requiredInput(host, '${m[1]}')`);
  for (const m of own.matchAll(/readStoreListInput\(\s*host,\s*'([a-z0-9-]+)'/g)) parts.push(`parseInput(host, '${m[1]}')`);
  if (/readStore(?:Inputs?|ListInput)\(/.test(own)) parts.push(body('readStoreDefaults'));
  return parts.join('\n');
}

/** The inputs an action's code reads: found in its sources, or, for one made of steps, recorded as it reads them. */
function inputsRead(action: string): string[] {
  if (action === 'reconcile') {
    // Every input empty (so each takes its default in the code) but the two stores.
    const read = new Set<string>();
    const given: Record<string, string> = { source: 's3://old-bucket/images', destination: 's3://new-bucket/images' };
    const host = { env: {}, cwd: root, input: (name: string) => (read.add(name), given[name] ?? '') } as unknown as Host;
    readReconcileInputs(host);
    return [...read];
  }
  return [...new Set([...sources(action).matchAll(/(?:parseInput|requiredInput)\(\s*host,\s*'([a-z0-9-]+)'/g)].map((m) => m[1]!))];
}

/** The outputs an action's code sets: its own, and those of its steps under the names it gives them. */
function outputsSet(action: string): string[] {
  const set = (code: string) => [...code.matchAll(/setOutput\(\s*'([a-z0-9-]+)'/g)].map((m) => m[1]!);
  const parts = (PARTS[action] ?? []).flatMap(([step, names]) => set(sources(step)).map((n) => names.output(n)).filter((n): n is string => n !== undefined));
  return [...new Set([...set(sources(action)), ...parts])];
}

describe.each(all)('actions/%s/action.yml', (action) => {
  const yml = fs.readFileSync(path.join(root, 'actions', action, 'action.yml'), 'utf8');

  test('runs the bundle on node24', () => {
    expect(yml).toMatch(/\n {2}using: 'node24'\n/);
    expect(yml).toContain(`main: '../../dist/${action}/index.js'`);
  });

  test('declares exactly the inputs the code reads', () => {
    expect([...section(yml, 'inputs').keys()].sort()).toEqual(inputsRead(action).sort());
  });

  test('declares exactly the outputs the code sets', () => {
    expect([...section(yml, 'outputs').keys()].sort()).toEqual(outputsSet(action).sort());
  });
});

test('reconcile passes every input and output of its two steps, prefixing the audit\'s where a name would mean two things', () => {
  const names = (a: string, s: string) => [...section(fs.readFileSync(path.join(root, 'actions', a, 'action.yml'), 'utf8'), s).keys()];
  const inputs = names('reconcile', 'inputs');
  const outputs = names('reconcile', 'outputs');
  for (const [step, part] of PARTS.reconcile!) {
    for (const n of names(step, 'inputs')) {
      const to = part.inputs[n];
      expect([step, n, inputs.includes(typeof to === 'string' ? to : n)]).toEqual([step, n, true]);
    }
    for (const n of names(step, 'outputs')) expect([step, n, outputs.includes(part.output(n) ?? '')]).toEqual([step, n, true]);
  }
  // The six outputs of the composite it was keep their names.
  for (const n of ['copied', 'in-sync', 'mirror-report', 'audit-errors', 'audit-warnings', 'audit-report']) expect(outputs).toContain(n);
  expect(inputs).toEqual(expect.arrayContaining(['audit', 'audit-stores', 'audit-report-path', 'report-path', 'fail-on', 'dry-run']));
});

/**
 * Shared inputs whose default differs on purpose in one action, with that default: prune deletes,
 * so it plans only unless told otherwise. The description must still be the shared one.
 */
const OWN_DEFAULTS: Record<string, Record<string, string>> = { 'dry-run': { prune: 'true' } };

test('an input shared by several actions has one description and one default', () => {
  const seen = new Map<string, { action: string; text: string }>();
  for (const action of all) {
    const inputs = section(fs.readFileSync(path.join(root, 'actions', action, 'action.yml'), 'utf8'), 'inputs');
    for (const [name, text] of inputs) {
      const earlier = seen.get(name);
      const own = OWN_DEFAULTS[name]?.[action];
      if (own !== undefined) {
        // Its default is the one listed; the rest of it is the shared text.
        expect(`${name} in ${action}: ${/^default: (.*)$/m.exec(text)?.[1]}`).toBe(`${name} in ${action}: '${own}'`);
        const bare = (s: string) => s.replace(/^default: .*\n/m, '');
        if (earlier) expect(`${name} in ${action} vs ${earlier.action}:\n${bare(text)}`).toBe(`${name} in ${action} vs ${earlier.action}:\n${bare(earlier.text)}`);
        continue;
      }
      // The label carries both actions, so a failure says where the two disagree.
      if (earlier) expect(`${name} in ${action} vs ${earlier.action}:\n${text}`).toBe(`${name} in ${action} vs ${earlier.action}:\n${earlier.text}`);
      else seen.set(name, { action, text });
    }
  }
});
