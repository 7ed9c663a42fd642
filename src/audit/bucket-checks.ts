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
  /** `condition`: in words, when only requests that meet it get in (restricted access). */
  readonly policyExposures: readonly { statement: string; who: string; access: string; scope: string; conditional: boolean; condition?: string }[];
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

/** Adds a bucket finding of a kind, at the severity the expectations give settings. */
type AddFinding = (kind: FindingKind, message: string) => void;

export async function checkBucket(cap: AuditCapability | undefined, bucket: string, policyState: BucketPolicyState, expectations: BucketExpectations): Promise<BucketCheck> {
  const findings: Finding[] = [];
  const add: AddFinding = (kind, message) => findings.push({ kind, severity: severityOf(kind, expectations.settingSeverity), message });

  // Policy: parsed from what preflight read.
  const { policy, policyFact, policyKnown } = readPolicy(policyState, add);
  const exposures = policy ? policyExposures(policy, bucket) : [];
  reportExposures(exposures, add);
  const { aclReadable, bucketAcl } = await checkBucketAcl(cap, expectations.aclChecks, add);
  const settings = await readSettings(cap, expectations, add);
  compareSettings(settings, expectations, add);

  return {
    facts: {
      ...settings,
      bucketAcl,
      policy: policyFact,
      policyExposures: exposures.map((exposure) => ({
        statement: exposure.statement.sid ?? `#${exposure.index}`,
        who: exposure.who,
        access: exposure.access,
        scope: exposure.scope,
        conditional: exposure.conditional,
        ...(exposure.condition !== undefined ? { condition: exposure.condition } : {}),
      })),
    },
    findings,
    policy,
    policyKnown,
    aclReadable,
  };
}

/** The bucket policy as preflight read it: parsed, absent, unreadable or malformed (a finding). */
function readPolicy(policyState: BucketPolicyState, add: AddFinding): { policy?: ParsedPolicy; policyFact: BucketFacts['policy']; policyKnown: boolean } {
  if (policyState.kind === 'unknown') {
    add('policy-unreadable', `the bucket policy could not be read (${policyState.reason}); objects are still checked anonymously`);
    return { policyFact: 'unreadable', policyKnown: false };
  }
  if (policyState.kind !== 'document') return { policyFact: 'none', policyKnown: true };
  try {
    return { policy: parseBucketPolicy(policyState.text), policyFact: 'document', policyKnown: true };
  } catch (e) {
    if (!(e instanceof ConfigurationError)) throw e;
    add('policy-malformed', `${e.message}; objects are still checked anonymously`);
    return { policyFact: 'malformed', policyKnown: false };
  }
}

/** A finding for each statement that lets strangers write to or list the bucket. */
function reportExposures(exposures: ReturnType<typeof policyExposures>, add: AddFinding): void {
  for (const exposure of exposures) {
    const who = exposure.who === 'everyone' ? 'anyone (anonymous included)' : 'any account holder';
    const name = exposure.statement.sid ? describeStatement(exposure.statement) : `statement ${exposure.index}`;
    const condition = exposure.condition !== undefined ? `, only under a condition: ${exposure.condition}` : exposure.conditional ? ', under a condition any plain request meets' : '';
    if (exposure.access === 'write') add('public-write', `bucket policy ${name} lets ${who} write or change the bucket (${exposure.scope})${condition}`);
    if (exposure.access === 'list') add('public-list', `bucket policy ${name} lets ${who} list the bucket${condition}`);
  }
}

/**
 * The bucket ACL, unless ACL checks are skipped: a finding for each grant to strangers. ACLs are
 * unreadable from here on when it is denied (a `ConfigurationError` when they are required).
 */
async function checkBucketAcl(cap: AuditCapability | undefined, aclChecks: AclChecks, add: AddFinding): Promise<{ aclReadable: boolean; bucketAcl?: readonly AclGrant[] }> {
  let aclReadable = aclChecks !== 'skip' && cap !== undefined;
  if (!cap || aclChecks === 'skip') return { aclReadable };
  let bucketAcl: readonly AclGrant[] | undefined;
  try {
    bucketAcl = await cap.bucketAcl();
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    if (e.kind === 'access-denied' && aclChecks === 'required') throw aclRequiredError(e);
    if (e.kind === 'access-denied') aclReadable = false;
    add(e.kind === 'access-denied' ? 'acl-unreadable' : 'setting-unreadable', `the bucket ACL could not be read: ${e.message}`);
  }
  for (const grant of bucketAcl ?? []) {
    if (grant.grantee !== 'all-users' && grant.grantee !== 'authenticated-users') continue;
    const who = grant.grantee === 'all-users' ? 'AllUsers (anyone)' : 'AuthenticatedUsers (any account holder)';
    if (grant.permission === 'READ') add('public-list', `the bucket ACL grants READ (listing) to ${who}`);
    else add('public-write', `the bucket ACL grants ${grant.permission} to ${who}`);
  }
  return { aclReadable, bucketAcl };
}

type Settings = Pick<BucketFacts, 'accessBlock' | 'ownership' | 'versioning' | 'lifecycle'>;

/** The public access block, ownership, versioning and (when expected) lifecycle; each unreadable one a finding. */
async function readSettings(cap: AuditCapability | undefined, expectations: BucketExpectations, add: AddFinding): Promise<Settings> {
  const read = async <T>(what: string, fetchSetting: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fetchSetting();
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      add('setting-unreadable', `${what} could not be read: ${e.message}`);
      return undefined;
    }
  };
  const accessBlock = cap ? await read('the public access block', async () => (await cap.publicAccessBlock()) ?? ('none' as const)) : undefined;
  const ownership = cap ? await cap.ownership() : 'unknown';
  const versioning = cap ? await read('versioning', () => cap.versioning()) : undefined;
  const lifecycle = cap && expectations.lifecycle.length > 0 ? await read('the lifecycle configuration', () => cap.lifecycle()) : undefined;
  return { accessBlock, ownership, versioning, lifecycle };
}

/** Findings for versioning and lifecycle rules that do not meet the expectations. */
function compareSettings({ versioning, lifecycle }: Settings, expectations: BucketExpectations, add: AddFinding): void {
  if (versioning !== undefined && expectations.versioning !== 'any' && versioning !== expectations.versioning) {
    add('versioning-mismatch', `versioning is ${versioning}; expected ${expectations.versioning}`);
  }
  if (lifecycle === undefined) return;
  for (const expected of expectations.lifecycle) {
    if (lifecycleRuleMeeting(lifecycle, expected)) continue;
    const where = expected.prefix === '' ? 'every object' : `objects under ${JSON.stringify(expected.prefix)}`;
    const have = lifecycle.length === 0 ? 'the bucket has no lifecycle rules' : `rules: ${lifecycle.map(describeRule).join('; ')}`;
    add('lifecycle-mismatch', `no enabled lifecycle rule expires ${where} within ${expected.days} days (${have})`);
  }
}

function describeRule(r: LifecycleRule): string {
  const what = r.prefix === undefined ? 'a filtered rule' : r.prefix === '' ? 'whole bucket' : `prefix ${JSON.stringify(r.prefix)}`;
  return `${r.id ?? 'unnamed'} (${what}, ${r.enabled ? 'enabled' : 'disabled'}, ${r.expirationDays === undefined ? 'no expiry in days' : `expires after ${r.expirationDays} days`})`;
}
