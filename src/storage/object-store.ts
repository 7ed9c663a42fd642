/**
 * The storage contract every backend (S3, local folder) implements.
 *
 * Keys given to a store are relative to the store's own prefix; the store adds and strips it.
 * Every method either resolves or throws a `StoreError` (from `../errors`) whose `kind` says what
 * went wrong, so callers never look at provider-specific error shapes.
 */
import type { Readable } from 'node:stream';
import type { ObjectHead, ObjectInfo, ReadRange } from '../s3/bucket';
import type { VisibilityMode } from '../s3/providers';
import type { PublicAddress } from '../s3/public-address';
import type { KeyRange } from './key-range';

// Part of this contract, but defined with the wire code that answers them: the wire may not import storage.
export type { ObjectHead, ObjectInfo, ReadRange, VisibilityMode };
export { MAX_OBJECT, MAX_PART, MAX_PARTS, MIN_PART } from '../s3/limits';

/** Who may read an object without credentials. */
export type Visibility = 'public' | 'private';

/** Everything that travels with the request that creates an object. */
export interface WriteOptions {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  /** User metadata; keys must be lower-case. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The visibility the object must have from the moment it exists. */
  readonly visibility: Visibility;
}

/** A multipart write in progress. Nothing is visible under the key until {@link MultipartWrite.complete}. */
export interface MultipartWrite {
  /**
   * Writes part `partNumber` (1-based). `sha256` is the part's SHA-256: it is signed with the
   * request, and the server refuses a body that does not match it. Parts may be written
   * concurrently and in any order.
   */
  writePart(partNumber: number, body: Buffer, sha256: Buffer): Promise<void>;
  /**
   * Makes the object visible. Resolves once it exists, with the ETag the object must now have
   * (computed from the ETags the store gave each part) when the store has ETags.
   */
  complete(): Promise<{ readonly etag?: string }>;
  /** Discards every part written so far. Never throws for an upload that is already gone. */
  abort(): Promise<void>;
}

/** An object store: a bucket and prefix, or a local folder that behaves like one. */
export interface ObjectStore {
  /** A display name with no credentials in it, such as `s3://bucket/prefix at https://endpoint`. */
  readonly display: string;

  /**
   * Checks, before any data moves, that the store exists and the credentials are accepted.
   * Throws `StoreError` of kind `no-such-bucket`, `access-denied`, `no-credentials` or `unavailable`.
   */
  preflight(): Promise<void>;

  /**
   * Lists objects under `prefix` (relative to the store's own prefix) in UTF-8 binary key order,
   * only those whose key lies in `range` when one is given. Throws (never ends early) when a page
   * cannot be read, so a failed listing can never pass for a short one. A store that holds entries
   * there which cannot be objects (kind `uncarriable`: a folder's file whose name is not UTF-8, a
   * symbolic link, a FIFO) yields every object it can and then throws: a listing with holes in it
   * is a failed listing, never a whole one, whatever its caller already did with the rest.
   */
  list(prefix?: string, range?: KeyRange): AsyncIterable<ObjectInfo>;

  /** The same listing a page (up to about 1,000 entries) at a time, failing as `list` does: for walking millions of keys cheaply. */
  listPages(prefix?: string, range?: KeyRange): AsyncIterable<readonly ObjectInfo[]>;

  /**
   * HEAD. Resolves `undefined` for a missing object; throws for anything else, including when
   * `options.signal` aborts the request (which then stops, retries included), and kind
   * `uncarriable` for an entry under `key` that cannot be an object. The ETag is the one of the
   * content as it is now: a store that keeps ETags beside the content (a folder) must not answer
   * one recorded for content that has since been replaced.
   */
  head(key: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectHead | undefined>;

  /**
   * Streams the object's content, from byte `range.start` to the end when a range is given.
   * Throws kind `not-found` for a missing object, `invalid-request` when `start` is above 0 and not
   * below the object's size, and `changed` when
   * `range.ifMatch` is not the object's ETag any more. A store that would answer a ranged read with
   * the whole object throws instead, so bytes from the wrong offset never reach the caller.
   */
  get(key: string, range?: ReadRange): Promise<Readable>;

  /**
   * Streams the whole object with its HEAD as the GET answered it (one request instead of two).
   * Throws as `get` does.
   */
  read(key: string): Promise<{ readonly head: ObjectHead; readonly body: Readable }>;

  /**
   * Writes a whole object in one request. The object appears complete or not at all. `sha256` is
   * the body's SHA-256, checked by the server as for parts. Resolves the ETag the store reported.
   */
  put(key: string, body: Buffer, sha256: Buffer, options: WriteOptions): Promise<{ readonly etag?: string }>;

  /** Starts a multipart write. The caller must `complete()` or `abort()` it. */
  startMultipart(key: string, options: WriteOptions): Promise<MultipartWrite>;

  /**
   * Optional capability: `canCopyFrom(source)` says whether `copyFrom` can copy from that store;
   * `copyFrom` copies `sourceKey` of `source` to `key` inside the provider (CopyObject,
   * or UploadPartCopy for objects over 5 GiB), when both stores share endpoint and credentials.
   * Headers, metadata and visibility come from `options`, replacing the source's. Resolves
   * `undefined`, having done nothing, when it cannot copy from that source; the caller then streams.
   */
  canCopyFrom?(source: ObjectStore): boolean;

  copyFrom?(source: ObjectStore, sourceKey: string, key: string, size: number, options: WriteOptions): Promise<{ readonly etag?: string } | undefined>;

  /** Deletes an object. Deleting a missing object succeeds. */
  delete(key: string): Promise<void>;

  /**
   * Multipart uploads still open under `prefix`, for cleanup and for tests that prove none was
   * left behind. Stores without multipart state return an empty list.
   */
  listOpenUploads(prefix?: string): Promise<readonly { key: string; uploadId: string }[]>;

  /**
   * Optional capability: aborts the multipart uploads still open for exactly `key` that the server
   * says were initiated before `before` (uploads orphaned by a run that was killed, whose parts no
   * one will complete). Resolves what it aborted. Stores without multipart state leave it out.
   */
  abortStaleUploads?(key: string, before: Date): Promise<readonly { readonly uploadId: string; readonly initiated: Date }[]>;

  /**
   * The address an anonymous reader would use for `key`, or `undefined` when the store has no such
   * thing (a local folder). Used to check effective visibility with an unsigned request, which must
   * ask for exactly this path: a key's `.`, `..` and empty segments are part of it.
   */
  anonymousAddress(key: string): PublicAddress | undefined;

  /**
   * The bucket policy as the store has it, for checking before a private object is written that no
   * policy would expose it. Fetched once, during `preflight`.
   */
  policy(): Promise<BucketPolicyState>;

  /** The bucket and full key that `key` is stored at, for evaluating policies; `undefined` for a folder. */
  locate(key: string): { readonly bucket: string; readonly key: string } | undefined;

  /** The visibility mode in force, once known (after `preflight`). */
  readonly visibilityMode: VisibilityMode | 'none';
}

/** What a store's bucket policy is: none, a document, or unknown (not readable with these credentials). */
export type BucketPolicyState =
  | { readonly kind: 'none' }
  | { readonly kind: 'document'; readonly text: string }
  | { readonly kind: 'unknown'; readonly reason: string };
