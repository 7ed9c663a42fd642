/**
 * The shapes the wire answers in and takes: a listing's entries, what HEAD tells, which part of
 * an object to read, the headers of a write, a bucket's ownership setting.
 */

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
