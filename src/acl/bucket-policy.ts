/**
 * Bucket policies, read for two questions: may a stranger (anonymous, or any account holder of the
 * provider) read this key? And, for an audit: which statements let strangers read, list or write
 * which keys of a bucket?
 *
 * Evaluation follows AWS's policy evaluation logic (an applicable Deny wins over any Allow; no Allow
 * means no access) and fails closed wherever it cannot be certain, so it may call a key readable that
 * is not, never the reverse. An Allow counts when it **may** apply to the stranger, a Deny only when
 * it **must**:
 *
 * - Condition: a conditional Allow counts (some request meets it); a conditional Deny never makes a
 *   key private. Which requests a condition lets in is the third answer, `strangerReadAccess`:
 *   `public` (a plain request gets in, see policy-conditions.ts), `restricted` (only requests that
 *   meet a condition do: an address range, a VPC endpoint, a Referer), or `private`. There a
 *   conditional Deny holds plain requests back only when a plain request certainly meets it
 *   (`NotIpAddress`), so an Allow for everyone with such a Deny is restricted, not private.
 * - Principal: `"*"` and `{"AWS": "*"}` (alone or in a list) are everyone, for certain. Entries whose
 *   reach is not documented count for an Allow and not for a Deny: `{"CanonicalUser": "*"}` (everyone),
 *   and, for account holders, any wildcard in an AWS, CanonicalUser or Service value and any
 *   `Federated` identity provider (anyone can hold an account there).
 * - NotPrincipal: the statement applies to everyone it does not certainly exclude (Allow), or only to
 *   those it certainly does not exclude (Deny): `NotPrincipal: {"AWS": "*"}` applies to nobody, a
 *   NotPrincipal listing named accounts applies to every stranger.
 * - Action / NotAction: exact, case-insensitive, with `*` and `?`.
 * - Resource / NotResource: `*` and `?` match any code point, line breaks and NUL included. An ARN
 *   is matched segment by segment (partition, service, region and account case-insensitively; a
 *   short ARN with a wildcard as if the missing segments were `*`) or as one string; an Allow counts
 *   when either reading matches, a Deny when both do. (Stores differ here: in a Resource such as
 *   `arn:aws:s3:::*` followed by `/rhel*`, RGW 16 lets that `*` match the bucket name only, AWS
 *   lets it run on into the key.) A policy variable
 *   (Version 2012-10-17) matches anything for an Allow and makes a Deny uncertain.
 *
 * A policy that cannot be parsed is an error, never "no".
 */
import { parseBucketPolicy, type ParsedPolicy, type PolicyStatement, type PrincipalEntry } from './policy-document';
import { compilePattern, matchesEveryExtension, matchesSomeExtension, matchTokens, type CompiledPattern } from './iam-pattern';
import { describeConditions, plainMayMeet, plainMustMeet } from './policy-conditions';

export { parseBucketPolicy, describeConditions, type ParsedPolicy, type PolicyStatement, type PrincipalEntry };

/** Who asks: an unsigned request, or any account holder the policy does not name. */
type Who = 'anonymous' | 'stranger';
/** `may`: could apply (what a grant needs to count); `must`: certainly applies (what a denial needs to protect). */
type Mode = 'may' | 'must';
const opposite = (m: Mode): Mode => (m === 'may' ? 'must' : 'may');

function entryCovers(e: PrincipalEntry, who: Who, mode: Mode): boolean {
  if (e.type === '*' || (e.type === 'AWS' && e.value === '*')) return true;
  if (mode === 'must') return false;
  const wildcard = /[*?]/.test(e.value);
  // Whether AWS reads CanonicalUser "*" as everyone is not documented: count it as everyone.
  if (e.type === 'CanonicalUser') return wildcard;
  if (who === 'anonymous') return false;
  // Anyone can hold an account at an identity provider, or be an account a wildcard ARN reaches.
  if (e.type === 'Federated') return true;
  return wildcard;
}

/** Whether the statement applies to `who`, in `mode`. */
function principalApplies(s: PolicyStatement, who: Who, mode: Mode): boolean {
  if (!s.notPrincipal) return s.principals.some((e) => entryCovers(e, who, mode));
  // NotPrincipal: everyone but those listed. It may apply unless it certainly excludes `who`, and
  // certainly applies only when no entry could exclude `who`.
  return !s.principals.some((e) => entryCovers(e, who, opposite(mode)));
}

/** Who an Allow statement may reach: `everyone` (anonymous included), `authenticated` (any account holder), or `named` principals only. */
export function principalScope(s: PolicyStatement): 'everyone' | 'authenticated' | 'named' {
  return principalApplies(s, 'anonymous', 'may') ? 'everyone' : principalApplies(s, 'stranger', 'may') ? 'authenticated' : 'named';
}

