/**
 * Policy conditions, read for one question: does a *plain* request meet them? A plain request is
 * what any stranger sends without trying: no Referer or other optional header, not through a VPC
 * endpoint, from an address of the open internet. A statement whose condition a plain request
 * may meet reaches every stranger (public); one whose condition it cannot meet reaches only those
 * who meet it (restricted: the address, endpoint or header the condition names).
 *
 * Two answers per operator and key: whether a plain request **may** meet it (what an Allow needs to
 * count as public) and whether it **must** (what a Deny needs to hold plain requests back). Keys
 * (compared case-insensitively, as AWS does) fall in three groups:
 *
 * - Keys a plain request does not carry: AWS's documented rules for a missing key. A negated
 *   operator (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...), `...IfExists`,
 *   `ForAllValues:...` and `Null` with `true` are met; every other operator, `ForAnyValue:...` and
 *   `Null` with `false` are not.
 * - Keys whose value the stranger picks or nobody can pin down: `aws:SecureTransport` and
 *   `s3:TlsVersion` (anyone can use HTTPS, or not), `aws:CurrentTime` and `aws:EpochTime` (a date
 *   condition holds at some time), `aws:PrincipalType` (`Anonymous` for every unsigned request).
 *   Any operator may be met and none must be; `Null` follows whether the key is always present.
 * - `aws:SourceIp`, present in every request from the internet: `IpAddress` is met by a plain
 *   request when its ranges cover a whole address family (`0.0.0.0/0`, `::/0`, or `0.0.0.0/1` with
 *   `128.0.0.0/1`), and `NotIpAddress` unless they do; a range that cannot be read, or any other
 *   operator, may be met and need not be.
 *
 * An operator not spelled exactly as AWS documents it (AWS and RGW 16 refuse such a policy when it
 * is put; another provider may read it another way), and `Null` with a value other than `true` or
 * `false`, may be met and need not be: an Allow under it is public, a Deny under it holds nobody back.
 */
import type { PolicyCondition, PolicyStatement } from './policy-document';

const OPERATORS = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
]);
const NEGATED = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals', 'DateNotEquals', 'NotIpAddress', 'ArnNotEquals', 'ArnNotLike']);
/** Keys every request carries. */
const ALWAYS = new Set(['aws:sourceip', 'aws:securetransport', 'aws:currenttime', 'aws:epochtime', 'aws:principaltype']);
/** Keys whose value the requester picks, or that no reader can pin down. */
const FREE = new Set(['aws:securetransport', 's3:tlsversion', 'aws:currenttime', 'aws:epochtime', 'aws:principaltype']);

interface Operator {
  readonly base: string;
  readonly ifExists: boolean;
  readonly set?: 'ForAllValues' | 'ForAnyValue';
}

/** The documented parts of an operator name, or `undefined` for a spelling AWS does not document. */
function parseOperator(name: string): Operator | undefined {
  const m = /^(?:(ForAllValues|ForAnyValue):)?([A-Za-z]+?)(IfExists)?$/.exec(name);
  if (!m || !OPERATORS.has(m[2]!) || (m[2] === 'Null' && (m[1] !== undefined || m[3] !== undefined))) return undefined;
  return { base: m[2]!, ifExists: m[3] !== undefined, set: m[1] as Operator['set'] };
}

interface Reach {
  readonly may: boolean;
  readonly must: boolean;
}
const UNCERTAIN: Reach = { may: true, must: false };
const exactly = (met: boolean): Reach => ({ may: met, must: met });

/** An address or CIDR range as family and first and last address, or `undefined` when it cannot be read. */
function parseRange(text: string): { v6: boolean; first: bigint; last: bigint } | undefined {
  const [address, prefixText, ...rest] = text.trim().split('/');
  if (rest.length > 0 || address === undefined) return undefined;
  const v6 = address.includes(':');
  const value = v6 ? parseV6(address) : parseV4(address);
  const bits = v6 ? 128 : 32;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (value === undefined || !(prefix >= 0 && prefix <= bits)) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const first = (value / size) * size;
  return { v6, first, last: first + size - 1n };
}

