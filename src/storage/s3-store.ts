/**
 * The {@link ObjectStore} contract on an S3 bucket and prefix. Wire calls live in `../s3/`; this
 * class adds the prefix, the visibility mode and the recovery rules that keep writes all-or-nothing.
 */
import type { Readable } from 'node:stream';
import { unwrapStore } from './rate-limited-store';
import { compareKeys, inRange, listStartAfter, pastRange, type KeyRange } from './key-range';
import { S3Bucket, type ObjectHeaders } from '../s3/bucket';
import { createS3Client, type Wire } from '../s3/client';
import { publicObjectAddress } from '../s3/anonymous';
import { leanTarget, requestAddress, type LeanEndpoint } from '../s3/lean-address';
import { readSdkSettings } from '../s3/sdk-settings';
import { S3BucketAudit } from '../s3/bucket-audit';
import type { AuditCapability } from './audit-capability';
import { caBundle } from './ca-bundle';
import type { ResolvedCredentials } from './credentials';
import { isMd5Etag, multipartEtag } from './etag';
import { StoreError } from '../errors';
import {
  type BucketPolicyState,
  type MultipartWrite,
  type ObjectHead,
  type ObjectInfo,
  type ObjectStore,
  type ReadRange,
  type VisibilityMode,
  type WriteOptions,
} from './object-store';
import { metadataToWrite } from './private-marker';
import type { PublicAddress } from '../s3/public-address';
import type { S3StoreSpec } from './store-spec';

export interface S3StoreOptions {
  /** Requests in flight at most; sizes the connection pool. */
  readonly concurrency: number;
  /**
   * Server-side copies of objects above this size go part by part (UploadPartCopy) in parts of at
   * least `copyPartSize`. S3 allows a single CopyObject up to 5 GiB; tests lower both to exercise
   * the multipart path with small objects.
   */
  readonly copyObjectMax?: number;
  readonly copyPartSize?: number;
  /** Who sends the requests that have a lean path (see `ClientOptions.wire`); default from `CI_STORES_WIRE`. */
  readonly wire?: Wire;
}

export class S3Store implements ObjectStore {
  readonly display: string;
  private mode: VisibilityMode;
  private policyState: BucketPolicyState = { kind: 'unknown', reason: 'not read yet (no preflight)' };
  private readonly wire: S3Bucket;
  private auditCalls?: AuditCapability;
  /** The CAs this store's TLS trusts, when not Node's own (`ca=` or AWS_CA_BUNDLE). */
  private readonly ca?: string;
  /**
   * The bucket's endpoint as the SDK resolves it for this store's requests (read in preflight),
   * so that anonymous probes and links go where every other request of the store goes, also
   * when the SDK's settings (`AWS_ENDPOINT_URL_S3`, a profile, FIPS) chose it.
   */
  private endpoint?: LeanEndpoint;

  constructor(
    readonly spec: S3StoreSpec,
    credentials: ResolvedCredentials,
    private readonly options: S3StoreOptions,
  ) {
    // A store left to the SDK's settings is named by the endpoint variable that moves it, if any.
    const variable = spec.sdkEndpoint ? readSdkSettings().endpointVariable : undefined;
    const where = spec.endpoint ?? (variable ? `${process.env[variable]} (${variable})` : `AWS ${spec.region}`);
    this.display = `s3://${spec.bucket}/${spec.prefix} at ${where}`;
    this.mode = spec.visibility;
    this.ca = caBundle(spec);
    const client = createS3Client({
      provider: spec.provider,
      endpoint: spec.endpoint,
      sdkEndpoint: spec.sdkEndpoint,
      region: spec.region,
      credentials,
      maxSockets: Math.max(4, options.concurrency),
      wire: options.wire,
      ca: this.ca,
    });
    this.wire = new S3Bucket(client, spec.bucket, `s3://${spec.bucket} at ${where}`);
  }

  /** Bucket settings and object grants, for an audit; keys relative to the store's prefix. */
  get audit(): AuditCapability {
    if (this.auditCalls) return this.auditCalls;
    const calls = new S3BucketAudit(this.wire);
    return (this.auditCalls = {
      publicAccessBlock: () => calls.publicAccessBlock(),
      bucketAcl: () => calls.bucketAcl(),
      ownership: () => calls.ownership(),
      lifecycle: () => calls.lifecycle(),
      versioning: () => calls.versioning(),
      objectAcl: (key) => calls.objectAcl(this.full(key)),
      setObjectAcl: (key, acl) => calls.setObjectAcl(this.full(key), acl),
    });
  }

  get visibilityMode(): VisibilityMode {
    return this.mode;
  }

  /** Closes the connection pool. */
  close(): void {
    this.wire.client.destroy();
  }

  async preflight(): Promise<void> {
    await this.wire.headBucket();
    this.endpoint = (await leanTarget(this.wire.client, this.spec.bucket))?.endpoint;
    try {
      const text = await this.wire.policy();
      this.policyState = text === undefined ? { kind: 'none' } : { kind: 'document', text };
    } catch (e) {
      this.policyState = { kind: 'unknown', reason: e instanceof Error ? e.message : String(e) };
    }
    if (this.mode === 'detect') {
      const ownership = await this.wire.ownership();
      if (ownership === 'BucketOwnerEnforced') this.mode = 'policy';
      else if (ownership !== 'unknown') this.mode = 'acl';
      // 'unknown' stays 'detect': ACLs are sent, and AccessControlListNotSupported switches to policy.
    }
  }

