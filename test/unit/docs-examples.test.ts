/**
 * The examples users copy: every ```yaml block of the READMEs and guides parses, and every step of
 * them or of examples/workflows/ that uses one of these actions names an action that exists and
 * passes it only inputs its action.yml declares (an input renamed or removed fails here, naming the
 * file and the input).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';

const root = path.resolve(__dirname, '..', '..');
const ACTIONS = fs.readdirSync(path.join(root, 'actions')).filter((a) => fs.existsSync(path.join(root, 'actions', a, 'action.yml')));
const inputsOf = new Map(
  ACTIONS.map((a) => {
    const doc = load(fs.readFileSync(path.join(root, 'actions', a, 'action.yml'), 'utf8')) as { inputs?: Record<string, unknown> };
    return [a, new Set(Object.keys(doc.inputs ?? {}))];
  }),
);

const markdown = ['README.md', ...ACTIONS.map((a) => path.join('actions', a, 'README.md')), ...(fs.existsSync(path.join(root, 'docs')) ? fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f)) : [])].filter(
  (f) => fs.existsSync(path.join(root, f)),
);
const workflows = fs
  .readdirSync(path.join(root, 'examples', 'workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => path.join('examples', 'workflows', f));

/** Each example: where it is, and its text. */
const EXAMPLES: [string, string][] = [
  ...markdown.flatMap((file) =>
    [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/^( *)```yaml\n([\s\S]*?)\n\1```/gm)].map((m, i): [string, string] => [
      `${file}, yaml block ${i + 1}`,
      m[2]!.split('\n').map((l) => l.slice(m[1]!.length)).join('\n'),
    ]),
  ),
  ...workflows.map((file): [string, string] => [file, fs.readFileSync(path.join(root, file), 'utf8')]),
];

/** Every mapping in a parsed document that has a `uses`. */
function steps(node: unknown): { uses: string; with?: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap(steps);
  if (typeof node !== 'object' || node === null) return [];
  const o = node as Record<string, unknown>;
  const here = typeof o.uses === 'string' ? [o as { uses: string; with?: Record<string, unknown> }] : [];
  return [...here, ...Object.values(o).flatMap(steps)];
}

test('there are examples to check', () => {
  expect(EXAMPLES.length).toBeGreaterThan(20);
  expect(EXAMPLES.flatMap(([, text]) => steps(load(text))).filter((s) => s.uses.startsWith('ci-stores/')).length).toBeGreaterThan(20);
});

test.each(EXAMPLES)('%s parses and passes only declared inputs', (where, text) => {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    throw new Error(`${where} is not YAML: ${(e as Error).message}`);
  }
  for (const step of steps(doc)) {
    const m = /^ci-stores\/ci-stores\/actions\/([a-z0-9-]+)@/.exec(step.uses);
    if (!m) continue;
    const inputs = inputsOf.get(m[1]!);
    if (!inputs) throw new Error(`${where}: uses ${step.uses}, but there is no actions/${m[1]}/action.yml`);
    const unknown = Object.keys(step.with ?? {}).filter((k) => !inputs.has(k));
    if (unknown.length > 0) throw new Error(`${where}: passes ${unknown.join(', ')} to ${m[1]}, whose action.yml declares no such input`);
  }
});
