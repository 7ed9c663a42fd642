/**
 * A reference evaluator for S3 bucket policies, written for the tests from the AWS IAM documentation
 * ("Policy evaluation logic", "IAM JSON policy elements": Principal, NotPrincipal, Action, NotAction,
 * Resource, NotResource, Condition, and "Policy variables"). It shares no code with `src/acl`.
 *
 * It answers in two semantics:
 *
 * - `exact`: what AWS documents, for one request with an empty request context: an explicit Deny
 *   that applies wins; else an Allow that applies grants; else no access. `*` and `?` in ARNs match
 *   any code points; an ARN is matched segment by segment (partition, service, region and account
 *   case-insensitively, the resource case-sensitively; a short ARN with a wildcard as if padded with
 *   `*` segments, without one never); a condition holds or not as AWS documents for a missing key
 *   (false, except negated operators, `Null: true` and `...IfExists`, which hold); an unresolvable
 *   policy variable matches nothing and makes a NotResource statement inapplicable.
 * - `failClosed`: the over-approximation the project promises (see src/acl/bucket-policy.ts): an
 *   Allow counts when it may apply, a Deny only when it must. Principals of undocumented reach
 *   (CanonicalUser `*`; for account holders, wildcards, Federated), conditions (an Allow's may hold,
 *   a Deny's may not), ARN readings (segments or one string; prefix case) and policy variables
 *   (anything for an Allow, never certain for a Deny) all resolve towards "readable".
 *
 * `refReadAccess` asks both semantics a third question, how far a stranger may read, by any read
 * action: `public` when a *plain* request gets in (what a stranger sends from the open internet: the
 * keys every request carries, such as its address and whether it uses HTTPS, and none else; see
 * iam-conditions.ts), `restricted` when some request may (an Allow's condition may be met, a Deny's
 * may be avoided), `private` when none may.
 */
import { plainConditionHolds } from './iam-conditions';

/** The raw statement shape the generators produce (a valid policy). */
export interface RawStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface RawPolicy {
  Version?: string;
  Statement: RawStatement | RawStatement[];
}

/** Who asks: an unsigned request, or an IAM user of an account the policy does not name. */
export type RefWho = 'anonymous' | 'stranger';
export type Semantics = 'exact' | 'failClosed';
type How = 'exact' | 'may' | 'must';

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
export const statementsOf = (p: RawPolicy): RawStatement[] => (Array.isArray(p.Statement) ? p.Statement : [p.Statement]);

// ---- wildcards over code points -------------------------------------------------------------

/** A pattern element: a literal code point, `?`, `*`, or a policy variable. */
type El = { t: 'lit'; c: string } | { t: 'one' } | { t: 'any' } | { t: 'var' };

/** Splits a pattern into elements. With `variables`, `${*}` `${?}` `${$}` are literals and `${name}` a variable. */
export function elements(pattern: string, variables: boolean): El[] {
  const out: El[] = [];
  const cs = Array.from(pattern);
  let i = 0;
  while (i < cs.length) {
    if (variables && cs[i] === '$' && cs[i + 1] === '{') {
      const end = cs.indexOf('}', i + 2);
      if (end > 0) {
        const inner = cs.slice(i + 2, end).join('');
        out.push(inner === '*' || inner === '?' || inner === '$' ? { t: 'lit', c: inner } : { t: 'var' });
        i = end + 1;
        continue;
      }
    }
    const c = cs[i]!;
    out.push(c === '*' ? { t: 'any' } : c === '?' ? { t: 'one' } : { t: 'lit', c });
    i++;
  }
  return out;
}

const lower = (c: string) => c.toLowerCase();

/** Dynamic programming: does `p` match all of `text`? A variable matches like `*` when `varIsAny`, else never. */
export function wild(p: readonly El[], text: string, ignoreCase: boolean, varIsAny: boolean): boolean {
  const t = Array.from(text);
  // m[j]: p[0..i) matches t[0..j)
  let m = new Array<boolean>(t.length + 1).fill(false);
  m[0] = true;
  for (const el of p) {
    const next = new Array<boolean>(t.length + 1).fill(false);
    if (el.t === 'any' || (el.t === 'var' && varIsAny)) {
      let seen = false;
      for (let j = 0; j <= t.length; j++) {
        seen = seen || m[j]!;
        next[j] = seen;
      }
    } else if (el.t !== 'var') {
      for (let j = 1; j <= t.length; j++) {
        const ok = el.t === 'one' || el.c === t[j - 1] || (ignoreCase && lower(el.c) === lower(t[j - 1]!));
        next[j] = m[j - 1]! && ok;
      }
    }
    m = next;
  }
  return m[t.length]!;
}

// ---- ARNs ------------------------------------------------------------------------------------

const hasVar = (els: readonly El[]) => els.some((e) => e.t === 'var');