  async *list(prefix = '', range: KeyRange = {}): AsyncIterable<ObjectInfo> {
    for await (const page of this.listPages(prefix, range)) yield* page;
  }

  async *listPages(prefix = '', range: KeyRange = {}): AsyncIterable<readonly ObjectInfo[]> {
    const base = this.spec.prefix;
    const after = listStartAfter(range);
    const startAfter = after !== undefined && compareKeys(after, prefix) > 0 ? base + after : undefined;
    for await (const page of this.wire.listPages(base + prefix, startAfter)) {
      const out: ObjectInfo[] = [];
      let past = false;
      for (const o of page) {
        const key = o.key.slice(base.length);
        if (pastRange(key, range)) {
          past = true;
          break;
        }
        if (inRange(key, range)) out.push({ ...o, key });
      }
      if (out.length > 0) yield out;
      if (past) return;
    }
  }

  async head(key: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectHead | undefined> {
    const h = await this.wire.head(this.full(key), options?.signal);
    return h && { ...h, key };
  }

  get(key: string, range?: ReadRange): Promise<Readable> {
    return this.wire.get(this.full(key), range);
  }

  async read(key: string): Promise<{ head: ObjectHead; body: Readable }> {
    const r = await this.wire.read(this.full(key));
    return { head: { ...r.head, key }, body: r.body };
  }

  async put(key: string, body: Buffer, sha256: Buffer, options: WriteOptions): Promise<{ etag?: string }> {
    const etag = await this.withAclFallback((acl) => this.wire.put(this.full(key), body, sha256, headersOf(options, acl)), options);
    return { etag };
  }

  async startMultipart(key: string, options: WriteOptions): Promise<MultipartWrite> {
    const full = this.full(key);
    const t0 = Date.now();
    const { uploadId, attempts } = await this.withAclFallback((acl) => this.wire.createMultipart(full, headersOf(options, acl)), options);
    if (attempts > 1) await this.abortLostCreates(full, uploadId, Date.now() - t0);
    return new S3MultipartWrite(this.wire, full, uploadId);
  }


  canCopyFrom(given: ObjectStore): boolean {
    const source = unwrapStore(given);
    return source instanceof S3Store && sameAccount(this.spec, source.spec);
  }

  async copyFrom(given: ObjectStore, sourceKey: string, key: string, size: number, options: WriteOptions): Promise<{ etag?: string } | undefined> {
    const source = unwrapStore(given);
    if (!(source instanceof S3Store) || !sameAccount(this.spec, source.spec)) return undefined;
    const from = source.full(sourceKey);
    const full = this.full(key);
    if (size <= (this.options.copyObjectMax ?? 5 * 1024 ** 3)) {
      const etag = await this.withAclFallback((acl) => this.wire.copyObject(source.spec.bucket, from, full, headersOf(options, acl)), options);
      return { etag };
    }
    const write = (await this.startMultipart(key, options)) as S3MultipartWrite;
    // Parts of at least 512 MiB, and no more than 10,000 of them.
    const partSize = Math.max(this.options.copyPartSize ?? 512 * 1024 ** 2, Math.ceil(size / 10_000));
    try {
      const count = Math.ceil(size / partSize);
      for (let n = 1; n <= count; n += 4) {
        await Promise.all(
          Array.from({ length: Math.min(4, count - n + 1) }, (_, i) => {
            const part = n + i;
            const start = (part - 1) * partSize;
            return write.copyPart(part, source.spec.bucket, from, start, Math.min(size, start + partSize) - 1);
          }),
        );
      }
      return await write.complete();
    } catch (e) {
      await write.abort();
      throw e;
    }
  }

  /**
   * A CreateMultipartUpload that took several attempts may have created an upload on an earlier
   * attempt whose answer was lost: nobody knows its id, so it would stay open for ever. Uploads of
   * the same key that the server initiated within the time the request took, up to ours, are those.
   * Times are compared on the server's clock only (our upload's own `initiated`), so a skewed
   * local clock cannot widen the window. Best effort: a failure here costs an orphan, not the write.
   */
  private async abortLostCreates(full: string, ours: string, tookMs: number): Promise<void> {
    try {
      const open = (await this.wire.listMultipartUploads(full)).filter((u) => u.key === full);
      const mine = open.find((u) => u.uploadId === ours)?.initiated;
      if (mine === undefined) return;
      const from = mine.getTime() - tookMs - 1000;
      for (const u of open) {
        if (u.uploadId === ours || u.initiated === undefined) continue;
        if (u.initiated.getTime() >= from && u.initiated.getTime() <= mine.getTime()) await this.wire.abortMultipart(full, u.uploadId);
      }
    } catch {
      // Left for the next run's stale-upload cleanup.
    }
  }

  async abortStaleUploads(key: string, before: Date): Promise<readonly { uploadId: string; initiated: Date }[]> {
    const full = this.full(key);
    const stale = (await this.wire.listMultipartUploads(full)).filter(
      (u): u is { key: string; uploadId: string; initiated: Date } => u.key === full && u.initiated !== undefined && u.initiated.getTime() < before.getTime(),
    );
    for (const u of stale) await this.wire.abortMultipart(full, u.uploadId);
    return stale.map((u) => ({ uploadId: u.uploadId, initiated: u.initiated }));
  }

  delete(key: string): Promise<void> {
    return this.wire.delete(this.full(key));
  }

  async listOpenUploads(prefix = ''): Promise<readonly { key: string; uploadId: string }[]> {
    const base = this.spec.prefix;
    const uploads = await this.wire.listMultipartUploads(base + prefix);
    return uploads.map((u) => ({ key: u.key.slice(base.length), uploadId: u.uploadId }));
  }

  async policy(): Promise<BucketPolicyState> {
    return this.policyState;
  }

  locate(key: string): { bucket: string; key: string } {
    return { bucket: this.spec.bucket, key: this.full(key) };
  }

  anonymousAddress(key: string): PublicAddress {
    const address = this.endpoint
      ? requestAddress(this.endpoint, this.full(key))
      : publicObjectAddress(this.spec.provider, this.spec.endpoint, this.spec.region, this.spec.bucket, this.full(key));
    return this.ca === undefined ? address : { ...address, ca: this.ca };
  }

  private full(key: string): string {
    return this.spec.prefix + key;
  }

  /**
   * Runs a creating request with the ACL the mode calls for. In `detect` mode a refusal of ACLs
   * (BucketOwnerEnforced) switches the store to `policy` and repeats the request without one: the
   * refused request created nothing, so nothing was ever visible with the wrong setting.
   */
  private async withAclFallback<T>(send: (acl: ObjectHeaders['acl']) => Promise<T>, options: WriteOptions): Promise<T> {
    const acl = options.visibility === 'public' ? 'public-read' : 'private';
    if (this.mode === 'policy') return send(undefined);
    try {
      return await send(acl);
    } catch (e) {
      if (this.mode === 'detect' && e instanceof StoreError && e.kind === 'acl-not-supported') {
        this.mode = 'policy';
        return send(undefined);
      }
      throw e;
    }
  }
}

/** Same endpoint and the same credentials: the provider can copy between the two stores itself. */
function sameAccount(a: S3StoreSpec, b: S3StoreSpec): boolean {
  return a.provider === b.provider && a.endpoint === b.endpoint && a.region === b.region && JSON.stringify(a.credentials) === JSON.stringify(b.credentials) && a.credentialHost === b.credentialHost;
}

function headersOf(o: WriteOptions, acl: ObjectHeaders['acl']): ObjectHeaders {
  return {
    contentType: o.contentType,
    contentEncoding: o.contentEncoding,
    cacheControl: o.cacheControl,
    contentDisposition: o.contentDisposition,
    metadata: metadataToWrite(o),
    acl,
  };
}

class S3MultipartWrite implements MultipartWrite {
  /** Part number to the ETag the server gave it (the part's MD5 on S3 and Ceph). */
  private readonly parts = new Map<number, string>();
  private done = false;

