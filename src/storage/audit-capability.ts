/**
 * The optional capability an audit needs beyond the {@link ObjectStore} contract: reading the
 * bucket's settings and an object's grants, and setting a canned ACL. S3 stores have it; a local
 * folder does not. Every method throws a `StoreError` (`access-denied` when the credentials lack the
 * permission named in the message, `not-found` for a missing object) and never guesses.
 */
import type { ObjectStore } from './object-store';

/** Who a grant is for. `authenticated-users` is any account holder of the provider: a stranger too. */
export type Grantee = 'all-users' | 'authenticated-users' | 'owner' | 'other';

/** One ACL grant, reduced to what an audit judges. */
export interface AclGrant {
  readonly grantee: Grantee;
  /** READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL. */
  readonly permission: string;
}

/** The four public access block switches; `undefined` when the bucket has no block configured. */
export interface PublicAccessBlock {
  readonly blockPublicAcls: boolean;
  readonly ignorePublicAcls: boolean;
  readonly blockPublicPolicy: boolean;
  readonly restrictPublicBuckets: boolean;
}

/** What the bucket's object-ownership setting is. `unknown`: no valid ownership-controls document was answered. */
export type Ownership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter' | 'unknown';

/** One lifecycle rule, reduced to expiry. */
export interface LifecycleRule {
  readonly id?: string;
  readonly enabled: boolean;
  /** The key prefix the rule applies to; `''` for the whole bucket. `undefined` when the filter is not a plain prefix (tags, sizes). */
  readonly prefix?: string;
  /** Days after creation that objects expire, when the rule has an expiry in days. */
  readonly expirationDays?: number;
}

export type Versioning = 'enabled' | 'suspended' | 'disabled';

/** The canned ACLs an audit may set. */
export type CannedAcl = 'private' | 'public-read';

export interface AuditCapability {
  /** The block, or `undefined` when none is configured. */
  publicAccessBlock(): Promise<PublicAccessBlock | undefined>;
  bucketAcl(): Promise<readonly AclGrant[]>;
  ownership(): Promise<Ownership>;
  /** The rules; empty when the bucket has no lifecycle configuration. */
  lifecycle(): Promise<readonly LifecycleRule[]>;
  versioning(): Promise<Versioning>;
  /** The grants of `key` (relative to the store's prefix). */
  objectAcl(key: string): Promise<readonly AclGrant[]>;
  setObjectAcl(key: string, acl: CannedAcl): Promise<void>;
}

/** A store that has the audit capability. */
export interface AuditableStore extends ObjectStore {
  readonly audit: AuditCapability;
}

/** The store's audit capability, or `undefined` when it has none (a local folder). */
export function auditCapability(store: ObjectStore): AuditCapability | undefined {
  const a = (store as Partial<AuditableStore>).audit;
  return a !== undefined && typeof a.objectAcl === 'function' ? a : undefined;
}
