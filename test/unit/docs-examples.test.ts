/**
 * The examples users copy: every ```yaml block of the READMEs and guides parses, and every step of
 * them or of examples/workflows/ that uses one of these actions names an action that exists and
 * passes it only inputs its action.yml declares (an input renamed or removed fails here, naming the
 * file and the input).
 */
import { load } from 'js-yaml';
import { ACTION_NAMES, MARKDOWN_DOCS, WORKFLOWS, parse, read, yamlBlocks } from '../helpers/workflow-files';

const ACTIONS = ACTION_NAMES;
const inputsOf = new Map(ACTIONS.map((a) => [a, new Set(Object.keys((parse(`actions/${a}/action.yml`).inputs as Record<string, unknown> | undefined) ?? {}))]));

/** Each example: where it is, and its text. */
const EXAMPLES: [string, string][] = [
  ...MARKDOWN_DOCS.flatMap((file) => yamlBlocks(file).map((b): [string, string] => [b.where, b.text])),
  ...WORKFLOWS.filter((f) => f.startsWith('examples/')).map((file): [string, string] => [file, read(file)]),
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