function actionMatches(pattern: string, action: string): boolean {
  return matchTokens(compilePattern(pattern, false, 'may')!, action, true);
}

function coversAction(s: PolicyStatement, action: string): boolean {
  if (s.notActions.length > 0) return !s.notActions.some((a) => actionMatches(a, action));
  return s.actions.some((a) => actionMatches(a, action));
}

/** The six segments of an ARN: partition and the rest split at the first five colons. */
function arnSegments(arn: string): string[] {
  const parts = arn.split(':');
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** A Resource pattern, compiled for both readings (segments, whole string) and both modes. */
interface ResourcePattern {
  readonly all: boolean;
  /** Per mode: the six segment patterns (undefined: the segment reading never matches) and the whole-string pattern. */
  readonly may: { readonly segments?: readonly CompiledPattern[]; readonly whole: CompiledPattern };
  readonly must: { readonly segments?: readonly CompiledPattern[]; readonly whole: CompiledPattern };
}

function compileResource(pattern: string, variables: boolean): ResourcePattern {
  const parts = pattern.split(':');
  const full = parts.length >= 6;
  // A short ARN matches, in the segment reading, only with a wildcard, as if padded with `*` segments.
  const segments = full ? arnSegments(pattern) : pattern.includes('*') ? [...parts, ...Array<string>(6 - parts.length).fill('*')] : undefined;
  const build = (mode: Mode, withSegments: boolean) => ({
    segments: withSegments ? segments?.map((seg) => compilePattern(seg, variables, mode)) : undefined,
    whole: compilePattern(pattern, variables, mode),
  });
  // Only a full ARN is certain to be read segment by segment as written.
  return { all: pattern === '*', may: build('may', true), must: build('must', full) };
}

const ARN_PREFIX = ['arn', 'aws', 's3', '', ''];

function segmentsMatch(segments: readonly CompiledPattern[] | undefined, arn: readonly string[], ignoreCase: boolean): boolean {
  return segments !== undefined && segments.every((p, i) => p !== undefined && matchTokens(p, arn[i]!, i < 5 && ignoreCase));
}

function resourceMatches(r: ResourcePattern, arn: string, mode: Mode): boolean {
  if (r.all) return true;
  const segs = arnSegments(arn);
  if (mode === 'may') return segmentsMatch(r.may.segments, segs, true) || matchTokens(r.may.whole!, arn);
  return segmentsMatch(r.must.segments, segs, false) && r.must.whole !== undefined && matchTokens(r.must.whole, arn);
}

/** Whether the pattern may match the ARN of some object of `bucket`. */
function mayMatchSomeObject(r: ResourcePattern, bucket: string): boolean {
  if (r.all) return true;
  const s = r.may.segments;
  const bySegments = s !== undefined && ARN_PREFIX.every((v, i) => matchTokens(s[i]!, v, true)) && matchesSomeExtension(s[5]!, `${bucket}/`);
  return bySegments || matchesSomeExtension(r.may.whole!, `arn:aws:s3:::${bucket}/`);
}

/** Whether the pattern must match the ARN of every object of `bucket`. */
function mustMatchEveryObject(r: ResourcePattern, bucket: string): boolean {
  if (r.all) return true;
  const s = r.must.segments;
  if (s === undefined || r.must.whole === undefined || s.some((p) => p === undefined)) return false;
  return ARN_PREFIX.every((v, i) => matchTokens(s[i]!, v)) && matchesEveryExtension(s[5]!, `${bucket}/`) && matchesEveryExtension(r.must.whole, `arn:aws:s3:::${bucket}/`);
}

/** Compiled resource patterns, per statement of a parsed policy. */
const compiled = new WeakMap<PolicyStatement, { resources: ResourcePattern[]; notResources: ResourcePattern[] }>();
function patternsOf(policy: ParsedPolicy, s: PolicyStatement): { resources: ResourcePattern[]; notResources: ResourcePattern[] } {
  let c = compiled.get(s);
  if (!c) {
    c = { resources: s.resources.map((r) => compileResource(r, policy.variables)), notResources: s.notResources.map((r) => compileResource(r, policy.variables)) };
    compiled.set(s, c);
  }
  return c;
}

function coversResource(policy: ParsedPolicy, s: PolicyStatement, arn: string, mode: Mode): boolean {
  const c = patternsOf(policy, s);
  if (s.notResources.length > 0) return !c.notResources.some((r) => resourceMatches(r, arn, opposite(mode)));
  return c.resources.some((r) => resourceMatches(r, arn, mode));
}

/** Whether the statement may reach some object of `bucket`. */
function coversSomeObject(policy: ParsedPolicy, s: PolicyStatement, bucket: string): boolean {
  const c = patternsOf(policy, s);
  if (s.notResources.length > 0) return !c.notResources.some((r) => mustMatchEveryObject(r, bucket));
  return c.resources.some((r) => mayMatchSomeObject(r, bucket));
}

/** The verdict for one key, with the statement that decided it. */
export interface AnonymousReadVerdict {
  readonly readable: boolean;
  readonly statement?: PolicyStatement;
}

/**
 * The verdict for `who` asking `action` on `arn`: for some request (`any`), or for a plain request
 * (`plain`: an Allow counts only if a plain request may meet its condition, and a conditional Deny
 * protects when a plain request must meet it).
 */
function evaluate(policy: ParsedPolicy, who: Who, action: string, arn: string, request: 'any' | 'plain' = 'any'): AnonymousReadVerdict {
  const denyHolds = (s: PolicyStatement) => (request === 'any' ? !s.conditional : plainMustMeet(s));
  const allowHolds = (s: PolicyStatement) => request === 'any' || plainMayMeet(s);
  const deny = policy.statements.find(
    (s) => s.effect === 'Deny' && denyHolds(s) && principalApplies(s, who, 'must') && coversAction(s, action) && coversResource(policy, s, arn, 'must'),
  );
  if (deny) return { readable: false, statement: deny };
  const allow = policy.statements.find(
    (s) => s.effect === 'Allow' && allowHolds(s) && principalApplies(s, who, 'may') && coversAction(s, action) && coversResource(policy, s, arn, 'may'),
  );
  return allow ? { readable: true, statement: allow } : { readable: false };
}

/**
 * The actions that read an object. A GET with a versionId (`null` reads any object of an unversioned
 * bucket) is authorized by s3:GetObjectVersion alone, without s3:GetObject.
 */
export const READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'] as const;

const coversRead = (s: PolicyStatement) => READ_ACTIONS.some((a) => coversAction(s, a));

/** The widest verdict over the read actions: readable when one is; else the first that a statement decided. */
function evaluateRead(policy: ParsedPolicy, who: Who, arn: string, request: 'any' | 'plain' = 'any'): AnonymousReadVerdict & { readonly held: readonly PolicyStatement[] } {
  const held: PolicyStatement[] = [];
  for (const action of READ_ACTIONS) {
    const v = evaluate(policy, who, action, arn, request);
    if (v.readable) return { ...v, held };
    if (v.statement) held.push(v.statement);
  }
  return held.length > 0 ? { readable: false, statement: held[0], held } : { readable: false, held };
}

/** May an anonymous stranger read `key` in `bucket` under this policy, by any read action? */
export function anonymousReadAllowed(policy: ParsedPolicy, bucket: string, key: string): AnonymousReadVerdict {
  const { readable, statement } = evaluateRead(policy, 'anonymous', `arn:aws:s3:::${bucket}/${key}`);
  return statement ? { readable, statement } : { readable };
}

/** A short description of a statement for messages. */
export function describeStatement(s: PolicyStatement): string {
  const scope = principalScope(s);
  return s.sid ? `statement "${s.sid}"` : `an ${s.effect} statement for ${scope === 'authenticated' ? 'any account holder' : scope === 'everyone' ? 'everyone' : 'named principals'}`;
}

/** A statement by its Sid, or its position: `statement "PublicRead"`, `statement 2`. */
export function statementName(s: PolicyStatement): string {
  return s.sid ? `statement "${s.sid}"` : `statement ${s.index}`;
}

/** May a stranger, anonymous or any account holder, read `key`? Authenticated-only grants count: anyone can open an account. */
export function strangerReadAllowed(policy: ParsedPolicy, bucket: string, key: string): AnonymousReadVerdict & { readonly who?: 'everyone' | 'authenticated' } {
  const arn = `arn:aws:s3:::${bucket}/${key}`;
  const anonymous = anonymousReadAllowed(policy, bucket, key);
  if (anonymous.readable) return { ...anonymous, who: 'everyone' };
  const { readable, statement } = evaluateRead(policy, 'stranger', arn);
  return { readable, ...(statement ? { statement } : {}), ...(readable ? { who: 'authenticated' as const } : {}) };
}

/** How far strangers may read a key: without condition, only under one, or not at all. */
export type ReadAccess = 'public' | 'restricted' | 'private';

export interface StrangerReadAccess {
  readonly access: ReadAccess;
  /** Whom the widest access reaches: anyone (anonymous included) or any account holder. */
  readonly who?: 'everyone' | 'authenticated';
  /** The Allow that grants it. */
  readonly statement?: PolicyStatement;
  /** For `restricted`: the condition a request must meet, in words (operator, key, values). */
  readonly condition?: string;
}

/**
 * How far a stranger may read `key`: `public` when a plain request (anonymous, or of any account
 * holder) may get in, `restricted` when only a request that meets a condition may, `private` when
 * none may. Never less than the truth: `restricted` needs every Allow that may reach a plain request
 * to be held back, and `private` is `strangerReadAllowed` saying no.
 */
export function strangerReadAccess(policy: ParsedPolicy, bucket: string, key: string): StrangerReadAccess {
  const arn = `arn:aws:s3:::${bucket}/${key}`;
  const held: PolicyStatement[] = [];
  for (const [who, as] of [['anonymous', 'everyone'], ['stranger', 'authenticated']] as const) {
    const v = evaluateRead(policy, who, arn, 'plain');
    if (v.readable) return { access: 'public', who: as, statement: v.statement };
    held.push(...v.held);
  }
  const any = strangerReadAllowed(policy, bucket, key);
  if (!any.readable) return { access: 'private' };
  // Every Allow that may let some request in, each with what a request must meet.
  const who: Who = any.who === 'everyone' ? 'anonymous' : 'stranger';
  const allows = policy.statements.filter(
    (s) => s.effect === 'Allow' && principalApplies(s, who, 'may') && coversRead(s) && coversResource(policy, s, arn, 'may'),
  );
  const ways = allows.map((s) => {
    const name = statementName(s);
    if (!plainMayMeet(s)) return `${describeConditions(s.conditions)} (${name})`;
    // Met by a plain request, so a conditional Deny holds it back: a request gets in where that Deny's condition fails.
    const deny = held.find((d) => d.conditional);
    return deny ? `not ${describeConditions(deny.conditions)} (${name}, held back by Deny ${statementName(deny)})` : `(${name})`;
  });
  return { access: 'restricted', who: any.who, statement: any.statement, condition: ways.join(' or ') };
}

/** Something a statement lets strangers do. */
export interface PolicyExposure {
  readonly statement: PolicyStatement;
  /** 1-based position in the Statement list, for statements without a Sid. */
  readonly index: number;
  readonly who: 'everyone' | 'authenticated';
  readonly access: 'read' | 'list' | 'write';
  /** Which keys, in words: `keys matching arn:...`, or `every key except ...` for NotResource. */
  readonly scope: string;
  readonly conditional: boolean;
  /** The condition in words, when a plain request does not meet it (only requests that meet it get in). */
  readonly condition?: string;
}

const OBJECT_WRITES = ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectAcl'];
const BUCKET_WRITES = ['s3:PutBucketPolicy', 's3:PutBucketAcl', 's3:DeleteBucket', 's3:DeleteBucketPolicy'];

/**
 * Every Allow that may reach strangers, by access, for `bucket`. Fails closed: `NotAction` counts for
 * every action it does not name, `NotResource` for every key it does not certainly exclude, a
 * condition does not make a statement safe, and any Resource that can match an object of the bucket
 * counts (`arn:aws:s3:::*`/rhel*, `arn:aws:s3:::b?cket/*`, `*`, `arn:aws:s3:*:*:b/*`). Denies are not
 * subtracted: a statement is an exposure in its own right. Statements that reach no object or the
 * bucket itself are left out.
 */
export function policyExposures(policy: ParsedPolicy, bucket: string): PolicyExposure[] {
  const out: PolicyExposure[] = [];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  for (const s of policy.statements) {
    if (s.effect !== 'Allow') continue;
    const who = principalScope(s);
    if (who === 'named') continue;
    const scope = s.notResources.length > 0 ? `every key except ${s.notResources.join(', ')}` : `keys matching ${s.resources.join(', ')}`;
    const condition = plainMayMeet(s) ? undefined : describeConditions(s.conditions);
    const base = { statement: s, index: s.index, who, scope, conditional: s.conditional, condition } as const;
    const objects = coversSomeObject(policy, s, bucket);
    const theBucket = coversResource(policy, s, bucketArn, 'may');
    if (objects && coversRead(s)) out.push({ ...base, access: 'read' });
    if (theBucket && coversAction(s, 's3:ListBucket')) out.push({ ...base, access: 'list', scope: `the listing of ${bucket}` });
    if ((objects && OBJECT_WRITES.some((a) => coversAction(s, a))) || (theBucket && BUCKET_WRITES.some((a) => coversAction(s, a)))) out.push({ ...base, access: 'write' });
  }
  return out;
}