function parseV4(a: string): bigint | undefined {
  const parts = a.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => (n << 8n) + BigInt(p), 0n);
}

function parseV6(a: string): bigint | undefined {
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  const count = groups.reduce((n, g) => n + g.length, 0);
  if ((halves.length === 1 && count !== 8) || (halves.length === 2 && count > 7)) return undefined;
  const all = halves.length === 1 ? groups[0]! : [...groups[0]!, ...Array<string>(8 - count).fill('0'), ...groups[1]!];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  return all.reduce((n, g) => (n << 16n) + BigInt(`0x${g}`), 0n);
}

/** Which address families the ranges cover whole, or `undefined` when one cannot be read. */
function coveredFamilies(values: readonly string[]): { v4: boolean; v6: boolean } | undefined {
  const ranges = values.map(parseRange);
  if (ranges.some((r) => r === undefined)) return undefined;
  const covers = (v6: boolean) => {
    const sorted = ranges.filter((r) => r!.v6 === v6).sort((a, b) => (a!.first < b!.first ? -1 : a!.first > b!.first ? 1 : 0));
    let next = 0n;
    for (const r of sorted) if (r!.first <= next && r!.last + 1n > next) next = r!.last + 1n;
    return next === 1n << (v6 ? 128n : 32n);
  };
  return { v4: covers(false), v6: covers(true) };
}

function sourceIpReach(op: Operator, values: readonly string[]): Reach {
  const families = op.set === undefined && (op.base === 'IpAddress' || op.base === 'NotIpAddress') ? coveredFamilies(values) : undefined;
  if (families === undefined) return UNCERTAIN;
  const some = families.v4 || families.v6;
  const both = families.v4 && families.v6;
  return op.base === 'IpAddress' ? { may: some, must: both } : { may: !both, must: !some };
}

/** Whether a plain request may and must meet one operator and key (see the file comment). */
function plainReach(c: PolicyCondition): Reach {
  const op = parseOperator(c.operator);
  if (op === undefined) return UNCERTAIN;
  const key = c.key.toLowerCase();
  if (op.base === 'Null') {
    if (!c.values.every((v) => v === 'true' || v === 'false')) return UNCERTAIN;
    if (!ALWAYS.has(key) && FREE.has(key)) return UNCERTAIN;
    return exactly(c.values.includes(ALWAYS.has(key) ? 'false' : 'true'));
  }
  if (FREE.has(key)) return UNCERTAIN;
  if (key === 'aws:sourceip') return sourceIpReach(op, c.values);
  if (op.ifExists || op.set === 'ForAllValues') return exactly(true);
  if (op.set === 'ForAnyValue') return exactly(false);
  return exactly(NEGATED.has(op.base));
}

/**
 * Whether a plain request **may** meet the statement's condition (what an Allow needs to count as
 * public): true without a condition, and for an operator that names no key.
 */
export function plainMayMeet(s: PolicyStatement): boolean {
  return s.conditions.every((c) => plainReach(c).may);
}

/**
 * Whether a plain request **must** meet the statement's condition (what a conditional Deny needs to
 * hold plain requests back): only when it names keys and a plain request meets every one.
 */
export function plainMustMeet(s: PolicyStatement): boolean {
  return !s.conditional || (s.conditions.length > 0 && s.conditions.every((c) => plainReach(c).must));
}

/** A condition in words: `IpAddress aws:SourceIp 10.0.0.0/8 and StringLike aws:Referer [https://a/*, https://b/*]`. */
export function describeConditions(conditions: readonly PolicyCondition[]): string {
  if (conditions.length === 0) return 'a condition that names no key';
  return conditions.map((c) => `${c.operator} ${c.key} ${c.values.length === 1 ? c.values[0] : `[${c.values.join(', ')}]`}`).join(' and ');
}
