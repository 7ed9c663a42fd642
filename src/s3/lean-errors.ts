/**
 * Failures of the lean client in the shapes the AWS SDK gives them, so that `toStoreError` and the
 * SDK's retry classification read both wires alike, and the classification itself.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

/** An answer that is not 2xx, shaped like the SDK's service errors. */
export interface S3ErrorShape extends Error {
  readonly Code?: string;
  readonly $metadata: { readonly httpStatusCode: number; clockSkewCorrected?: true };
}

/** The service error for an answer of `status` whose body is `text` (an S3 `<Error>` document, or anything). */
export function serviceError(status: number, text: string): S3ErrorShape {
  const code = xmlField(text, 'Code');
  const message = xmlField(text, 'Message');
  const e = new Error(message || code || `HTTP ${status}`) as Error & { Code?: string; $metadata: { httpStatusCode: number; clockSkewCorrected?: true } };
  e.name = code ?? 'UnknownError';
  e.Code = code;
  e.$metadata = { httpStatusCode: status };
  return e;
}

/**
 * The error for a HEAD answer that is not 2xx, which has no body to name a code: as the SDK gives
 * it, `NotFound` for 404 and `Unknown` otherwise, with the message `UnknownError`.
 */
export function headError(status: number): S3ErrorShape {
  const e = new Error('UnknownError') as Error & { $fault: 'client' | 'server'; $metadata: { httpStatusCode: number; clockSkewCorrected?: true } };
  e.name = status === 404 ? 'NotFound' : 'Unknown';
  e.$fault = status >= 500 ? 'server' : 'client';
  e.$metadata = { httpStatusCode: status };
  return e;
}

function xmlField(text: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(text);
  return m?.[1] || undefined;
}

/** A request that saw no connection, or no byte, in time: what the SDK's handler throws. */
export function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

/** How the SDK's retry strategy classes an error (what its retry middleware tells the strategy). */
export type RetryErrorType = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';

/**
 * The class the SDK's retry middleware gives `error`, by the SDK's own predicates, in its order.
 * Only throttling and transient errors are retried.
 */
export function retryErrorType(error: unknown): RetryErrorType {
  const e = error as Parameters<typeof isTransientError>[0];
  if (isThrottlingError(e)) return 'THROTTLING';
  if (isTransientError(e)) return 'TRANSIENT';
  if (isServerError(e)) return 'SERVER_ERROR';
  return 'CLIENT_ERROR';
}
