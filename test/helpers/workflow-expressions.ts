/**
 * A small reading of GitHub Actions expressions (`${{ ... }}`) for the tests that check what the
 * examples pass to the actions: literals, context names (`github.run_id`, `steps.plan.outputs.shards`),
 * `!`, `==`, `!=`, `&&`, `||` (which give one of their operands, as GitHub's do), parentheses,
 * indexing (`[0]`) and a few functions (toJSON, fromJSON, startsWith, endsWith, contains, format).
 * Context names are looked up through the caller; anything else is refused with the expression named,
 * so a test never passes over a value it could not work out.
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export class ExpressionError extends Error {}

type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'name'; name: string }
  | { kind: 'not'; operand: Node }
  | { kind: 'binary'; op: '==' | '!=' | '&&' | '||'; left: Node; right: Node }
  | { kind: 'index'; target: Node; index: Node }
  | { kind: 'call'; fn: string; args: Node[] };

const TOKEN = /\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*)|(==|!=|&&|\|\||[!()[\],]))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new ExpressionError(`cannot read ${JSON.stringify(text.slice(at).trim())}`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
  }
  return tokens;
}

export function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ExpressionError('is empty');
  let i = 0;
  const peek = () => tokens[i];
  const take = (want?: string) => {
    const t = tokens[i++];
    if (t === undefined || (want !== undefined && t !== want)) throw new ExpressionError(`expected ${want ?? 'more'} at ${JSON.stringify(t ?? 'the end')}`);
    return t;
  };
  const binary = (ops: string[], next: () => Node) => (): Node => {
    let left = next();
    while (ops.includes(peek() ?? '')) left = { kind: 'binary', op: take() as '==', left, right: next() };
    return left;
  };
  const primary = (): Node => {
    const t = take();
    if (t === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (t === '!') return { kind: 'not', operand: postfix() };
    if (t.startsWith("'")) return { kind: 'literal', value: t.slice(1, -1).replace(/''/g, "'") };
    if (/^\d/.test(t)) return { kind: 'literal', value: Number(t) };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if (t === 'null') return { kind: 'literal', value: null };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() !== '(') return { kind: 'name', name: t };
      take('(');
      const args: Node[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() === ',') take(',');
      }
      take(')');
      return { kind: 'call', fn: t, args };
    }
    throw new ExpressionError(`unexpected ${JSON.stringify(t)}`);
  };
  const postfix = (): Node => {
    let node = primary();
    while (peek() === '[') {
      take('[');
      node = { kind: 'index', target: node, index: or() };
      take(']');
    }
    return node;
  };
  const compare = binary(['==', '!='], postfix);
  const and = binary(['&&'], compare);
  const or: () => Node = binary(['||'], and);
  const node = or();
  if (i !== tokens.length) throw new ExpressionError(`unexpected ${JSON.stringify(tokens[i])}`);
  return node;
}

const truthy = (v: Value): boolean => !(v === false || v === null || v === '' || v === 0 || Number.isNaN(v));

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return NaN;
}

/** GitHub's equality: strings case-insensitively, other kinds through numbers. */
function equal(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === 'object' || typeof b === 'object') return a === b;
  return toNumber(a) === toNumber(b);
}

/** A value as GitHub writes it into a string. Objects and arrays need toJSON. */
export function asText(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ExpressionError(`gives ${Array.isArray(v) ? 'an array' : 'an object'}, which a runner writes as "${Array.isArray(v) ? 'Array' : 'Object'}"; use toJSON()`);
}

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  // A runner's toJSON indents by two spaces.
  toJSON: (v) => JSON.stringify(v, null, 2),
  fromJSON: (v) => {
    try {
      return JSON.parse(asText(v)) as Value;
    } catch (e) {
      throw new ExpressionError(`fromJSON: ${(e as Error).message}`);
    }
  },
  startsWith: (a, b) => asText(a).toLowerCase().startsWith(asText(b).toLowerCase()),
  endsWith: (a, b) => asText(a).toLowerCase().endsWith(asText(b).toLowerCase()),
  contains: (a, b) => (Array.isArray(a) ? a.some((x) => equal(x, b)) : asText(a).toLowerCase().includes(asText(b).toLowerCase())),
  format: (f, ...args) => asText(f).replace(/\{(\d+)\}/g, (_, n: string) => asText(args[Number(n)] ?? '')),
};

export function evaluate(node: Node, lookup: (name: string) => Value): Value {
  const ev = (n: Node): Value => evaluate(n, lookup);
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'name':
      return lookup(node.name);
    case 'not':
      return !truthy(ev(node.operand));
    case 'index': {
      const target = ev(node.target);
      const index = ev(node.index);
      if (Array.isArray(target) && typeof index === 'number') return target[index] ?? null;
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) return target[asText(index)] ?? null;
      return null;
    }
    case 'call': {
      const fn = FUNCTIONS[node.fn];
      if (!fn) throw new ExpressionError(`calls ${node.fn}(), which this reading of expressions does not know`);
      return fn(...node.args.map(ev));
    }
    case 'binary': {
      const left = ev(node.left);
      if (node.op === '&&') return truthy(left) ? ev(node.right) : left;
      if (node.op === '||') return truthy(left) ? left : ev(node.right);
      const same = equal(left, ev(node.right));
      return node.op === '==' ? same : !same;
    }
  }
}

/** Each `${{ ... }}` of a text, with where it stands. */
export function expressionsIn(text: string): { source: string; body: string; start: number; end: number }[] {
  return [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => ({ source: m[0], body: m[1]!, start: m.index, end: m.index + m[0].length }));
}

/**
 * A value with its expressions worked out: the value itself when the text is one expression alone
 * (as a runner gives a matrix its list), else the text with each expression written in.
 */
export function substitute(text: string, lookup: (name: string) => Value, o: { raw?: boolean } = {}): Value {
  const found = expressionsIn(text);
  const one = (e: (typeof found)[number]): Value => {
    try {
      return evaluate(parseExpression(e.body), lookup);
    } catch (err) {
      if (err instanceof ExpressionError) throw new ExpressionError(`${e.source}: ${err.message}`);
      throw err;
    }
  };
  if (o.raw && found.length === 1 && text.trim() === found[0]!.source) return one(found[0]!);
  let out = '';
  let at = 0;
  for (const e of found) {
    out += text.slice(at, e.start);
    try {
      out += asText(one(e));
    } catch (err) {
      if (err instanceof ExpressionError && !err.message.startsWith(e.source)) throw new ExpressionError(`${e.source}: ${err.message}`);
      throw err;
    }
    at = e.end;
  }
  return out + text.slice(at);
}
