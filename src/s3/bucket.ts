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
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type ObjectCannedACL,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StoreError } from '../errors';
import { encodeKey } from './anonymous';
import { toStoreError } from './errors';
import { LeanPut, MAX_LIST_BODY, readBody, type ListRequest } from './fast-put';
import { compareKeys } from './key-order';
import { ListPageError, parseListPage, type ListPage } from './list-page';

/** One entry of a listing (the storage contract's, defined here so that the wire can answer it). */
export interface ObjectInfo {
  /** Key relative to the store's prefix (here, where there is no prefix, the full key). */
  readonly key: string;
  readonly size: number;
  /** The ETag without quotes, when the store has one. */
  readonly etag?: string;
  readonly lastModified?: Date;
}

/** What HEAD tells about one object. */
export interface ObjectHead extends ObjectInfo {
  /** User metadata, keys lower-cased, without the `x-amz-meta-` prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
}

/** Which part of an object to read: from `start` (0-based) to the end. */
export interface ReadRange {
  readonly start: number;
  /** Read only while the object's ETag is this one (an unquoted ETag as `head` gives it). */
  readonly ifMatch?: string;
}

/** Headers that travel with the request creating an object. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** A canned ACL, or `undefined` to send no ACL header at all (BucketOwnerEnforced buckets). */
  readonly acl?: 'private' | 'public-read';
}

/** What a GetBucketOwnershipControls answer proved. `unknown` covers every answer that is not a valid document. */
export type OwnershipSetting = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter' | 'unknown';

