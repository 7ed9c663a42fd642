/**
 * The bucket half of an audit: settings read through the audit capability, judged against the
 * expectations. Each setting that cannot be read is a finding, never a silent pass.
 */
import { parseBucketPolicy, policyExposures, describeStatement, type ParsedPolicy } from '../acl/bucket-policy';
import { ConfigurationError } from '../config/configuration-error';
import type { AclGrant, AuditCapability, LifecycleRule, Ownership, PublicAccessBlock, Versioning } from '../storage/audit-capability';
import { StoreError } from '../errors';
import type { BucketPolicyState } from '../storage/object-store';
import { lifecycleRuleMeeting, type AclChecks, type LifecycleExpectation, type VersioningExpectation } from './expectations';
import { severityOf, type Finding, type FindingKind } from './findings';

export interface BucketExpectations {
  readonly lifecycle: readonly LifecycleExpectation[];
  readonly versioning: VersioningExpectation;
  readonly settingSeverity: 'warning' | 'error';
  readonly aclChecks: AclChecks;
}

/** The settings as read; `undefined` where they could not be read. */
export interface BucketFacts {
  readonly accessBlock?: PublicAccessBlock | 'none';
  readonly ownership: Ownership;
  readonly versioning?: Versioning;
  readonly lifecycle?: readonly LifecycleRule[];
  readonly bucketAcl?: readonly AclGrant[];
  readonly policy: 'none' | 'document' | 'unreadable' | 'malformed';
  readonly policyExposures: readonly { statement: string; who: string; access: string; scope: string; conditional: boolean }[];
}

export interface BucketCheck {
  readonly facts: BucketFacts;
  readonly findings: readonly Finding[];
  /** The parsed policy, for per-object evaluation; `undefined` when there is none or it is unknown. */
  readonly policy?: ParsedPolicy;
  readonly policyKnown: boolean;
  /** False when ACLs proved unreadable (auto mode): objects are then checked anonymously only. */
  readonly aclReadable: boolean;
}

/** Thrown with acl-checks: required when the credentials cannot read ACLs. */
export function aclRequiredError(e: StoreError): ConfigurationError {
  return new ConfigurationError(`input "acl-checks" is "required", but the credentials cannot read ACLs: ${e.message}. Grant that permission, or set acl-checks: auto to go on with anonymous checks only`);
}

export async function checkBucket(cap: AuditCapability | undefined, bucket: string, policyState: BucketPolicyState, x: BucketExpectations): Promise<BucketCheck> {
  const findings: Finding[] = [];
  const add = (kind: FindingKind, message: string) => findings.push({ kind, severity: severityOf(kind, x.settingSeverity), message });
  const read = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      add('setting-unreadable', `${what} could not be read: ${e.message}`);
      return undefined;
    }
  };

  // Policy: parsed from what preflight read.
  let policy: ParsedPolicy | undefined;
  let policyFact: BucketFacts['policy'] = 'none';
  let policyKnown = true;
  if (policyState.kind === 'unknown') {
    policyFact = 'unreadable';
    policyKnown = false;
    add('policy-unreadable', `the bucket policy could not be read (${policyState.reason}); objects are still checked anonymously`);
  } else if (policyState.kind === 'document') {
    try {
      policy = parseBucketPolicy(policyState.text);
      policyFact = 'document';
    } catch (e) {
      if (!(e instanceof ConfigurationError)) throw e;
      policyFact = 'malformed';
      policyKnown = false;
      add('policy-malformed', `${e.message}; objects are still checked anonymously`);
    }
  }
  const exposures = policy ? policyExposures(policy, bucket) : [];
  for (const p of exposures) {
    const who = p.who === 'everyone' ? 'anyone (anonymous included)' : 'any account holder';
    const name = p.statement.sid ? describeStatement(p.statement) : `statement ${p.index}`;
    if (p.access === 'write') add('public-write', `bucket policy ${name} lets ${who} write or change the bucket (${p.scope})${p.conditional ? ', under a condition' : ''}`);
    if (p.access === 'list') add('public-list', `bucket policy ${name} lets ${who} list the bucket${p.conditional ? ', under a condition' : ''}`);
  }

  let aclReadable = x.aclChecks !== 'skip' && cap !== undefined;
  let bucketAcl: readonly AclGrant[] | undefined;
  if (cap && x.aclChecks !== 'skip') {
    try {
      bucketAcl = await cap.bucketAcl();
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      if (e.kind === 'access-denied' && x.aclChecks === 'required') throw aclRequiredError(e);
      if (e.kind === 'access-denied') aclReadable = false;
      add(e.kind === 'access-denied' ? 'acl-unreadable' : 'setting-unreadable', `the bucket ACL could not be read: ${e.message}`);
    }
    for (const g of bucketAcl ?? []) {
      if (g.grantee !== 'all-users' && g.grantee !== 'authenticated-users') continue;
      const who = g.grantee === 'all-users' ? 'AllUsers (anyone)' : 'AuthenticatedUsers (any account holder)';
      if (g.permission === 'READ') add('public-list', `the bucket ACL grants READ (listing) to ${who}`);
      else add('public-write', `the bucket ACL grants ${g.permission} to ${who}`);
    }
  }

  const accessBlock = cap ? await read('the public access block', async () => (await cap.publicAccessBlock()) ?? ('none' as const)) : undefined;
  const ownership = cap ? await cap.ownership() : 'unknown';
  const versioning = cap ? await read('versioning', () => cap.versioning()) : undefined;
  const lifecycle = cap && x.lifecycle.length > 0 ? await read('the lifecycle configuration', () => cap.lifecycle()) : undefined;

  if (versioning !== undefined && x.versioning !== 'any' && versioning !== x.versioning) {
    add('versioning-mismatch', `versioning is ${versioning}; expected ${x.versioning}`);
  }
  if (lifecycle !== undefined) {
    for (const e of x.lifecycle) {
      if (lifecycleRuleMeeting(lifecycle, e)) continue;
      const where = e.prefix === '' ? 'every object' : `objects under ${JSON.stringify(e.prefix)}`;
      const have = lifecycle.length === 0 ? 'the bucket has no lifecycle rules' : `rules: ${lifecycle.map(describeRule).join('; ')}`;
      add('lifecycle-mismatch', `no enabled lifecycle rule expires ${where} within ${e.days} days (${have})`);
    }
  }

  return {
    facts: {
      accessBlock,
      ownership,
      versioning,
      lifecycle,
      bucketAcl,
      policy: policyFact,
      policyExposures: exposures.map((p) => ({
        statement: p.statement.sid ?? `#${p.index}`,
        who: p.who,
        access: p.access,
        scope: p.scope,
        conditional: p.conditional,
      })),
    },
    findings,
    policy,
    policyKnown,
    aclReadable,
  };
}

function describeRule(r: LifecycleRule): string {
  const what = r.prefix === undefined ? 'a filtered rule' : r.prefix === '' ? 'whole bucket' : `prefix ${JSON.stringify(r.prefix)}`;
  return `${r.id ?? 'unnamed'} (${what}, ${r.enabled ? 'enabled' : 'disabled'}, ${r.expirationDays === undefined ? 'no expiry in days' : `expires after ${r.expirationDays} days`})`;
}
