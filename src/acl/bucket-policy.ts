/**
 * Bucket policies, read for two questions: may an anonymous stranger read this key? And, for an
 * audit: which statements let strangers (anonymous, or any account holder of the provider) read,
 * list or write which keys?
 *
 * Evaluation fails closed. A statement counts when its principal covers everyone (`"*"` or
 * `{"AWS": "*"}`), its action covers s3:GetObject, and its Resource (or NotResource) covers the key.
 * A conditional Allow counts as an Allow (some stranger meets the condition); only an
 * unconditional Deny counts as a Deny. A policy that cannot be parsed is an error, never "no".
 */
import { ConfigurationError } from '../config/configuration-error';

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** True when the principal is everyone. */
  readonly everyone: boolean;
  /**
   * Who the principal covers, at most: `everyone` (anonymous included), `authenticated` (any account
   * holder: an ARN with a wildcard account or user, such as `arn:aws:iam::*:root`), or `named` accounts.
   */
  readonly principal: 'everyone' | 'authenticated' | 'named';
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  readonly conditional: boolean;
}

export interface ParsedPolicy {
  readonly statements: readonly PolicyStatement[];
}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Parses a policy document. Throws `ConfigurationError` for JSON that is not a policy. */
export function parseBucketPolicy(text: string): ParsedPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ConfigurationError('the bucket policy is not valid JSON');
  }
  const raw = (doc as { Statement?: unknown })?.Statement;
  if (raw === undefined) throw new ConfigurationError('the bucket policy has no Statement');
  const list = Array.isArray(raw) ? raw : [raw];
  return {
    statements: list.map((s: Record<string, unknown>, i) => {
      const effect = s.Effect;
      if (effect !== 'Allow' && effect !== 'Deny') throw new ConfigurationError(`bucket policy statement ${i + 1} has Effect ${JSON.stringify(effect)}; allowed: Allow, Deny`);
      return {
        sid: typeof s.Sid === 'string' ? s.Sid : undefined,
        effect,
        everyone: coversEveryone(s.Principal, s.NotPrincipal),
        principal: principalScope(s.Principal, s.NotPrincipal),
        actions: asList(s.Action),
        notActions: asList(s.NotAction),
        resources: asList(s.Resource),
        notResources: asList(s.NotResource),
        conditional: s.Condition !== undefined && Object.keys(s.Condition as object).length > 0,
      };
    }),
  };
}

function coversEveryone(principal: unknown, notPrincipal: unknown): boolean {
  // NotPrincipal applies to everyone except the listed ones: strangers included.
  if (notPrincipal !== undefined) return true;
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') {
    const aws = (principal as Record<string, unknown>).AWS;
    return asList(aws).includes('*');
  }
  return false;
}

function principalScope(principal: unknown, notPrincipal: unknown): PolicyStatement['principal'] {
  if (coversEveryone(principal, notPrincipal)) return 'everyone';
  if (principal && typeof principal === 'object') {
    // Any wildcard in a principal ARN (or a CanonicalUser/Federated "*") reaches accounts nobody named.
    const values = Object.values(principal as Record<string, unknown>).flatMap(asList);
    if (values.some((v) => v.includes('*'))) return 'authenticated';
  }
  return 'named';
}

/** IAM wildcard match: `*` any run, `?` one character; case-sensitive for ARNs, not for actions. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  return re.test(value);
}

function coversAction(s: PolicyStatement, action: string): boolean {
  if (s.notActions.length > 0) return !s.notActions.some((a) => wildcard(a, action, true));
  return s.actions.some((a) => wildcard(a, action, true));
}

function coversGet(s: PolicyStatement): boolean {
  return coversAction(s, 's3:GetObject');
}

function coversKey(s: PolicyStatement, arn: string): boolean {
  if (s.notResources.length > 0) return !s.notResources.some((r) => wildcard(r, arn, false));
  return s.resources.some((r) => wildcard(r, arn, false));
}

/** The verdict for one key, with the statement that decided it. */
export interface AnonymousReadVerdict {
  readonly readable: boolean;
  readonly statement?: PolicyStatement;
}

/** May an anonymous stranger read `key` in `bucket` under this policy? */
export function anonymousReadAllowed(policy: ParsedPolicy, bucket: string, key: string): AnonymousReadVerdict {
  const arn = `arn:aws:s3:::${bucket}/${key}`;
  const relevant = policy.statements.filter((s) => s.everyone && coversGet(s) && coversKey(s, arn));
  const deny = relevant.find((s) => s.effect === 'Deny' && !s.conditional);
  if (deny) return { readable: false, statement: deny };
  const allow = relevant.find((s) => s.effect === 'Allow');
  return allow ? { readable: true, statement: allow } : { readable: false };
}

/** A short description of a statement for messages. */
export function describeStatement(s: PolicyStatement): string {
  return s.sid ? `statement "${s.sid}"` : `an ${s.effect} statement for ${s.principal === 'authenticated' ? 'any account holder' : 'everyone'}`;
}

/** May a stranger, anonymous or any account holder, read `key`? Authenticated-only grants count: anyone can open an account. */
export function strangerReadAllowed(policy: ParsedPolicy, bucket: string, key: string): AnonymousReadVerdict & { readonly who?: 'everyone' | 'authenticated' } {
  const arn = `arn:aws:s3:::${bucket}/${key}`;
  const relevant = policy.statements.filter((s) => s.principal !== 'named' && coversGet(s) && coversKey(s, arn));
  // Only a Deny that reaches everyone protects against every stranger.
  const deny = relevant.find((s) => s.effect === 'Deny' && !s.conditional && s.principal === 'everyone');
  if (deny) return { readable: false, statement: deny };
  const allow = relevant.find((s) => s.effect === 'Allow');
  return allow ? { readable: true, statement: allow, who: allow.principal === 'everyone' ? 'everyone' : 'authenticated' } : { readable: false };
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
}

const WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:PutObjectAcl', 's3:PutBucketPolicy', 's3:PutBucketAcl', 's3:DeleteBucket', 's3:DeleteBucketPolicy'];

/**
 * Every Allow that reaches strangers, by access. Fails closed: `NotAction` counts for every action
 * it does not name, `NotResource` for every key it does not name, a condition does not make a
 * statement safe. Statements for other buckets are left out.
 */
export function policyExposures(policy: ParsedPolicy, bucket: string): PolicyExposure[] {
  const out: PolicyExposure[] = [];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const inBucket = (s: PolicyStatement) =>
    s.notResources.length > 0 ? true : s.resources.some((r) => wildcard(r, `${bucketArn}/x`, false) || wildcard(r, bucketArn, false) || r.startsWith(`${bucketArn}/`));
  policy.statements.forEach((s, i) => {
    if (s.effect !== 'Allow' || s.principal === 'named' || !inBucket(s)) return;
    const who = s.principal;
    const scope = s.notResources.length > 0 ? `every key except ${s.notResources.join(', ')}` : `keys matching ${s.resources.join(', ')}`;
    const base = { statement: s, index: i + 1, who, scope, conditional: s.conditional } as const;
    if (coversAction(s, 's3:GetObject')) out.push({ ...base, access: 'read' });
    if (coversAction(s, 's3:ListBucket') && coversKey(s, bucketArn)) out.push({ ...base, access: 'list', scope: `the listing of ${bucket}` });
    if (WRITE_ACTIONS.some((a) => coversAction(s, a))) out.push({ ...base, access: 'write' });
  });
  return out;
}
