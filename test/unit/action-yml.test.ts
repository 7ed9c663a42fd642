/**
 * Holds every action.yml against the code that reads it: each input the code reads is declared
 * (and each declared input is read), each output the code sets is declared (and vice versa), the
 * runtime is node24 and `main` points at the action's bundle. Shared inputs mean the same thing
 * everywhere: same description and default in every action.yml that has them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const all = fs.readdirSync(path.join(root, 'actions')).filter((a) => fs.existsSync(path.join(root, 'actions', a, 'action.yml')));
const isComposite = (a: string) => /\n {2}using: 'composite'\n/.test(fs.readFileSync(path.join(root, 'actions', a, 'action.yml'), 'utf8'));
const actions = all.filter((a) => !isComposite(a));
const composites = all.filter(isComposite);

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

/** The action's own sources, plus the shared input readers it calls. */
function sources(action: string): string {
  const dir = path.join(root, 'src', 'actions', action);
  const own = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
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
  if (/readStoreInputs?\(/.test(own)) parts.push(body('readStoreDefaults'));
  return parts.join('\n');
}

describe.each(actions)('actions/%s/action.yml', (action) => {
  const yml = fs.readFileSync(path.join(root, 'actions', action, 'action.yml'), 'utf8');
  const code = sources(action);

  test('runs the bundle on node24', () => {
    expect(yml).toMatch(/\n {2}using: 'node24'\n/);
    expect(yml).toContain(`main: '../../dist/${action}/index.js'`);
  });

  test('declares exactly the inputs the code reads', () => {
    const read = new Set([...code.matchAll(/(?:parseInput|requiredInput)\(\s*host,\s*'([a-z0-9-]+)'/g)].map((m) => m[1]!));
    expect([...section(yml, 'inputs').keys()].sort()).toEqual([...read].sort());
  });

  test('declares exactly the outputs the code sets', () => {
    const set = new Set([...code.matchAll(/setOutput\(\s*'([a-z0-9-]+)'/g)].map((m) => m[1]!));
    expect([...section(yml, 'outputs').keys()].sort()).toEqual([...set].sort());
  });
});

describe.each(composites)('actions/%s/action.yml (composite)', (action) => {
  const yml = fs.readFileSync(path.join(root, 'actions', action, 'action.yml'), 'utf8');
  const declared = section(yml, 'inputs');
  // Each step that runs a bundle: the action it runs and the INPUT_ variables it passes.
  const steps = yml
    .split(/\n {4}- /)
    .slice(1)
    .map((step) => ({
      bundle: /dist\/([a-z-]+)\/index\.js/.exec(step)?.[1],
      env: [...step.matchAll(/^ {8}INPUT_([A-Z0-9-]+): (.*)$/gm)].map((m) => ({ name: m[1]!.toLowerCase(), value: m[2]! })),
      stores: /INPUT_STORES=/.test(step),
    }))
    .filter((s) => s.bundle !== undefined);

  test('runs bundles of this checkout that exist', () => {
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      expect(all).toContain(s.bundle);
      expect(s.env.length).toBeGreaterThan(0);
    }
  });

  test('passes each input of the same name, and only inputs the called action declares', () => {
    for (const s of steps) {
      const called = section(fs.readFileSync(path.join(root, 'actions', s.bundle!, 'action.yml'), 'utf8'), 'inputs');
      for (const e of s.env) {
        expect([s.bundle, e.name, called.has(e.name)]).toEqual([s.bundle, e.name, true]);
        expect([s.bundle, e.name, e.value]).toEqual([s.bundle, e.name, `\${{ inputs.${e.name} }}`]);
      }
      // A required input of the called action must be passed (stores may be built in the script).
      for (const [name, text] of called) if (/required: true/.test(text) && !(name === 'stores' && s.stores)) expect([s.bundle, name, s.env.some((e) => e.name === name)]).toEqual([s.bundle, name, true]);
    }
  });

  test('declares exactly the inputs its steps use', () => {
    const used = new Set([...yml.matchAll(/inputs\.([a-z0-9-]+)/g)].map((m) => m[1]!));
    expect([...declared.keys()].sort()).toEqual([...used].sort());
  });

  test('each output is a step output', () => {
    const ids = new Set([...yml.matchAll(/^ {6}id: ([a-z0-9-]+)$/gm)].map((m) => m[1]!));
    for (const [name, text] of section(yml, 'outputs')) {
      const m = /value: \$\{\{ steps\.([a-z0-9-]+)\.outputs\.([a-z0-9-]+) \}\}/.exec(text);
      expect([name, m !== null && ids.has(m[1]!)]).toEqual([name, true]);
    }
  });
});

test('an input shared by several actions has one description and one default', () => {
  const seen = new Map<string, { action: string; text: string }>();
  for (const action of all) {
    const inputs = section(fs.readFileSync(path.join(root, 'actions', action, 'action.yml'), 'utf8'), 'inputs');
    for (const [name, text] of inputs) {
      const earlier = seen.get(name);
      // The label carries both actions, so a failure says where the two disagree.
      if (earlier) expect(`${name} in ${action} vs ${earlier.action}:\n${text}`).toBe(`${name} in ${action} vs ${earlier.action}:\n${earlier.text}`);
      else seen.set(name, { action, text });
    }
  }
});
