/**
 * Holds every action.yml against the code that reads it: each input the code reads is declared
 * (and each declared input is read), each output the code sets is declared (and vice versa), the
 * runtime is node24 and `main` points at the action's bundle. Shared inputs mean the same thing
 * everywhere: same description and default in every action.yml that has them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const actions = fs.readdirSync(path.join(root, 'actions')).filter((a) => fs.existsSync(path.join(root, 'actions', a, 'action.yml')));

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

test('an input shared by several actions has one description and one default', () => {
  const seen = new Map<string, { action: string; text: string }>();
  for (const action of actions) {
    const inputs = section(fs.readFileSync(path.join(root, 'actions', action, 'action.yml'), 'utf8'), 'inputs');
    for (const [name, text] of inputs) {
      const earlier = seen.get(name);
      // The label carries both actions, so a failure says where the two disagree.
      if (earlier) expect(`${name} in ${action} vs ${earlier.action}:\n${text}`).toBe(`${name} in ${action} vs ${earlier.action}:\n${earlier.text}`);
      else seen.set(name, { action, text });
    }
  }
});