export class S3Bucket {
  /** The hand-signed single PUT; `undefined` for a client not made by `createS3Client`. */
  private readonly lean: LeanPut | undefined;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    /** For messages: `s3://bucket` plus where. */
    readonly display: string,
  ) {
    this.lean = LeanPut.for(client, bucket);
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
   * Lists keys a page at a time. The next page is asked for as soon as a page arrives, so the
   * caller's work on one page overlaps the wait for the next.
   *
   * Both wire paths (the lean request, and the SDK's where the lean one cannot go) ask for
   * `encoding-type=url` and read the answer with the same strict reader ({@link parseListPage}),
   * so the same bucket lists the same keys through either. Every key must start with `prefix` and
   * come after the one before it (and after `startAfter`) in UTF-8 binary order: a page that breaks
   * this, or that cannot be read whole, fails the listing with a `bad-answer` StoreError.
   */
  async *listPages(prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo[]> {
    const what = this.what('ListObjectsV2', prefix);
    const page = async (token: string | undefined): Promise<ListPage> => {
      const request = { prefix: prefix || undefined, continuationToken: token, startAfter: token === undefined ? startAfter : undefined };
      try {
        return (await this.lean?.list(request)) ?? (await this.sdkListPage(request));
      } catch (e) {
        throw toStoreError(e, what);
      }
    };
    // A page asked for ahead may fail while the caller still works on the one before, with nobody
    // awaiting it yet: marked handled at once, or Node would end the process on an unhandled
    // rejection, without the run's error message. The caller still gets the failure when it
    // reaches that page (and nobody does if it stops first).
    const ahead = (token: string | undefined): Promise<ListPage> => {
      const p = page(token);
      p.catch(() => undefined);
      return p;
    };
    let next: Promise<ListPage> | undefined = ahead(undefined);
    let last = startAfter;
    while (next) {
      const r: ListPage = await next;
      const token = r.nextContinuationToken;
      next = token === undefined ? undefined : ahead(token);
      const out: ObjectInfo[] = [];
      for (const o of r.contents) {
        if (!o.key.startsWith(prefix)) throw new StoreError('bad-answer', `${what}: answered key ${JSON.stringify(o.key)}, which is outside the prefix asked for`, 'BadAnswer');
        if (last !== undefined && compareKeys(o.key, last) <= 0) {
          throw new StoreError('bad-answer', `${what}: answered key ${JSON.stringify(o.key)} after ${JSON.stringify(last)}, out of order`, 'BadAnswer');
        }
        last = o.key;
        out.push({ key: o.key, size: o.size, etag: unquote(o.etag), lastModified: o.lastModified });
      }
      yield out;
    }
  }

  /**
   * One ListObjectsV2 page through the SDK (for stores the lean request cannot address). The SDK's
   * own reading of the answer is set aside: the raw body is kept and read by {@link parseListPage}.
   */
  private async sdkListPage(request: ListRequest): Promise<ListPage> {
    const command = new ListObjectsV2Command({
      Bucket: this.bucket,
      Prefix: request.prefix,
      ContinuationToken: request.continuationToken,
      StartAfter: request.startAfter,
      EncodingType: 'url',
    });
    let body: Buffer | undefined;
    command.middlewareStack.addRelativeTo(
      ((next: (args: unknown) => Promise<{ response: { statusCode?: number; body?: unknown } }>) => async (args: unknown) => {
        const out = await next(args);
        const status = out.response.statusCode ?? 0;
        if (status >= 200 && status < 300 && out.response.body !== undefined) {
          body = await readBody(out.response.body as NodeJS.ReadableStream, MAX_LIST_BODY);
          // The SDK still reads its copy (its errors, its retries); what it makes of it is not used.
          out.response.body = body;
        }
        return out;
      }) as never,
      { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'ciStoresRawListing' },
    );
    try {
      await this.client.send(command);
    } catch (e) {
      // A success status with a body the SDK could not read: the strict reader says what is wrong
      // with it, so both paths fail alike (the SDK's own error stands if it reads the body fine).
      if (body !== undefined) parseListPage(body);
      throw e;
    }
    if (body === undefined) throw new ListPageError('no body');
    return parseListPage(body);
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
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
   * Sent by {@link LeanPut} (a third of the SDK's CPU per small object, which upload-logs sends by
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
  async listMultipartUploads(prefix: string): Promise<{ key: string; uploadId: string; initiated?: Date }[]> {
    const out: { key: string; uploadId: string; initiated?: Date }[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let r;
      try {
        r = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: prefix || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
      } catch (e) {
        throw toStoreError(e, this.what('ListMultipartUploads', prefix));
      }
      for (const u of r.Uploads ?? []) if (u.Key && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
      if (!r.IsTruncated) return out;
      keyMarker = r.NextKeyMarker;
      uploadIdMarker = r.NextUploadIdMarker;
    }
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

/**
 * Signs the body's SHA-256 as `x-amz-content-sha256`. S3 and Ceph RGW refuse a body that does not
 * match it (XAmzContentSHA256Mismatch), so every part is checked by the server; and since the value
 * is given, the SDK does not hash each body again for each store (which it otherwise does for every
 * Buffer body). One SHA-256 per part, shared by all stores, instead of an MD5 plus one SHA-256 per store.
 */
function withPayloadHash<C extends { middlewareStack: { add: (...a: never[]) => unknown } }>(command: C, sha256: Buffer): C {
  const hex = sha256.toString('hex');
  (command.middlewareStack as unknown as { add: (m: unknown, o: unknown) => void }).add(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      args.request.headers['x-amz-content-sha256'] = hex;
      return next(args);
    },
    { step: 'build', name: 'ciStoresPayloadHash' },
  );
  return command;
}

function sdkHeaders(h: ObjectHeaders) {
  return {
    ContentType: h.contentType,
    ContentEncoding: h.contentEncoding,
    CacheControl: h.cacheControl,
    ContentDisposition: h.contentDisposition,
    Metadata: h.metadata ? { ...h.metadata } : undefined,
    ACL: h.acl as ObjectCannedACL | undefined,
  };
}

/** What the SDK's HeadObject or GetObject answer says about the object. */
function headFromSdk(
  key: string,
  r: { ContentLength?: number; ETag?: string; LastModified?: Date; Metadata?: Record<string, string>; ContentType?: string; ContentEncoding?: string; CacheControl?: string; ContentDisposition?: string },
): ObjectHead {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.Metadata ?? {})) metadata[k.toLowerCase()] = v;
  return {
    key,
    size: r.ContentLength ?? 0,
    etag: unquote(r.ETag),
    lastModified: r.LastModified,
    metadata,
    contentType: r.ContentType,
    contentEncoding: r.ContentEncoding,
    cacheControl: r.CacheControl,
    contentDisposition: r.ContentDisposition,
  };
}

/** What a HEAD (or GET) answer's headers say about the object, as the SDK would parse them. */
function headFromHeaders(key: string, h: import('node:http').IncomingHttpHeaders): ObjectHead {
  const one = (name: string) => {
    const v = h[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(', ') : value;
  }
  const modified = one('last-modified');
  return {
    key,
    size: Number(one('content-length') ?? 0),
    etag: unquote(one('etag')),
    lastModified: modified ? new Date(modified) : undefined,
    metadata,
    contentType: one('content-type'),
    contentEncoding: one('content-encoding'),
    cacheControl: one('cache-control'),
    contentDisposition: one('content-disposition'),
  };
}

function unquote(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const e = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return e === '' ? undefined : e;
}
