/**
 * The wire calls of an audit: bucket settings, object grants, canned ACLs. Each failure is a
 * `StoreError` whose message names the permission the request needs, so "access denied" tells the
 * reader what to grant. Keys here are full keys.
 */
import {
  GetBucketAclCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetPublicAccessBlockCommand,
  PutObjectAclCommand,
  type Grant,
} from '@aws-sdk/client-s3';
import type { S3Bucket } from './bucket';
import { toStoreError } from './errors';

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

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

/** Reduces S3 grants to grantee classes; a canonical user equal to the owner is `owner`. */
export function toGrants(grants: readonly Grant[] | undefined, ownerId: string | undefined): AclGrant[] {
  return (grants ?? []).map((g) => {
    const who = g.Grantee;
    let grantee: Grantee = 'other';
    if (who?.Type === 'Group' && who.URI === ALL_USERS) grantee = 'all-users';
    else if (who?.Type === 'Group' && who.URI === AUTHENTICATED_USERS) grantee = 'authenticated-users';
    else if (who?.Type === 'CanonicalUser' && ownerId !== undefined && who.ID === ownerId) grantee = 'owner';
    return { grantee, permission: g.Permission ?? 'UNKNOWN' };
  });
}

export class S3BucketAudit {
  constructor(private readonly wire: S3Bucket) {}

  private what(op: string, permission: string, key?: string): string {
    return `${op} ${this.wire.display}${key !== undefined ? ` key ${JSON.stringify(key)}` : ''} (needs ${permission})`;
  }

  async publicAccessBlock(): Promise<PublicAccessBlock | undefined> {
    try {
      const r = await this.wire.client.send(new GetPublicAccessBlockCommand({ Bucket: this.wire.bucket }));
      const c = r.PublicAccessBlockConfiguration;
      if (c === undefined) return undefined;
      return {
        blockPublicAcls: c.BlockPublicAcls === true,
        ignorePublicAcls: c.IgnorePublicAcls === true,
        blockPublicPolicy: c.BlockPublicPolicy === true,
        restrictPublicBuckets: c.RestrictPublicBuckets === true,
      };
    } catch (e) {
      const err = toStoreError(e, this.what('GetPublicAccessBlock', 's3:GetBucketPublicAccessBlock'));
      if (err.code === 'NoSuchPublicAccessBlockConfiguration') return undefined;
      throw err;
    }
  }

  async bucketAcl(): Promise<AclGrant[]> {
    try {
      const r = await this.wire.client.send(new GetBucketAclCommand({ Bucket: this.wire.bucket }));
      return toGrants(r.Grants, r.Owner?.ID);
    } catch (e) {
      throw toStoreError(e, this.what('GetBucketAcl', 's3:GetBucketAcl'));
    }
  }

  ownership(): Promise<Ownership> {
    return this.wire.ownership();
  }

  async lifecycle(): Promise<LifecycleRule[]> {
    try {
      const r = await this.wire.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: this.wire.bucket }));
      return (r.Rules ?? []).map((rule) => {
        const f = rule.Filter;
        // A rule applies to a plain prefix when its filter is a prefix alone (or the deprecated top-level Prefix).
        const plain = f === undefined || (f.Tag === undefined && f.And === undefined && f.ObjectSizeGreaterThan === undefined && f.ObjectSizeLessThan === undefined);
        const prefix = plain ? (f?.Prefix ?? rule.Prefix ?? '') : undefined;
        return { id: rule.ID, enabled: rule.Status === 'Enabled', prefix, expirationDays: rule.Expiration?.Days };
      });
    } catch (e) {
      const err = toStoreError(e, this.what('GetBucketLifecycleConfiguration', 's3:GetLifecycleConfiguration'));
      if (err.code === 'NoSuchLifecycleConfiguration') return [];
      throw err;
    }
  }

  async versioning(): Promise<Versioning> {
    try {
      const r = await this.wire.client.send(new GetBucketVersioningCommand({ Bucket: this.wire.bucket }));
      return r.Status === 'Enabled' ? 'enabled' : r.Status === 'Suspended' ? 'suspended' : 'disabled';
    } catch (e) {
      throw toStoreError(e, this.what('GetBucketVersioning', 's3:GetBucketVersioning'));
    }
  }

  async objectAcl(key: string): Promise<AclGrant[]> {
    try {
      const r = await this.wire.client.send(new GetObjectAclCommand({ Bucket: this.wire.bucket, Key: key }));
      return toGrants(r.Grants, r.Owner?.ID);
    } catch (e) {
      throw toStoreError(e, this.what('GetObjectAcl', 's3:GetObjectAcl', key));
    }
  }

  async setObjectAcl(key: string, acl: CannedAcl): Promise<void> {
    try {
      await this.wire.client.send(new PutObjectAclCommand({ Bucket: this.wire.bucket, Key: key, ACL: acl }));
    } catch (e) {
      throw toStoreError(e, this.what('PutObjectAcl', 's3:PutObjectAcl', key));
    }
  }
}
