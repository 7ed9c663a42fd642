/**
 * The reference's reading of a Condition for a *plain* request: what a stranger sends from the open
 * internet without trying (no Referer or User-Agent it was told to send, no VPC endpoint). Written
 * for the tests from the IAM documentation ("IAM JSON policy elements: Condition operators", "AWS
 * global condition context keys", the S3 condition keys); it shares no code with `src/acl`.
 *
 * A plain request is modelled as request contexts: the values its keys can have.
 *
 * - `exact`: one request, anonymous or of an IAM user, over HTTPS with TLS 1.3, from 198.51.100.7,
 *   now. Keys: aws:SourceIp, aws:SecureTransport, s3:TlsVersion, aws:CurrentTime, aws:EpochTime,
 *   aws:PrincipalType (`Anonymous` or `User`); no other key.
 * - `failClosed`: every request a stranger may send: over HTTP or HTTPS (TLS 1.0 or 1.3), from an
 *   IPv4 (198.51.100.7) or an IPv6 (2001:db8::7) address, at any time (the first and the last instant
 *   the date formats hold), of any principal type. An Allow applies when some context meets its
 *   condition, a Deny when every context does. The addresses stand for "an address of the open
 *   internet": the generators name no range holding them but ranges that hold a whole family.
 *
 * Operators are matched as spelled in the documentation (case-sensitive); condition keys
 * case-insensitively. A spelling the documentation does not have, and `Null` with a value other than
 * `true` or `false`, is a policy AWS refuses: in `exact` it never holds, in `failClosed` an Allow
 * may and a Deny need not hold under it.
 */
import { elements, wild } from './iam-reference';

type Context = ReadonlyMap<string, string>;
type Condition = Record<string, Record<string, string | string[]>>;

const ctx = (entries: Record<string, string>): Context => new Map(Object.entries(entries));
const EXACT = (principalType: string): Context =>
  ctx({ 'aws:sourceip': '198.51.100.7', 'aws:securetransport': 'true', 's3:tlsversion': '1.3', 'aws:currenttime': '2026-01-01T00:00:00Z', 'aws:epochtime': '1767225600', 'aws:principaltype': principalType });

/** Every combination of the values each key may have (absent: the key is left out). */
function failClosedContexts(): Context[] {
  const choices: [string, (string | undefined)[]][] = [
    ['aws:sourceip', ['198.51.100.7', '2001:db8::7']],
    ['aws:securetransport', ['true', 'false']],
    ['s3:tlsversion', ['1.0', '1.3', undefined]],
    ['aws:currenttime', ['1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z']],
    ['aws:epochtime', ['0', '253402300799']],
    ['aws:principaltype', ['Anonymous', 'User', 'AssumedRole', 'FederatedUser']],
  ];
  let out: Record<string, string>[] = [{}];
  for (const [k, vs] of choices) out = out.flatMap((c) => vs.map((v) => (v === undefined ? c : { ...c, [k]: v })));
  return out.map(ctx);
}
const ALL_CONTEXTS = failClosedContexts();

const STRING = ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'];
const NUMERIC = ['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'];
const DATE = NUMERIC.map((n) => n.replace('Numeric', 'Date'));
const DOCUMENTED = [...STRING, ...NUMERIC, ...DATE, 'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'];

/** An IPv4 or IPv6 address as 32 or 128 bits, as a string of 0 and 1. */
function bits(address: string): string | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return address.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  if (!address.includes(':')) return undefined;
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}

function inRange(address: string, range: string): boolean {
  const [net, len] = range.split('/');
  const a = bits(address);
  const n = bits(net!);
  if (a === undefined || n === undefined || a.length !== n.length) return false;
  const l = len === undefined ? a.length : Number(len);
  return a.slice(0, l) === n.slice(0, l);
}

/** One documented operator (without IfExists or a set prefix) on a value the request carries. */
function compare(op: string, actual: string, values: string[]): boolean {
  const not = op.includes('Not');
  const positive = op.replace('Not', '');
  const any = (f: (v: string) => boolean) => (not ? !values.some(f) : values.some(f));
  if (positive === 'StringEquals' || positive === 'ArnEquals' || positive === 'BinaryEquals') return any((v) => v === actual);
  if (positive === 'StringEqualsIgnoreCase') return any((v) => v.toLowerCase() === actual.toLowerCase());
  if (positive === 'StringLike' || positive === 'ArnLike') return any((v) => wild(elements(v, false), actual, false, false));
  if (positive === 'Bool') return any((v) => v.toLowerCase() === actual.toLowerCase());
  if (positive === 'IpAddress') return any((v) => inRange(actual, v));
  const num = (s: string) => (op.startsWith('Date') ? Date.parse(s) : Number(s));
  const [a, rel] = [num(actual), positive.replace(/^(Numeric|Date)/, '')];
  const cmp: Record<string, (b: number) => boolean> = { Equals: (b) => a === b, LessThan: (b) => a < b, LessThanEquals: (b) => a <= b, GreaterThan: (b) => a > b, GreaterThanEquals: (b) => a >= b };
  return any((v) => cmp[rel]!(num(v)));
}

/** Whether one operator and key holds in a context; `undefined` for a spelling AWS does not document. */
function holdsIn(operator: string, key: string, values: string[], c: Context): boolean | undefined {
  const actual = c.get(key.toLowerCase());
  if (operator === 'Null') return values.every((v) => v === 'true' || v === 'false') ? values.includes(actual === undefined ? 'true' : 'false') : undefined;
  const m = /^(ForAllValues:|ForAnyValue:)?(.+?)(IfExists)?$/.exec(operator)!;
  const [, set, op, ifExists] = m;
  if (!DOCUMENTED.includes(op!)) return undefined;
  if (actual === undefined) return ifExists !== undefined || set === 'ForAllValues:' ? true : set === 'ForAnyValue:' ? false : op!.includes('Not');
  // A single-valued key is a set of one: both set operators compare that one value.
  return compare(op!, actual, values);
}

/** Whether a statement's condition holds for a plain request: `exact`, or as an Allow (`may`) or a Deny (`must`) fails closed. */
export function plainConditionHolds(condition: Condition | undefined, who: 'anonymous' | 'stranger', how: 'exact' | 'may' | 'must'): boolean {
  const pairs = Object.entries(condition ?? {}).flatMap(([op, body]) => Object.entries(body).map(([k, v]) => [op, k, [v].flat()] as const));
  if (pairs.length === 0) return true;
  const inContext = (c: Context, unknown: boolean) => pairs.every(([op, k, vs]) => holdsIn(op, k, vs, c) ?? unknown);
  if (how === 'exact') return inContext(EXACT(who === 'anonymous' ? 'Anonymous' : 'User'), false);
  return how === 'may' ? ALL_CONTEXTS.some((c) => inContext(c, true)) : ALL_CONTEXTS.every((c) => inContext(c, false));
}
