/**
 * Bucket policies, read for one question: may an anonymous stranger read this key?
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

/** IAM wildcard match: `*` any run, `?` one character; case-sensitive for ARNs, not for actions. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  return re.test(value);
}

function coversGet(s: PolicyStatement): boolean {
  if (s.notActions.length > 0) return !s.notActions.some((a) => wildcard(a, 's3:GetObject', true));
  return s.actions.some((a) => wildcard(a, 's3:GetObject', true));
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
  return s.sid ? `statement "${s.sid}"` : `an ${s.effect} statement for everyone`;
}
