/**
 * One bucket on one S3 endpoint: the wire calls, typed plainly, every failure mapped to a
 * `StoreError`. Keys here are full keys; the prefix of a store is the caller's business.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StoreError } from '../errors';
import { encodeKey } from './anonymous';
import { toStoreError } from './errors';
import { listPages } from './bucket-listing';
import { LeanClient } from './lean-client';
import { listOpenUploads, type OpenUpload } from './open-uploads';
import { headFromHeaders, headFromSdk, unquote } from './object-heads';
import type { ObjectHead, ObjectHeaders, ObjectInfo, OwnershipSetting, ReadRange } from './object-shapes';
import { sdkHeaders, withPayloadHash } from './sdk-writes';

export type { ObjectHead, ObjectHeaders, ObjectInfo, OwnershipSetting, ReadRange } from './object-shapes';

export class S3Bucket {
  /** The hand-signed requests; `undefined` for a client not made by `createS3Client`, or on the SDK wire. */
  private readonly lean: LeanClient | undefined;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    /** For messages: `s3://bucket` plus where. */
    readonly display: string,
  ) {
    this.lean = LeanClient.for(client, bucket);
  }

  private what(op: string, key?: string): string {
    return `${op} ${this.display}${key !== undefined ? ` key ${JSON.stringify(key)}` : ''}`;
  }

  async headBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (e) {
      const err = toStoreError(e, this.what('HeadBucket'));
      // HEAD answers carry no body: a bare 404 on a bucket is NoSuchBucket.
      if (err.kind === 'not-found') throw toStoreError({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, this.what('HeadBucket'));
      throw err;
    }
  }

  /** Lists keys under `prefix` (after `startAfter`), in key order, one at a time. */
  async *list(prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo> {
    for await (const page of this.listPages(prefix, startAfter)) yield* page;
  }

  /**
   * Lists keys a page at a time, the next page asked for as soon as a page arrives; see
   * {@link listPages} for what a page must hold.
   */
  listPages(prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo[]> {
    return listPages({ client: this.client, bucket: this.bucket, lean: this.lean, what: this.what('ListObjectsV2', prefix) }, prefix, startAfter);
  }

  /**
   * HEAD: sent by {@link LeanClient} (a HEAD through the SDK allocates about 100 KB, which a mirror
   * of a million keys pays tens of thousands of times), through the SDK where that cannot send it
   * or when the caller may abort it.
   */
  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
      const lean = signal === undefined ? await this.lean?.head(key) : undefined;
      if (lean !== undefined) return headFromHeaders(key, lean);
      return headFromSdk(key, await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal }));
    } catch (e) {
      const err = toStoreError(e, this.what('HEAD', key));
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  /**
   * GET, from `range.start` to the end when a range is given (`Range: bytes=start-`, `If-Match`).
   * A server that ignores the Range header answers 200 with the whole object: refused here, since
   * appending it at `start` would corrupt what the caller writes.
   */
  async get(key: string, range?: ReadRange): Promise<Readable> {
    const start = range?.start ?? 0;
    const what = this.what(start > 0 ? `GET from byte ${start}` : 'GET', key);
    let r;
    try {
      r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: start > 0 ? `bytes=${start}-` : undefined,
          IfMatch: range?.ifMatch !== undefined ? `"${range.ifMatch}"` : undefined,
        }),
      );
    } catch (e) {
      throw toStoreError(e, what);
    }
    const body = r.Body as Readable;
    if (start > 0 && !(r.ContentRange ?? '').startsWith(`bytes ${start}-`)) {
      body.destroy();
      throw new StoreError('invalid-request', `${what}: the server did not honour the range (Content-Range ${JSON.stringify(r.ContentRange ?? '')})`);
    }
    return body;
  }

  /** GET of the whole object with what its headers say (a HEAD's worth): one request instead of two. */
  async read(key: string): Promise<{ head: ObjectHead; body: Readable }> {
    let lean;
    try {
      lean = await this.lean?.read(key);
    } catch (e) {
      throw toStoreError(e, this.what('GET', key));
    }
    if (lean !== undefined) return { head: headFromHeaders(key, lean.headers), body: lean.body };
    let r;
    try {
      r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      throw toStoreError(e, this.what('GET', key));
    }
    return { head: headFromSdk(key, r), body: r.Body as Readable };
  }

  /**
   * PUT with the body's SHA-256 as the signed payload hash; resolves the ETag the server reported.
   * Sent by {@link LeanClient} (a third of the SDK's CPU per small object, which upload-logs sends by
   * the thousand); the SDK sends what that cannot send identically, such as non-ASCII metadata.
   */
  async put(key: string, body: Buffer, sha256: Buffer, headers: ObjectHeaders): Promise<string | undefined> {
    try {
      const lean = await this.lean?.put(key, body, sha256, headers);
      if (lean !== undefined) return unquote(lean.etag);
      const r = await this.client.send(
        withPayloadHash(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length, ...sdkHeaders(headers) }),
          sha256,
        ),
      );
      return unquote(r.ETag);
    } catch (e) {
      throw toStoreError(e, this.what('PUT', key));
    }
  }

  /**
   * Starts a multipart upload. `attempts` is how many requests it took: above 1, an earlier attempt
   * may have created an upload whose answer was lost, which only a listing can find.
   */
  async createMultipart(key: string, headers: ObjectHeaders): Promise<{ uploadId: string; attempts: number }> {
    try {
      const r = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...sdkHeaders(headers) }),
      );
      if (!r.UploadId) throw new Error('CreateMultipartUpload answered no UploadId');
      return { uploadId: r.UploadId, attempts: r.$metadata?.attempts ?? 1 };
    } catch (e) {
      throw toStoreError(e, this.what('CreateMultipartUpload', key));
    }
  }

  /** Uploads one part with its SHA-256 as the signed payload hash; resolves its ETag without quotes. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, sha256: Buffer): Promise<string> {
    try {
      const r = await this.client.send(
        withPayloadHash(
          new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }),
          sha256,
        ),
      );
      const etag = unquote(r.ETag);
      if (etag === undefined) throw new Error(`UploadPart ${partNumber} answered no ETag`);
      return etag;
    } catch (e) {
      throw toStoreError(e, this.what(`UploadPart ${partNumber}`, key));
    }
  }

  /**
   * CopyObject from `sourceBucket`/`sourceKey` (up to 5 GiB) with the headers and metadata given,
   * replacing the source's. Resolves the new object's ETag.
   */
  async copyObject(sourceBucket: string, sourceKey: string, key: string, headers: ObjectHeaders): Promise<string | undefined> {
    try {
      const r = await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${sourceBucket}/${encodeKey(sourceKey)}`,
          MetadataDirective: 'REPLACE',
          ...sdkHeaders(headers),
          Metadata: { ...(headers.metadata ?? {}) },
        }),
      );
      return unquote(r.CopyObjectResult?.ETag);
    } catch (e) {
      throw toStoreError(e, this.what('CopyObject', key));
    }
  }

  /** UploadPartCopy of bytes `start` to `end` (inclusive) of the source; resolves the part's ETag. */
  async uploadPartCopy(key: string, uploadId: string, partNumber: number, sourceBucket: string, sourceKey: string, start: number, end: number): Promise<string> {
    try {
      const r = await this.client.send(
        new UploadPartCopyCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: `${sourceBucket}/${encodeKey(sourceKey)}`,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      const etag = unquote(r.CopyPartResult?.ETag);
      if (etag === undefined) throw new Error(`UploadPartCopy ${partNumber} answered no ETag`);
      return etag;
    } catch (e) {
      throw toStoreError(e, this.what(`UploadPartCopy ${partNumber}`, key));
    }
  }

  async completeMultipart(key: string, uploadId: string, parts: readonly { partNumber: number; etag: string }[]): Promise<void> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"` })) },
        }),
      );
    } catch (e) {
      throw toStoreError(e, this.what('CompleteMultipartUpload', key));
    }
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (e) {
      const err = toStoreError(e, this.what('AbortMultipartUpload', key));
      if (err.kind !== 'not-found') throw err;
    }
  }

  /** Open multipart uploads under `prefix`, with when the server says each was initiated. */
  listMultipartUploads(prefix: string): Promise<OpenUpload[]> {
    return listOpenUploads(this.client, this.bucket, prefix, this.what('ListMultipartUploads', prefix));
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      const err = toStoreError(e, this.what('DELETE', key));
      if (err.kind !== 'not-found') throw err;
    }
  }

  /** The bucket policy document; `undefined` when the bucket has none. */
  async policy(): Promise<string | undefined> {
    try {
      const r = await this.client.send(new GetBucketPolicyCommand({ Bucket: this.bucket }));
      return r.Policy;
    } catch (e) {
      const err = toStoreError(e, this.what('GetBucketPolicy'));
      if (err.code === 'NoSuchBucketPolicy') return undefined;
      throw err;
    }
  }

  /**
   * The bucket's object-ownership setting. Ceph 16 answers GET ?ownershipControls with a bucket
   * listing that the SDK reads as an empty result: only a document with a known rule counts.
   */
  async ownership(): Promise<OwnershipSetting> {
    try {
      const r = await this.client.send(new GetBucketOwnershipControlsCommand({ Bucket: this.bucket }));
      const rule = r.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
      if (rule === 'BucketOwnerEnforced' || rule === 'BucketOwnerPreferred' || rule === 'ObjectWriter') return rule;
      return 'unknown';
    } catch {
      // Not found, not implemented, not permitted: none of these proves anything either way.
      return 'unknown';
    }
  }
}