  constructor(
    private readonly wire: S3Bucket,
    private readonly key: string,
    private readonly uploadId: string,
  ) {}

  async writePart(partNumber: number, body: Buffer, sha256: Buffer): Promise<void> {
    this.parts.set(partNumber, await this.wire.uploadPart(this.key, this.uploadId, partNumber, body, sha256));
  }

  /** A part copied by the server from bytes `start`..`end` (inclusive) of another object. */
  async copyPart(partNumber: number, sourceBucket: string, sourceKey: string, start: number, end: number): Promise<void> {
    this.parts.set(partNumber, await this.wire.uploadPartCopy(this.key, this.uploadId, partNumber, sourceBucket, sourceKey, start, end));
  }

  async complete(): Promise<{ etag?: string }> {
    const numbers = [...this.parts.keys()].sort((a, b) => a - b);
    const parts = numbers.map((n) => ({ partNumber: n, etag: this.parts.get(n)! }));
    // The object's ETag follows from the parts' ETags when they are MD5s (no KMS).
    const expected = parts.every((p) => isMd5Etag(p.etag)) ? multipartEtag(parts.map((p) => Buffer.from(p.etag, 'hex'))) : undefined;
    try {
      await this.wire.completeMultipart(this.key, this.uploadId, parts);
    } catch (e) {
      // An answer lost after the server completed: the SDK's retry then meets NoSuchUpload.
      // The object decides: if it is there with exactly our parts, the upload did complete.
      if (e instanceof StoreError && e.kind === 'not-found' && expected !== undefined) {
        const head = await this.wire.head(this.key);
        if (head?.etag === expected) {
          this.done = true;
          return { etag: expected };
        }
      }
      throw e;
    }
    this.done = true;
    return { etag: expected };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    await this.wire.abortMultipart(this.key, this.uploadId);
    this.done = true;
  }
}
