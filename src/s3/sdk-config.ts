/**
 * The one place that reaches into an `S3Client`'s resolved configuration, for code that sends
 * requests beside the SDK on the same client and must behave as the SDK's own requests do:
 *
 * - `config.credentials`: the SDK's credential provider (for a client made without static keys, the
 *   memoized default chain: environment, files, web identity, IMDS, with refresh);
 * - `config.systemClockOffset`: the clock correction the SDK's signer adds to the signing time, and
 *   which it updates from the server's Date after a skewed answer;
 * - `config.retryStrategy`: the client's one retry strategy (attempts, backoff, retry quota), which
 *   the SDK's retry middleware asks before each new attempt;
 * - the SDK's endpoint resolution (`getEndpointFromInstructions`, what its endpoint middleware
 *   runs for every request): the URL and signing scope of a bucket, with the client's endpoint,
 *   path style, region, FIPS and dual-stack settings, and the configured endpoint
 *   (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, a profile's `endpoint_url` or `services` section);
 * - the middleware stack's order: a middleware placed right after `httpSigningMiddleware` (which
 *   comes after `retryMiddleware`) runs once per attempt, on the signed request, just before the
 *   request handler writes it; that is where a large body is swapped for a stream of slices.
 *
 * These are typed fields of the SDK's config, but what they mean is the SDK's business and may
 * change: `test/unit/sdk-config.test.ts` holds each assumption to the real SDK objects.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { HttpRequest } from '@smithy/core/transport';
import { sliceStream, SLICE_BYTES, wantsSlices } from './body-slices';
import type { RetryErrorType } from './lean-errors';
import type { SigningKeys } from './lean-sign';

/** The client's credential provider; it throws the SDK's `CredentialsProviderError` when the chain finds nothing. */
export function credentialProvider(client: S3Client): () => Promise<SigningKeys> {
  const provider = client.config.credentials;
  return () => provider();
}

/** Milliseconds the SDK adds to the local clock when it signs (0 until it has corrected a skew). */
export function clockOffset(client: S3Client): number {
  return client.config.systemClockOffset ?? 0;
}

/** Sets the offset the SDK's signer adds to the local clock: the SDK's own requests are corrected too. */
export function setClockOffset(client: S3Client, offsetMs: number): void {
  client.config.systemClockOffset = offsetMs;
}

/** A token of the retry strategy: one per request, renewed for each retry. */
export interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/** The retry strategy's interface as the SDK's middleware drives it (`RetryStrategyV2`). */
export interface RetryStrategy {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  /** Resolves the token for one more attempt (after the backoff), or rejects when no retry is allowed. */
  refreshRetryTokenForRetry(token: RetryToken, errorInfo: { error: unknown; errorType: RetryErrorType }): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

/** The client's retry strategy, shared with the SDK's own requests; throws if it is not one the SDK's middleware would drive this way. */
export async function retryStrategy(client: S3Client): Promise<RetryStrategy> {
  const strategy = (await client.config.retryStrategy()) as Partial<RetryStrategy>;
  if (typeof strategy.acquireInitialRetryToken !== 'function' || typeof strategy.refreshRetryTokenForRetry !== 'function' || typeof strategy.recordSuccess !== 'function') {
    throw new Error('the S3 client has a retry strategy of the older kind (no retry tokens), which this code cannot share');
  }
  return strategy as RetryStrategy;
}

/** The operations the lean client sends, by the SDK command that sends the same request. */
export type LeanOperation = 'PutObject' | 'GetObject' | 'ListObjectsV2';

const COMMANDS = { PutObject: PutObjectCommand, GetObject: GetObjectCommand, ListObjectsV2: ListObjectsV2Command } as const;

/** Where the SDK sends an operation on a bucket, and how it signs it. */
export interface BucketEndpoint {
  /** The bucket's URL: `https://BUCKET.HOST/` (virtual-hosted) or `https://HOST/BUCKET` (path style); the key's path follows. */
  readonly url: URL;
  /** The auth scheme the SDK picks (`sigv4`, `sigv4-s3express`, `sigv4a`, ...). */
  readonly scheme: string;
  readonly signingName?: string;
  readonly signingRegion?: string;
  /** Headers the endpoint adds to every request (none for S3 today). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

/**
 * Asks the client's own endpoint resolution where it would send `operation` on `bucket` (and
 * `key`, which S3's rules take as a parameter): the same function, on a copy of the same config,
 * that the SDK's endpoint middleware runs for its own requests. Rejects as the SDK's request would
 * (a `services` section that is missing, a FIPS region that has none).
 */
export async function bucketEndpoint(client: S3Client, operation: LeanOperation, bucket: string, key = ''): Promise<BucketEndpoint> {
  const input = operation === 'ListObjectsV2' ? { Bucket: bucket } : { Bucket: bucket, Key: key };
  // A copy, as the middleware passes one: resolution writes the configured endpoint into it.
  const endpoint = await getEndpointFromInstructions(input, COMMANDS[operation], { ...client.config });
  const auth = (endpoint.properties?.authSchemes as { name?: string; signingName?: string; signingRegion?: string }[] | undefined)?.[0];
  return {
    url: endpoint.url,
    scheme: auth?.name ?? 'sigv4',
    signingName: auth?.signingName,
    signingRegion: auth?.signingRegion,
    headers: endpoint.headers ?? {},
  };
}

/** The name of the middleware {@link sendBodiesInSlices} adds. */
export const BODY_SLICES_MIDDLEWARE = 'ciStoresBodySlices';

/**
 * Makes every request of `client` with a large byte body (an UploadPart, a PutObject the SDK
 * sends) hand its body to the request handler as a fresh stream of slices (`body-slices.ts`), on
 * each attempt: the handler would otherwise write the whole Buffer to the socket at once. It runs
 * after the retry and signing middleware, so the signer saw the bytes (and the payload hash is
 * set as a header beforehand anyway), and the request the retry middleware resends keeps its
 * Buffer: the next attempt gets a new stream from the start. The stream goes to a copy of the
 * signed request; the original is not changed.
 */
export function sendBodiesInSlices(client: S3Client, slice = SLICE_BYTES): void {
  type Args = { request: unknown };
  const middleware = (next: (args: Args) => Promise<unknown>) => (args: Args) => {
    const request = args.request;
    if (!HttpRequest.isInstance(request) || !wantsSlices(request.body, slice)) return next(args);
    return next({ ...args, request: new HttpRequest({ ...request, body: sliceStream(request.body, slice) }) });
  };
  client.middlewareStack.addRelativeTo(middleware as unknown as Parameters<S3Client['middlewareStack']['addRelativeTo']>[0], {
    relation: 'after',
    toMiddleware: 'httpSigningMiddleware',
    name: BODY_SLICES_MIDDLEWARE,
    override: true,
  });
}
