/**
 * One object judged: the visibility the rules expect against what a stranger gets (the anonymous
 * request) and what the grants say, with the fix that would make it right. Pure: every fact comes in.
 */
import type { AclGrant, CannedAcl, Ownership, PublicAccessBlock } from '../storage/audit-capability';
import type { RuleVisibility } from '../acl/visibility';
import { PRIVATE_MARKER } from '../storage/private-marker';
import type { Finding, FindingKind } from './findings';

/** What the anonymous request got, as in `probeAnonymous`. */
export type AnonymousResult = 'readable' | 'denied' | 'missing' | 'error';

/** The bucket facts an object's judgement depends on. */
export interface BucketContext {
  /** How the store sets visibility: by canned ACLs, or by the bucket policy only. */
  readonly mode: 'acl' | 'policy';
  readonly ownership: Ownership;
  readonly accessBlock?: PublicAccessBlock;
  /** Fix may make objects public that the rules say are public (never ones they say are private). */
  readonly allowMoreVisible: boolean;
}

export interface ObjectFacts {
  readonly key: string;
  readonly expected: RuleVisibility;
  /** The rule that decided, for messages (`undefined`: none matched, private by default). */
  readonly rule?: string;
  /** Private because the object carries the private marker, though its key's rule says public. */
  readonly markedPrivate?: boolean;
  readonly anonymous: AnonymousResult;
  readonly anonymousDetail?: string;
  /**
   * What a signed HEAD found, when one was made: after a 404 to the anonymous request or to the
   * ACL read, or a denial of a public object. `gone`: not there any more; `unknown`: it failed.
   */
  readonly present?: 'yes' | 'gone' | 'unknown';
  /** The grants, or `undefined` when not read (ACL checks skipped or not permitted). */
  readonly grants?: readonly AclGrant[];
  /**
   * The bucket policy statement that lets strangers read this key, if any, and whom it reaches;
   * `condition` (in words) when only requests meeting it get in (restricted), absent when a plain
   * request does (public).
   */
  readonly policyRead?: { readonly statement: string; readonly who: 'everyone' | 'authenticated'; readonly condition?: string };
  /** Whether the policy could be evaluated at all. */
  readonly policyKnown: boolean;
}

/** What would make an object right: a canned ACL, a change a person makes to the bucket policy, or nothing possible. */
export type FixPlan =
  | { readonly action: 'set-acl'; readonly acl: CannedAcl }
  | { readonly action: 'policy-change' | 'manual' | 'not-allowed'; readonly advice: string };

export interface ObjectVerdict {
  readonly finding?: Finding;
  readonly fix?: FixPlan;
}

const READS = new Set(['READ', 'FULL_CONTROL']);

function grantsRead(grants: readonly AclGrant[] | undefined, who: AclGrant['grantee']): boolean {
  return (grants ?? []).some((g) => g.grantee === who && READS.has(g.permission));
}

/**
 * Judges one object that was just listed. An object gone since the listing, or answering 404 to
 * the anonymous request, was not checked: that is a `check-failed` finding, never a silent pass.
 */
