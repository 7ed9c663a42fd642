/**
 * Maps the SDK's errors to {@link StoreError} kinds. Providers disagree on shapes: Ceph answers
 * with an empty `<Message>` (the SDK then says "UnknownError"), HEAD answers carry no body at all, so
 * the code and the HTTP status are what count.
 */
import { StoreError, type StoreErrorKind } from '../errors';
import { ListPageError } from './list-page';

interface SdkLikeError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

const BY_CODE: Readonly<Record<string, StoreErrorKind>> = {
  NoSuchKey: 'not-found',
  NotFound: 'not-found',
  NoSuchUpload: 'not-found',
  NoSuchBucket: 'no-such-bucket',
  NoSuchBucketPolicy: 'not-found',
  AccessDenied: 'access-denied',
  Forbidden: 'access-denied',
  InvalidAccessKeyId: 'access-denied',
  SignatureDoesNotMatch: 'access-denied',
  ExpiredToken: 'access-denied',
  InvalidToken: 'access-denied',
  CredentialsProviderError: 'no-credentials',
  AccessControlListNotSupported: 'acl-not-supported',
  BadDigest: 'bad-digest',
  XAmzContentSHA256Mismatch: 'bad-digest',
  InvalidDigest: 'bad-digest',
  PreconditionFailed: 'changed',
  InvalidRange: 'invalid-request',
  InvalidArgument: 'invalid-request',
  InvalidRequest: 'invalid-request',
  EntityTooLarge: 'invalid-request',
  EntityTooSmall: 'invalid-request',
  SlowDown: 'unavailable',
  ServiceUnavailable: 'unavailable',
  InternalError: 'unavailable',
  RequestTimeout: 'unavailable',
  TimeoutError: 'unavailable',
  ECONNRESET: 'unavailable',
  ECONNREFUSED: 'unavailable',
  EPIPE: 'unavailable',
  ETIMEDOUT: 'unavailable',
};

/** The provider's code for an SDK error: `Code`, else `name`, else the HTTP status as text. */
export function errorCode(error: unknown): string {
  const e = (error ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  const code = e.Code ?? e.code ?? e.name;
  if (code && code !== 'UnknownError' && code !== 'Error') return code;
  return status !== undefined ? `HTTP ${status}` : 'UnknownError';
}

/**
 * Converts anything thrown by an SDK call into a `StoreError` whose message says what was being done
 * (`what`, such as `PUT s3://bucket/key`), the provider's code and the HTTP status.
 */
export function toStoreError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error;
  if (error instanceof ListPageError) return new StoreError('bad-answer', `${what}: ${error.message}`, 'BadAnswer', { cause: error });
  const e = (error ?? {}) as SdkLikeError;
  const code = errorCode(error);
  const status = e.$metadata?.httpStatusCode;
  let kind: StoreErrorKind = BY_CODE[code] ?? 'unknown';
  if (kind === 'unknown' && status !== undefined) {
    if (status === 404) kind = 'not-found';
    else if (status === 403 || status === 401) kind = 'access-denied';
    else if (status === 412) kind = 'changed';
    else if (status === 416) kind = 'invalid-request';
    else if (status >= 500 || status === 429) kind = 'unavailable';
  }
  if (kind === 'unknown' && /credential/i.test(e.name ?? '')) kind = 'no-credentials';
  const detail = status !== undefined && !code.startsWith('HTTP') ? `${code} (HTTP ${status})` : code;
  const hint = HINTS[kind];
  return new StoreError(kind, `${what}: ${detail}${hint ? `: ${hint}` : ''}`, code, { cause: error });
}

const HINTS: Partial<Record<StoreErrorKind, string>> = {
  'no-such-bucket': 'the bucket does not exist (check the store URL and region)',
  'access-denied': 'the credentials were refused or lack permission',
  'no-credentials': 'no credentials found for this store (set credentials=env:NAME, a key folder, or AWS credentials)',
  'acl-not-supported': 'the bucket has ACLs disabled (BucketOwnerEnforced); use visibility=policy',
};
