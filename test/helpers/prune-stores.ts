/**
 * An in-memory store for the prune engine's suites: objects with sizes and dates, a listing that can
 * fail at a given page, deletions that can fail for given keys, and a record of every deletion made.
 * Only what the prune uses (listing, HEAD, read, PUT, DELETE, the bucket policy) is implemented.
 */
import { Readable } from 'node:stream';
import { StoreError } from '../../src/errors';
import type { BucketPolicyState, ObjectHead, ObjectInfo, ObjectStore } from '../../src/storage/object-store';

export interface MemoryObject {
  readonly size: number;
  readonly lastModified?: Date;
  readonly body?: Buffer;
  readonly etag?: string;
}

export interface MemoryStoreOptions {
  /** Objects a listing page. */
  readonly pageSize?: number;
  /** The listing throws when it comes to this page (0: before the first). */
  readonly failListingAt?: number;
  /** Keys whose DELETE throws. */
  readonly failDelete?: ReadonlySet<string>;
  /** Keys whose backup copy (a PUT) throws. */
  readonly failPut?: ReadonlySet<string>;
  /** The bucket policy document the store answers with (none by default); keys are located in bucket `bkt`. */
  readonly policy?: string;
  /** The bucket policy cannot be read, for this reason (as without s3:GetBucketPolicy). */
  readonly policyUnreadable?: string;
  /** Called once the whole listing was given: what others do to the store during the run. */
  readonly afterListing?: (objects: Map<string, MemoryObject>) => void;
}

export class MemoryStore implements Partial<ObjectStore> {
  readonly objects = new Map<string, MemoryObject>();
  readonly deleted: string[] = [];
  readonly display: string;

  constructor(
    readonly name: string,
    objects: Record<string, MemoryObject> | Iterable<[string, MemoryObject]>,
    private readonly o: MemoryStoreOptions = {},
  ) {
    this.display = `memory:${name}`;
    for (const [k, v] of Symbol.iterator in objects ? objects : Object.entries(objects)) this.objects.set(k, v);
  }

  async *listPages(): AsyncIterable<readonly ObjectInfo[]> {
    const keys = [...this.objects.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const size = this.o.pageSize ?? 2;
    const pages: ObjectInfo[][] = [];
    for (let i = 0; i < keys.length; i += size) pages.push(keys.slice(i, i + size).map((key) => ({ key, size: this.objects.get(key)!.size, lastModified: this.objects.get(key)!.lastModified, etag: this.objects.get(key)!.etag })));
    // A failure may come at any page, or after the last (an answer cut before its end).
    for (let p = 0; p <= pages.length; p++) {
      if (this.o.failListingAt === p) throw new StoreError('unavailable', `${this.name}: listing page ${p + 1} failed`);
      if (p < pages.length) yield pages[p]!;
    }
    this.o.afterListing?.(this.objects);
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    const o = this.objects.get(key);
    // HEAD gives Last-Modified to the second (an HTTP date); a listing may give milliseconds.
    const lastModified = o?.lastModified && new Date(Math.floor(o.lastModified.getTime() / 1000) * 1000);
    return o && { key, size: o.size, lastModified, etag: o.etag, metadata: {} };
  }

  async read(key: string): Promise<{ head: ObjectHead; body: Readable }> {
    const head = await this.head(key);
    if (!head) throw new StoreError('not-found', `${key}: not found`);
    return { head, body: Readable.from([this.objects.get(key)!.body ?? Buffer.alloc(head.size)]) };
  }

  async put(key: string, body: Buffer): Promise<{ etag?: string }> {
    if (this.o.failPut?.has(key)) throw new StoreError('unavailable', `${key}: PUT failed`);
    this.objects.set(key, { size: body.length, lastModified: new Date(), body });
    return {};
  }

  async delete(key: string): Promise<void> {
    if (this.o.failDelete?.has(key)) throw new StoreError('unavailable', `${key}: DELETE failed`);
    this.deleted.push(key);
    this.objects.delete(key);
  }

  async policy(): Promise<BucketPolicyState> {
    if (this.o.policyUnreadable !== undefined) return { kind: 'unknown', reason: this.o.policyUnreadable };
    return this.o.policy === undefined ? { kind: 'none' } : { kind: 'document', text: this.o.policy };
  }

  locate(key: string): { bucket: string; key: string } {
    return { bucket: 'bkt', key };
  }

  get store(): ObjectStore {
    return this as unknown as ObjectStore;
  }
}
