/**
 * The lean client: PutObject of a whole body, GetObject of a whole object, HeadObject and ListObjectsV2 pages,
 * signed and sent without the SDK's middleware stack. Measured on small objects, `PutObjectCommand`
 * costs about 1.2 ms of CPU per object (serializers, endpoint rules, middleware) against about
 * 0.35 ms for this path, and upload-logs sends thousands of small files; mirror-bucket reads
 * thousands. It sends what the SDK sends for the same input (same path encoding, headers, ACL,
 * metadata, signed payload hash, CRC32 where the provider gets one), on the client's own sockets,
 * through the client's own retry strategy and clock correction, and fails with the same error
 * shapes; anything it cannot send identically it leaves to the SDK.
 */
import type * as http from 'node:http';
import type { S3Client } from '@aws-sdk/client-s3';
import { isClockSkewError } from '@smithy/core/retry';
import { clientWiring, type ClientWiring } from './client';
import { headError, retryErrorType, serviceError } from './lean-errors';
import { leanTarget, type RequestTarget } from './lean-address';
import { buildGet, buildHead, buildList, buildPut, type ListRequest } from './lean-requests';
import type { SignedRequest, SigningKeys } from './lean-sign';
import { MAX_LIST_BODY, readBody, readText, sendOnce } from './lean-transport';
import { parseListPage, type ListPage } from './list-page';
import type { ObjectHeaders } from './object-shapes';
import { clockOffset, credentialProvider, retryStrategy, setClockOffset } from './sdk-config';

/** The lean requests for one bucket of a client made by `createS3Client`. */
export class LeanClient {
  private constructor(
    private readonly client: S3Client,
    private readonly wiring: ClientWiring,
    private readonly bucket: string,
  ) {}

  /** The lean client for `bucket` through `client`; `undefined` for a client not made by `createS3Client` or made with `wire: 'sdk'`. */
  static for(client: S3Client, bucket: string): LeanClient | undefined {
    const wiring = clientWiring(client);
    return wiring?.wire === 'lean' ? new LeanClient(client, wiring, bucket) : undefined;
  }

  /**
   * PUTs `body` at `key`. Resolves the raw `ETag` header, or `undefined` when this request must go
   * through the SDK instead (see {@link buildPut}). Rejects with the SDK's shapes: a service error
   * with `Code` and `$metadata.httpStatusCode`, a network error with its `code`, or the credential
   * provider's own error.
   */
  put(key: string, body: Buffer, sha256: Buffer, headers: ObjectHeaders): Promise<{ etag?: string } | undefined> {
    return this.attempts(
      (target, keys, now) => buildPut(target, key, body, sha256, headers, keys, now),
      async (res) => {
        await readText(res, 65_536);
        const etag = res.headers.etag;
        return { etag: typeof etag === 'string' ? etag : undefined };
      },
      body,
    );
  }

  /**
   * GETs the whole object at `key`: resolves the answer's headers and its body stream, or
   * `undefined` when the SDK must send this request (see {@link buildGet}). Attempts and errors as
   * for `put`; a fault once the body streams surfaces on the body, as with the SDK.
   */
  read(key: string): Promise<{ headers: http.IncomingHttpHeaders; body: http.IncomingMessage } | undefined> {
    return this.attempts(
      (target, keys, now) => buildGet(target, key, keys, now),
      async (res) => ({ headers: res.headers, body: res }),
    );
  }

  /**
   * HEADs `key`: resolves the answer's headers, or `undefined` when the SDK must send this request
   * (see {@link buildHead}). A missing object rejects as the SDK's does (`NotFound`, HTTP 404);
   * attempts and errors otherwise as for `put`.
   */
  head(key: string): Promise<http.IncomingHttpHeaders | undefined> {
    return this.attempts(
      (target, keys, now) => buildHead(target, key, keys, now),
      async (res) => {
        res.resume();
        return res.headers;
      },
    );
  }

  /** One ListObjectsV2 page, or `undefined` when the SDK must send it. Attempts and errors as for `put`. */
  list(request: ListRequest): Promise<ListPage | undefined> {
    return this.attempts(
      (target, keys, now) => buildList(target, request, keys, now),
      async (res) => parseListPage(await readBody(res, MAX_LIST_BODY)),
    );
  }

  /**
   * One request with the client's attempts (a PUT of `body`, else a GET): `build` signs it (or says
   * the SDK must send it), `done` turns a 2xx answer into the result. After a failure the client's
   * retry strategy decides, as for the SDK's own requests, whether and when to send it again.
   */
  private async attempts<T>(
    build: (target: RequestTarget, keys: SigningKeys, now: Date) => SignedRequest | undefined,
    done: (res: http.IncomingMessage) => Promise<T>,
    body?: Buffer,
  ): Promise<T | undefined> {
    const target = await leanTarget(this.client, this.bucket);
    if (target === undefined) return undefined;
    const strategy = await retryStrategy(this.client);
    let token = await strategy.acquireInitialRetryToken('');
    for (;;) {
      const keys = await this.keys();
      const signed = build(target, keys, new Date(Date.now() + clockOffset(this.client)));
      if (signed === undefined) return undefined;
      try {
        const result = await this.once(signed, done, body);
        strategy.recordSuccess(token);
        return result;
      } catch (e) {
        try {
          token = await strategy.refreshRetryTokenForRetry(token, { error: e, errorType: retryErrorType(e) });
        } catch {
          throw e;
        }
        const delay = token.getRetryDelay();
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private keys(): Promise<SigningKeys> | SigningKeys {
    const c = this.wiring.credentials;
    // `default`: the SDK's memoized default chain. A chain that finds nothing throws
    // CredentialsProviderError, which maps to `no-credentials`.
    return c === 'default' ? credentialProvider(this.client)() : c;
  }

  /** One exchange: the result of a 2xx answer, else the SDK-shaped error (marked when it corrected the clock). */
  private async once<T>(signed: SignedRequest, done: (res: http.IncomingMessage) => Promise<T>, body?: Buffer): Promise<T> {
    const res = await sendOnce(signed, this.wiring, body);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return done(res);
    const text = await readText(res, 65_536);
    const head = signed.method === 'HEAD';
    const error = head ? headError(status) : serviceError(status, text);
    // As the SDK's signer does, a skewed answer corrects the clock; the SDK then retries it as
    // transient. A HEAD's error names no code: any of them may be the skew (the SDK's signer
    // corrects after every error that carries a Date).
    if ((head || isClockSkewError(error as Parameters<typeof isClockSkewError>[0])) && this.correctClock(res.headers.date)) error.$metadata.clockSkewCorrected = true;
    throw error;
  }

  /**
   * Adopts the server's clock when it is more than five minutes from ours, shared with the
   * client so that its own requests are corrected too. True if corrected.
   */
  private correctClock(serverDate: string | undefined): boolean {
    const server = serverDate ? Date.parse(serverDate) : NaN;
    if (Number.isNaN(server)) return false;
    const offset = server - Date.now();
    if (Math.abs(offset - clockOffset(this.client)) < 300_000) return false;
    setClockOffset(this.client, offset);
    return true;
  }
}