export function judgeObject(o: ObjectFacts, b: BucketContext, severity: (k: FindingKind) => Finding['severity']): ObjectVerdict {
  if (o.present === 'gone') {
    const msg = `listed, but gone when checked (deleted since the listing?): the anonymous request answered ${o.anonymous === 'error' ? `with an error (${o.anonymousDetail ?? 'unknown'})` : `HTTP ${o.anonymousDetail ?? '?'}`} and a signed HEAD finds nothing; its visibility was not checked`;
    return { finding: { kind: 'check-failed', severity: severity('check-failed'), key: o.key, message: msg } };
  }
  if (o.anonymous === 'missing') {
    const msg =
      o.present === 'yes'
        ? `the anonymous request answered HTTP 404, yet a signed HEAD finds the object: its public address does not reach it, so it is not shown ${o.expected === 'private' ? 'private' : 'readable'}`
        : 'the anonymous request answered HTTP 404 and a signed HEAD could not tell whether the object is still there: its visibility was not checked';
    return { finding: { kind: 'check-failed', severity: severity('check-failed'), key: o.key, message: msg } };
  }
  const dormant = b.ownership === 'BucketOwnerEnforced' ? 'BucketOwnerEnforced' : b.accessBlock?.ignorePublicAcls ? 'IgnorePublicAcls' : undefined;
  const aclPublic = grantsRead(o.grants, 'all-users');
  const aclAuth = grantsRead(o.grants, 'authenticated-users');
  const because = o.markedPrivate ? `its ${PRIVATE_MARKER.header}: ${PRIVATE_MARKER.value} marker (written private; the key's rule says ${o.rule?.endsWith(' restricted') ? 'restricted' : 'public'})` : o.rule ? `rule "${o.rule}"` : 'no rule matched';
  const finding = (kind: FindingKind, message: string, causes?: string[]): Finding => ({ kind, severity: severity(kind), key: o.key, message, causes });
  const aclFixable = b.mode === 'acl' && b.ownership !== 'BucketOwnerEnforced';

  if (o.anonymous === 'error') {
    return { finding: finding('check-failed', `anonymous request failed: ${o.anonymousDetail ?? 'unknown error'}`) };
  }

  if (o.expected === 'private') {
    const causes: string[] = [];
    if ((aclPublic || aclAuth) && !dormant) causes.push('acl');
    if (o.policyRead) causes.push('policy');
    if (o.anonymous === 'readable') {
      if (causes.length === 0) causes.push(o.grants === undefined || !o.policyKnown ? 'unknown' : 'other');
      const msg = `private by ${because}, but readable anonymously${describeCauses(o)}`;
      return { finding: finding('exposed', msg, causes), fix: fixPrivate(causes, o, aclFixable) };
    }
    // Denied to an anonymous request, yet any account holder gets in: authenticated-read, or a policy for any account.
    const restricted = o.policyRead?.condition !== undefined;
    const authCauses = [...(aclAuth && !dormant ? ['acl'] : []), ...(o.policyRead?.who === 'authenticated' && !restricted ? ['policy'] : [])];
    if (authCauses.length > 0) {
      const msg = `private by ${because}, anonymous read denied, but any account holder can read${describeCauses(o)}`;
      return { finding: finding('exposed-authenticated', msg, authCauses), fix: fixPrivate(authCauses, o, aclFixable) };
    }
    if (restricted) {
      // Fail closed: a request that meets the condition reads it, so it is not private.
      const who = o.policyRead!.who === 'authenticated' ? 'any account holder' : 'anyone';
      const msg = `private by ${because}, anonymous read denied here, but bucket policy ${o.policyRead!.statement} lets ${who} read it under a condition: ${o.policyRead!.condition}`;
      return { finding: finding('exposed-restricted', msg, ['policy']), fix: fixPrivate(['policy'], o, aclFixable) };
    }
    if (o.policyRead) {
      // The policy allows everyone, yet the request was denied: something (an access block) holds it back for now.
      const msg = `private by ${because} and not readable now, but bucket policy ${o.policyRead.statement} allows it to everyone: a public access block or the provider keeps it dormant`;
      return { finding: finding('latent-public-grant', msg, ['policy']), fix: fixPrivate(['policy'], o, aclFixable) };
    }
    if (aclPublic || aclAuth) {
      const msg = `private by ${because} and not readable now, but it holds a public grant that ${dormant ?? 'something (an access block, the provider)'} keeps dormant`;
      return {
        finding: finding('latent-public-grant', msg, ['acl']),
        fix: aclFixable ? { action: 'set-acl', acl: 'private' } : { action: 'manual', advice: 'ACLs are disabled (BucketOwnerEnforced): the grant cannot be removed while they are; it goes if ACLs are enabled and the object set private' },
      };
    }
    return {};
  }

  if (o.expected === 'restricted') return judgeRestricted(o, { aclPublic, aclAuth, dormant, because, aclFixable }, finding);

  return judgePublic(o, b, { aclPublic, aclAuth, dormant, because, aclFixable }, finding);
}

/** An object the rules call public: an anonymous request must read it. */
function judgePublic(o: ObjectFacts, b: BucketContext, g: GrantFacts, finding: (kind: FindingKind, message: string, causes?: string[]) => Finding): ObjectVerdict {
  if (o.anonymous === 'readable') return {};
  const causes: string[] = [];
  if (b.accessBlock?.restrictPublicBuckets || b.accessBlock?.ignorePublicAcls) causes.push('access-block');
  if (o.grants !== undefined && !g.aclPublic) causes.push('acl');
  const only = o.policyRead?.condition !== undefined ? `; bucket policy ${o.policyRead.statement} lets strangers read it only under a condition: ${o.policyRead.condition}` : '';
  const msg = `public by ${g.because}, but an anonymous request is denied (HTTP ${o.anonymousDetail ?? '403'})${only}`;
  return { finding: finding('not-readable', msg, causes.length ? causes : ['unknown']), fix: fixPublic(b, g.aclFixable) };
}

/** What the object-level judgement found of its grants, and how to word and fix a finding. */
interface GrantFacts {
  readonly aclPublic: boolean;
  readonly aclAuth: boolean;
  readonly dormant?: string;
  readonly because: string;
  readonly aclFixable: boolean;
}

