/**
 * The error classes every layer shares. A leaf: it imports nothing, so the S3 wire, the stores and
 * everything above them can throw and catch the same classes.
 */

/** Why a store operation failed, independent of the provider. */
export type StoreErrorKind =
  | 'not-found'
  | 'no-such-bucket'
  | 'access-denied'
  | 'no-credentials'
  | 'acl-not-supported'
  | 'bad-digest'
  /** A condition on the object (If-Match) no longer holds: it was replaced. */
  | 'changed'
  | 'invalid-request'
  /** The server's TLS certificate was refused (unknown CA, wrong host name, expired): configuration, never retried. */
  | 'certificate'
  /** The proxy (HTTPS_PROXY / HTTP_PROXY) refused to carry the request: configuration, never retried. */
  | 'proxy'
  /**
   * The store holds something under that name that cannot be an object (a folder's file whose
   * name is not valid UTF-8, a symbolic link, a FIFO); a listing that met one throws this after
   * yielding the rest.
   */
  | 'uncarriable'
  | 'unavailable'
  /** The server answered with success but with something that cannot be read exactly (a malformed or inconsistent listing). */
  | 'bad-answer'
  | 'unknown';

/** A failed store operation. `message` names the store and the key; it never holds a credential. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    /** The provider's error code, such as `NoSuchBucket` or `SlowDown`, when there was one. */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True for kinds that are a user's configuration, not a passing fault. */
  get isConfiguration(): boolean {
    return (
      this.kind === 'no-such-bucket' || this.kind === 'access-denied' || this.kind === 'no-credentials' || this.kind === 'certificate' || this.kind === 'proxy'
    );
  }
}
