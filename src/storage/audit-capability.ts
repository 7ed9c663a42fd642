/**
 * The optional capability an audit needs beyond the {@link ObjectStore} contract: reading the
 * bucket's settings and an object's grants, and setting a canned ACL. S3 stores have it; a local
 * folder does not. Every method throws a `StoreError` (`access-denied` when the credentials lack the
 * permission named in the message, `not-found` for a missing object) and never guesses.
 */
import type { AclGrant, CannedAcl, Grantee, LifecycleRule, Ownership, PublicAccessBlock, Versioning } from '../s3/bucket-audit';
import type { ObjectStore } from './object-store';

// What the wire answers, reduced to what an audit judges: defined with the wire calls.
export type { AclGrant, CannedAcl, Grantee, LifecycleRule, Ownership, PublicAccessBlock, Versioning };

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