/**
 * An object a restricted rule covers: strangers may read it only under a bucket policy condition.
 * Read without condition (a policy statement a plain request meets, a live ACL grant to strangers,
 * or an anonymous read nothing but such a grant explains) is an error; a private object, which no
 * condition opens, is a warning (nothing is exposed, but the readers the rule declares are shut
 * out); as declared, a notice naming the condition.
 */
function judgeRestricted(o: ObjectFacts, g: GrantFacts, finding: (kind: FindingKind, message: string, causes?: string[]) => Finding): ObjectVerdict {
  const rule = `restricted by ${g.because}`;
  const condition = o.policyRead?.condition;
  const causes = [...((g.aclPublic || g.aclAuth) && !g.dormant ? ['acl'] : []), ...(o.policyRead && condition === undefined ? ['policy'] : [])];
  if (causes.length > 0) {
    const fix: FixPlan = causes.includes('policy')
      ? { action: 'policy-change', advice: `bucket policy ${o.policyRead!.statement} lets strangers read this key without condition: add the intended condition (such as IpAddress aws:SourceIp) to it, or narrow its Resource` }
      : fixPrivate(causes, o, g.aclFixable);
    return { finding: finding('unrestricted', `${rule}, but strangers read it without any condition${describeCauses(o)}`, causes), fix };
  }
  if (condition !== undefined) {
    if (o.anonymous === 'readable' && o.grants === undefined && !g.dormant) {
      return { finding: finding('check-failed', `${rule}: readable from here, which the policy's condition may explain (${condition}), but the ACLs were not read, so a grant to everyone cannot be ruled out`) };
    }
    const here = o.anonymous === 'readable' ? ' (this runner meets it)' : '';
    return { finding: finding('restricted', `${rule}: bucket policy ${o.policyRead!.statement} lets ${o.policyRead!.who === 'authenticated' ? 'any account holder' : 'anyone'} read it only under a condition${here}: ${condition}`, ['policy']) };
  }
  if (!o.policyKnown) {
    return { finding: finding('check-failed', `${rule}, but the bucket policy could not be read, so a condition cannot be told from an unconditional grant (anonymous request: ${o.anonymous})`) };
  }
  if (o.anonymous === 'readable') {
    return { finding: finding('unrestricted', `${rule}, but readable anonymously and no bucket policy condition explains it`, ['unknown']), fix: fixPrivate(['unknown'], o, g.aclFixable) };
  }
  const advice = 'the bucket policy must allow s3:GetObject on this key for Principal "*" under the intended condition (such as IpAddress aws:SourceIp)';
  return { finding: finding('not-readable', `${rule}, but no bucket policy statement lets strangers read it under any condition: it is private`, ['policy']), fix: { action: 'policy-change', advice } };
}

function describeCauses(o: ObjectFacts): string {
  const parts: string[] = [];
  if (grantsRead(o.grants, 'all-users')) parts.push('an ACL grant to AllUsers');
  if (grantsRead(o.grants, 'authenticated-users')) parts.push('an ACL grant to AuthenticatedUsers (any account holder)');
  if (o.policyRead) {
    const condition = o.policyRead.condition !== undefined ? `, under a condition: ${o.policyRead.condition}` : '';
    parts.push(`bucket policy ${o.policyRead.statement}${o.policyRead.who === 'authenticated' ? ' (any account holder)' : ''}${condition}`);
  }
  return parts.length ? ` through ${parts.join(' and ')}` : '';
}

function fixPrivate(causes: readonly string[], o: ObjectFacts, aclFixable: boolean): FixPlan {
  if (causes.includes('policy')) {
    return {
      action: 'policy-change',
      advice: `bucket policy ${o.policyRead!.statement} lets strangers read this key: narrow its Resource, add the key to its NotResource, or add a Deny for it`,
    };
  }
  if (causes.includes('acl')) {
    return aclFixable ? { action: 'set-acl', acl: 'private' } : { action: 'manual', advice: 'the store is in policy mode: remove the public grant, or change the bucket policy' };
  }
  return { action: 'manual', advice: 'neither its grants nor the bucket policy explain it: look at the provider\'s settings (account-wide policies, CDN, website hosting)' };
}

function fixPublic(b: BucketContext, aclFixable: boolean): FixPlan {
  if (!aclFixable) return { action: 'policy-change', advice: 'the store is in policy mode: the bucket policy must allow s3:GetObject on this key for Principal "*"' };
  if (b.accessBlock?.ignorePublicAcls || b.accessBlock?.blockPublicAcls || b.accessBlock?.restrictPublicBuckets) {
    return { action: 'manual', advice: 'the public access block refuses or ignores public ACLs: relax it, or serve public objects another way' };
  }
  if (!b.allowMoreVisible) return { action: 'not-allowed', advice: 'setting it public-read makes it more visible; allowed only with allow-more-visible: true' };
  return { action: 'set-acl', acl: 'public-read' };
}
