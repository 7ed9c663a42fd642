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
  const given: unknown = e.Code ?? e.code ?? e.name;
  // Only a string names a code: anything else (a number, an array) is no provider's code.
  const code = typeof given === 'string' ? given : undefined;
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
  const refused = connectionRefused(error, what);
  if (refused) return refused;
  const e = (error ?? {}) as SdkLikeError;
  const code = errorCode(error);
  const status = e.$metadata?.httpStatusCode;
  // Own entries only: a code such as `toString` names nothing here.
  let kind: StoreErrorKind = (Object.hasOwn(BY_CODE, code) ? BY_CODE[code] : undefined) ?? 'unknown';
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

/** Node's codes for a server certificate TLS refused, and what each means to the person who set up the store. */
const CERTIFICATE_PROBLEMS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown CA: it is not signed by a CA this store trusts',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown CA: it is not signed by a CA this store trusts',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown CA: it is not signed by a CA this store trusts',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown CA: its chain ends in a self-signed CA this store does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown CA: it is self-signed, and this store does not trust it',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name mismatch: it is not valid for the host name the store uses',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
  CERT_REVOKED: 'revoked',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
  CERT_UNTRUSTED: 'not trusted for this purpose',
  CERT_REJECTED: 'rejected',
  INVALID_CA: 'a certificate in its chain is not a valid CA',
  HOSTNAME_MISMATCH: 'name mismatch: it is not valid for the host name the store uses',
};

/**
 * The certificate code of one error of the chain: Node's TLS socket rejects with an Error whose
 * `code` names the problem (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...),
 * and both wires hand that error on as it is (the SDK's handler rejects with it, its retry
 * middleware keeps any `Error`). Read from the code only, never from message text: a server's
 * answer (which has a status) is never a refused certificate, whatever it says.
 */
function certificateCode(e: { code?: unknown; $metadata?: { httpStatusCode?: number } }): string | undefined {
  if (e.$metadata?.httpStatusCode !== undefined) return undefined;
  return typeof e.code === 'string' && Object.hasOwn(CERTIFICATE_PROBLEMS, e.code) ? e.code : undefined;
}

/** What a TLS error's code says about the certificate the server showed; `undefined` when it is no certificate problem. */
export function certificateProblem(error: unknown): string | undefined {
  const code = certificateCode((error ?? {}) as { code?: unknown });
  return code === undefined ? undefined : `${CERTIFICATE_PROBLEMS[code]} (${code})`;
}

/** One error of a cause chain, as far as the checks below read it. */
type ChainLink = { code?: unknown; host?: unknown; message?: unknown; cause?: unknown; $metadata?: { httpStatusCode?: number } };

/**
 * A refused server certificate or a CONNECT the proxy refused, found on the error or its causes in
 * one walk (the SDK may wrap either), as a StoreError; `undefined` for any other error.
 */
function connectionRefused(error: unknown, what: string): StoreError | undefined {
  let e = error as ChainLink | undefined;
  // A refused certificate anywhere in the chain wins; else the first proxy refusal.
  let proxy: ChainLink | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as ChainLink | undefined) {
    const code = certificateCode(e);
    if (code !== undefined) return certificateRefused(e, code, error, what);
    if (proxy === undefined && (e.code === 'ProxyRefused' || e.code === 'ProxyCertificate')) proxy = e;
  }
  return proxy && proxyRefused(proxy, proxy.code as string, error, what);
}

/** A refused server certificate (`link` of the chain of `error`) as a `certificate` StoreError naming the host (when TLS says it), the problem and the fix. */
function certificateRefused(link: ChainLink, code: string, error: unknown, what: string): StoreError {
  // Node names the host on a name mismatch (`host`); for the other problems the endpoint in `what` names it.
  const host = typeof link.host === 'string' ? ` of ${link.host}` : '';
  return new StoreError(
    'certificate',
    `${what}: the server's TLS certificate${host} was refused: ${CERTIFICATE_PROBLEMS[code]} (${code}). ` +
      "Give the store the PEM bundle of its CA with the store option ca=PATH (or AWS_CA_BUNDLE, or Node's NODE_EXTRA_CA_CERTS); certificate checks cannot be turned off",
    code,
    { cause: error },
  );
}

const HINTS: Partial<Record<StoreErrorKind, string>> = {
  'no-such-bucket': 'the bucket does not exist (check the store URL and region)',
  'access-denied': 'the credentials were refused or lack permission',
  'no-credentials': 'no credentials found for this store (set credentials=env:NAME, a key folder, or AWS credentials)',
  'acl-not-supported': 'the bucket has ACLs disabled (BucketOwnerEnforced); use visibility=policy',
};

/**
 * A CONNECT the proxy refused, or an https:// proxy whose own certificate TLS refused
 * (`ProxyRefusedError`, `ProxyCertificateError` of `agents.ts`; `link` of the chain of `error`) as a
 * `proxy` StoreError: the proxy by host and port, the origin and the status or problem.
 */
function proxyRefused(link: ChainLink, code: string, error: unknown, what: string): StoreError {
  return new StoreError('proxy', `${what}: ${String(link.message)}; check HTTPS_PROXY, HTTP_PROXY and NO_PROXY`, code, { cause: error });
}
