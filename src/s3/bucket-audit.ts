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
import type { AclGrant, CannedAcl, Grantee, LifecycleRule, Ownership, PublicAccessBlock, Versioning } from '../storage/audit-capability';
import type { S3Bucket } from './bucket';
import { toStoreError } from './errors';

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