/** The six segments of an ARN pattern, or `undefined` when the segment reading cannot match (a short ARN without `*`). */
function patternSegments(pattern: string): string[] | undefined {
  const parts = pattern.split(':');
  if (parts.length >= 6) return [...parts.slice(0, 5), parts.slice(5).join(':')];
  return pattern.includes('*') ? [...parts, '*', '*', '*', '*', '*'].slice(0, 6) : undefined;
}

function arnSegs(arn: string): string[] {
  const parts = arn.split(':');
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function bySegments(pattern: string, arn: string, variables: boolean, prefixIgnoreCase: boolean, varIsAny: boolean): boolean {
  const segs = patternSegments(pattern);
  if (!segs) return false;
  const a = arnSegs(arn);
  return segs.every((s, i) => wild(elements(s, variables), a[i]!, i < 5 && prefixIgnoreCase, varIsAny));
}

/** Does Resource pattern `pattern` match `arn`? */
export function arnMatches(pattern: string, arn: string, variables: boolean, how: How): boolean {
  if (pattern === '*') return true;
  const whole = elements(pattern, variables);
  if (how === 'exact') return bySegments(pattern, arn, variables, true, false);
  if (how === 'may') return bySegments(pattern, arn, variables, true, true) || wild(whole, arn, false, true);
  if (pattern.split(':').length < 6 || hasVar(whole)) return false;
  return bySegments(pattern, arn, variables, false, false) && wild(whole, arn, false, false);
}

// ---- principals, actions, conditions --------------------------------------------------------

interface Entry {
  type: string;
  value: string;
}

function entries(p: unknown): Entry[] {
  if (p === '*') return [{ type: '*', value: '*' }];
  return Object.entries(p as Record<string, string | string[]>).flatMap(([type, v]) => list(v).map((value) => ({ type, value })));
}

function entryMatches(e: Entry, who: RefWho, how: How): boolean {
  if (e.type === '*' || (e.type === 'AWS' && e.value === '*')) return true;
  // The generators never name the stranger's own account: a stranger is someone nobody named.
  if (how !== 'may') return false;
  const wildcard = e.value.includes('*') || e.value.includes('?');
  if (e.type === 'CanonicalUser' && wildcard) return true;
  if (who === 'anonymous') return false;
  return e.type === 'Federated' || wildcard;
}

function principalApplies(s: RawStatement, who: RefWho, how: How): boolean {
  if (s.Principal !== undefined) return entries(s.Principal).some((e) => entryMatches(e, who, how));
  const flip: How = how === 'may' ? 'must' : how === 'must' ? 'may' : 'exact';
  return !entries(s.NotPrincipal).some((e) => entryMatches(e, who, flip));
}

function actionCovered(s: RawStatement, action: string): boolean {
  const m = (a: string) => wild(elements(a, false), action, true, false);
  return s.Action !== undefined ? list(s.Action).some(m) : !list(s.NotAction).some(m);
}

/** Whether a condition operator holds when its key is absent from the request (AWS documentation). */
export function holdsWithoutKey(operator: string, value: string): boolean {
  if (operator === 'Null') return value === 'true';
  if (operator.endsWith('IfExists') || operator.startsWith('ForAllValues:')) return true;
  if (operator.startsWith('ForAnyValue:')) return false;
  return /Not/.test(operator);
}

/** Whether every operator and key of the condition holds for a request that carries none of its keys. */
function holdsForPlainRequest(s: RawStatement): boolean {
  return Object.entries(s.Condition ?? {}).every(([op, body]) => Object.values(body).every((v) => list(v).some((x) => holdsWithoutKey(op, x))));
}

/**
 * Whether the statement's condition holds. `request`: `plain` (the request carries no condition
 * key) or `any` (some request: an Allow's condition may be met, a Deny's may be avoided).
 */
function conditionHolds(s: RawStatement, how: How, request: 'plain' | 'any' = 'plain'): boolean {
  const ops = Object.entries(s.Condition ?? {});
  if (ops.length === 0) return true;
  if (request === 'any') return s.Effect === 'Allow';
  if (how === 'may') return true;
  if (how === 'must') return false;
  return holdsForPlainRequest(s);
}

function resourceCovered(s: RawStatement, arn: string, variables: boolean, how: How): boolean {
  if (s.Resource !== undefined) return list(s.Resource).some((r) => arnMatches(r, arn, variables, how));
  const not = list(s.NotResource);
  if (how === 'exact') {
    // An unresolvable variable leaves the statement unable to apply.
    if (not.some((r) => hasVar(elements(r, variables)))) return false;
    return !not.some((r) => arnMatches(r, arn, variables, 'exact'));
  }
  return !not.some((r) => arnMatches(r, arn, variables, how === 'may' ? 'must' : 'may'));
}

/** Whether `statement` applies to `who` asking `action` on `arn`, as an Allow (`may`) or a Deny (`must`) or exactly. */
export function statementApplies(s: RawStatement, who: RefWho, action: string, arn: string, variables: boolean, how: How): boolean {
  return principalApplies(s, who, how) && actionCovered(s, action) && resourceCovered(s, arn, variables, how) && conditionHolds(s, how);
}

export type RefAccess = 'public' | 'restricted' | 'private';
/** The order of `RefAccess` by how far strangers read: private 0, restricted 1, public 2. */
export const accessRank = (a: RefAccess): number => ['private', 'restricted', 'public'].indexOf(a);

/**
 * The actions that read an object: a GET names s3:GetObject, and with a versionId (`null` for every
 * object of an unversioned bucket) s3:GetObjectVersion instead (AWS GetObject reference: "The
 * s3:GetObject permission is not required in this scenario").
 */
export const READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'] as const;

/** May `who` read `arn` by any read action? */
export function refReadAllowed(policy: RawPolicy, who: RefWho, arn: string, semantics: Semantics): boolean {
  return READ_ACTIONS.some((a) => refAllowed(policy, who, a, arn, semantics));
}

/** Whether `who` may read `arn` by a plain request or by some request, in the given semantics, with any read action. */
function readFor(policy: RawPolicy, who: RefWho, arn: string, semantics: Semantics, request: 'plain' | 'any'): boolean {
  return READ_ACTIONS.some((a) => readWith(policy, who, a, arn, semantics, request));
}

function readWith(policy: RawPolicy, who: RefWho, action: string, arn: string, semantics: Semantics, request: 'plain' | 'any'): boolean {
  const variables = policy.Version === '2012-10-17';
  const st = statementsOf(policy);
  const [allowHow, denyHow]: How[] = semantics === 'exact' ? ['exact', 'exact'] : ['may', 'must'];
  const applies = (s: RawStatement, how: How) => {
    if (!(principalApplies(s, who, how) && actionCovered(s, action) && resourceCovered(s, arn, variables, how))) return false;
    if (request === 'any') return conditionHolds(s, how, 'any');
    // A plain request: conditions judged for what it carries (see iam-conditions.ts).
    return plainConditionHolds(s.Condition, who, how);
  };
  if (st.some((s) => s.Effect === 'Deny' && applies(s, denyHow))) return false;
  return st.some((s) => s.Effect === 'Allow' && applies(s, allowHow));
}

/** How far `who` may read `arn`: public (a plain request gets in), restricted (only some requests do), or private. */
export function refReadAccess(policy: RawPolicy, who: RefWho, arn: string, semantics: Semantics): RefAccess {
  if (readFor(policy, who, arn, semantics, 'plain')) return 'public';
  return readFor(policy, who, arn, semantics, 'any') ? 'restricted' : 'private';
}

/** May `who` do `action` on `arn` under `policy`? */
export function refAllowed(policy: RawPolicy, who: RefWho, action: string, arn: string, semantics: Semantics): boolean {
  const variables = policy.Version === '2012-10-17';
  const st = statementsOf(policy);
  const [allowHow, denyHow]: How[] = semantics === 'exact' ? ['exact', 'exact'] : ['may', 'must'];
  if (st.some((s) => s.Effect === 'Deny' && statementApplies(s, who, action, arn, variables, denyHow))) return false;
  return st.some((s) => s.Effect === 'Allow' && statementApplies(s, who, action, arn, variables, allowHow));
}

/**
 * A key of `bucket` that Resource pattern `pattern` may match, built from the pattern itself, or
 * `undefined` when there is none: for every way the pattern can read `arn:aws:s3:::BUCKET/` (or,
 * segment by segment, the bucket and `/`), the rest of the pattern spelled out (`?` as `x`, `*` as
 * nothing, or `x` when nothing would be left) is a key; each is checked with `arnMatches`.
 */
export function witnessKey(pattern: string, bucket: string, variables: boolean): string | undefined {
  if (pattern === '*') return 'x';
  const candidates: string[] = [];
  const spell = (rest: El[]) => {
    const s = rest.map((e) => (e.t === 'lit' ? e.c : e.t === 'one' ? 'x' : '')).join('');
    return s === '' ? 'x' : s;
  };
  const from = (els: El[], prefix: string) => {
    for (let i = 0; i <= els.length; i++) if (wild(els.slice(0, i), prefix, false, true)) candidates.push(spell(els.slice(i)));
  };
  from(elements(pattern, variables), `arn:aws:s3:::${bucket}/`);
  const segs = patternSegments(pattern);
  if (segs) from(elements(segs[5]!, variables), `${bucket}/`);
  return candidates.find((k) => arnMatches(pattern, `arn:aws:s3:::${bucket}/${k}`, variables, 'may'));
}
