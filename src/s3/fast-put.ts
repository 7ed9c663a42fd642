/**
 * A single-request PutObject (and a whole-object GetObject) signed and sent without the SDK's middleware stack. Measured on small
 * objects, `PutObjectCommand` costs about 1.2 ms of CPU per object (serializers, endpoint rules,
 * middleware, retry bookkeeping) against about 0.35 ms for this path, and upload-logs sends thousands
 * of small files. It sends what the SDK sends for the same input (same path encoding, headers, ACL,
 * metadata, signed payload hash, CRC32 where the provider gets one), on the client's own sockets, with
 * the same attempts and the same error codes; anything it cannot send identically it leaves to the SDK.
 * The GET serves mirror-bucket, which reads thousands of small objects: on providers where the SDK
 * validates no response checksum (every endpoint but AWS's own), it sends what the SDK would send.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as zlib from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { encodeKey, encodeRfc3986 } from './anonymous';
import type { ObjectHeaders } from './bucket';
import { clientWiring, type ClientWiring } from './client';
import { parseListPage, type ListPage } from './list-page';

/** Keys a request is signed with. */
export interface SigningKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where a PUT goes: `host` carries the port when it is not the scheme's default. */
export interface PutAddress {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port?: string;
  readonly host: string;
  /** The request path, also the canonical URI: S3 signs the path as sent, not encoded twice. */
  readonly path: string;
}

/** A request ready to send: its address and every header, `authorization` included. */
export interface SignedPut {
  readonly address: PutAddress;
  readonly headers: Record<string, string>;
}

/** What a PUT needs to know about its store; a subset of {@link ClientWiring}. */
export type PutTarget = Pick<ClientWiring, 'quirks' | 'endpoint' | 'region'>;

// Bucket names the SDK addresses as a virtual host on AWS over TLS: one DNS label, lower case.
// Dotted names fail the wildcard certificate, so the SDK (and this code) uses path style for them.
const VIRTUAL_HOSTABLE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The address the SDK would use for `key` in `bucket`, or `undefined` when this code does not know
 * it for sure (a custom endpoint without path style, China or FIPS/dual-stack endpoints): the SDK
 * then sends the request.
 */
export function putAddress(target: PutTarget, bucket: string, key: string, env: NodeJS.ProcessEnv = process.env): PutAddress | undefined {
  if (target.endpoint === undefined) {
    if (target.quirks.id !== 'aws' || target.region.startsWith('cn-')) return undefined;
    if (isOn(env.AWS_USE_FIPS_ENDPOINT) || isOn(env.AWS_USE_DUALSTACK_ENDPOINT)) return undefined;
    const regional = `s3.${target.region}.amazonaws.com`;
    return !target.quirks.forcePathStyle && VIRTUAL_HOSTABLE.test(bucket)
      ? { protocol: 'https:', hostname: `${bucket}.${regional}`, host: `${bucket}.${regional}`, path: `/${encodeKey(key)}` }
      : { protocol: 'https:', hostname: regional, host: regional, path: `/${bucket}/${encodeKey(key)}` };
  }
  if (!target.quirks.forcePathStyle) return undefined;
  let u: URL;
  try {
    u = new URL(target.endpoint);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search !== '' || u.username !== '') return undefined;
  const base = u.pathname.replace(/\/+$/, '');
  // URL keeps brackets on IPv6 literals in `hostname`; http.request wants them without.
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { protocol: u.protocol, hostname, port: u.port || undefined, host: u.host, path: `${base}/${bucket}/${encodeKey(key)}` };
}

function isOn(v: string | undefined): boolean {
  return v !== undefined && v.toLowerCase() === 'true';
}

// Header values the SDK and this code put on the wire byte for byte: printable ASCII. Anything
// else (UTF-8 metadata, control characters) goes through the SDK, whatever it makes of it.
const SAFE_VALUE = /^[\x20-\x7e]*$/;
// Metadata names must be HTTP tokens to be header names at all.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Builds and signs a PutObject for `body`, whose SHA-256 is `sha256` (sent as the signed payload
 * hash, which the server checks). `now` is the signing time. `undefined` when a header cannot be
 * sent exactly as the SDK would send it.
 */
export function buildPut(
  target: PutTarget,
  bucket: string,
  key: string,
  body: Buffer,
  sha256: Buffer,
  headers: ObjectHeaders,
  keys: SigningKeys,
  now: Date,
): SignedPut | undefined {
  const address = putAddress(target, bucket, key);
  if (address === undefined) return undefined;
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const payloadHash = sha256.toString('hex');
  const signed: Record<string, string> = {
    host: address.host,
    'content-length': String(body.length),
    // The SDK's serializer sends this type when none (or an empty one) is given.
    'content-type': headers.contentType || 'application/octet-stream',
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  };
  // Empty strings are left out, as the SDK's serializer leaves them out.
  if (headers.contentEncoding) signed['content-encoding'] = headers.contentEncoding;
  if (headers.contentDisposition) signed['content-disposition'] = headers.contentDisposition;
  if (headers.acl) signed['x-amz-acl'] = headers.acl;
  for (const [name, value] of Object.entries(headers.metadata ?? {})) {
    const header = `x-amz-meta-${name.toLowerCase()}`;
    // Two names differing only in case would be one header: let the SDK decide what that means.
    if (!TOKEN.test(name) || header in signed) return undefined;
    signed[header] = value;
  }
  if (target.quirks.checksums === 'WHEN_SUPPORTED') {
    // The SDK adds a CRC32 for providers that take one (AWS); S3 stores and checks it.
    // zlib.crc32 arrived in Node 20.15; on an older Node the SDK computes it.
    if (typeof zlib.crc32 !== 'function') return undefined;
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    signed['x-amz-sdk-checksum-algorithm'] = 'CRC32';
    signed['x-amz-checksum-crc32'] = crc.toString('base64');
  }
  if (keys.sessionToken) signed['x-amz-security-token'] = keys.sessionToken;
  for (const v of Object.values(signed)) if (!SAFE_VALUE.test(v)) return undefined;
  if (headers.cacheControl !== undefined && headers.cacheControl !== '' && !SAFE_VALUE.test(headers.cacheControl)) return undefined;

  const authorization = signV4({ method: 'PUT', path: address.path, headers: signed, payloadHash, region: target.region, keys, amzDate });
  const out: Record<string, string> = { ...signed, authorization };
  // The SDK's signer never signs cache-control; it is sent unsigned here too.
  if (headers.cacheControl) out['cache-control'] = headers.cacheControl;
  return { address, headers: out };
}

/** SHA-256 of an empty payload: what a GET signs. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Builds and signs a GetObject of the whole of `key`, or `undefined` when the SDK must send it
 * (AWS's own endpoints, where the SDK asks for and validates a response checksum).
 */
export function buildGet(target: PutTarget, bucket: string, key: string, keys: SigningKeys, now: Date): SignedPut | undefined {
  if (target.quirks.checksums === 'WHEN_SUPPORTED') return undefined;
  const address = putAddress(target, bucket, key);
  if (address === undefined) return undefined;
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const signed: Record<string, string> = { host: address.host, 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': amzDate };
  if (keys.sessionToken) signed['x-amz-security-token'] = keys.sessionToken;
  for (const v of Object.values(signed)) if (!SAFE_VALUE.test(v)) return undefined;
  const authorization = signV4({ method: 'GET', path: address.path, headers: signed, payloadHash: EMPTY_SHA256, region: target.region, keys, amzDate });
  return { address, headers: { ...signed, authorization } };
}

/** Encodes a query name or value as SigV4 wants it: every byte but A-Z a-z 0-9 - _ . ~. */
export function encodeQueryPart(v: string): string {
  return encodeRfc3986(v);
}

/** What one ListObjectsV2 page asks for. */
export interface ListRequest {
  readonly prefix?: string;
  readonly continuationToken?: string;
  readonly startAfter?: string;
}

/**
 * Builds and signs a ListObjectsV2 of `bucket`, or `undefined` where the SDK must send it (as for
 * {@link buildGet}). The address path carries the query string.
 */
export function buildList(target: PutTarget, bucket: string, list: ListRequest, keys: SigningKeys, now: Date): SignedPut | undefined {
  if (target.quirks.checksums === 'WHEN_SUPPORTED') return undefined;
  const base = putAddress(target, bucket, '');
  if (base === undefined) return undefined;
  // encoding-type=url: keys come back percent-encoded, so that every key S3 can hold (control
  // characters, CR, whitespace-only names) survives XML byte for byte; list-page.ts decodes them.
  const params: [string, string][] = [['list-type', '2'], ['encoding-type', 'url']];
  if (list.prefix) params.push(['prefix', list.prefix]);
  if (list.continuationToken !== undefined) params.push(['continuation-token', list.continuationToken]);
  else if (list.startAfter) params.push(['start-after', list.startAfter]);
  const query = params
    .map(([n, v]) => [encodeQueryPart(n), encodeQueryPart(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
  // The bucket itself: path style ends in "/BUCKET/" (the key is empty), as the SDK sends it.
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const signed: Record<string, string> = { host: base.host, 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': amzDate };
  if (keys.sessionToken) signed['x-amz-security-token'] = keys.sessionToken;
  for (const v of Object.values(signed)) if (!SAFE_VALUE.test(v)) return undefined;
  const authorization = signV4({ method: 'GET', path: base.path, query, headers: signed, payloadHash: EMPTY_SHA256, region: target.region, keys, amzDate });
  return { address: { ...base, path: `${base.path}?${query}` }, headers: { ...signed, authorization } };
}

/** One request to sign: header names lower case, every header given is signed. */
export interface SigningInput {
  readonly method: string;
  /** Canonical URI, already encoded (S3 does not encode it a second time). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly payloadHash: string;
  readonly region: string;
  readonly keys: SigningKeys;
  /** `YYYYMMDDTHHMMSSZ`. */
  readonly amzDate: string;
  /** The canonical query string (names sorted, names and values encoded by {@link encodeQueryPart}); empty for none. */
  readonly query?: string;
}

/** The `Authorization` value for an AWS4-HMAC-SHA256 (SigV4) request to S3. */
export function signV4(input: SigningInput): string {
  const names = Object.keys(input.headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${input.headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = `${input.method}\n${input.path}\n${input.query ?? ''}\n${canonicalHeaders}\n${signedHeaders}\n${input.payloadHash}`;
  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/s3/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${input.amzDate}\n${scope}\n${crypto.createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const signature = crypto.createHmac('sha256', signingKey(input.keys.secretAccessKey, date, input.region)).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${input.keys.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

// The key changes once a day per region and secret; deriving it is four HMACs per request otherwise.
// Keyed by a digest so that no secret sits in a map key that a heap dump or debugger would show plainly.
// Kept as a KeyObject: an HMAC keyed by a Buffer re-imports the key each time (about 14 us against 2 us
// here), which at thousands of requests a second is most of the signing cost.
const SIGNING_KEYS = new Map<string, crypto.KeyObject>();

function signingKey(secret: string, date: string, region: string): crypto.KeyObject {
  const id = crypto.createHash('sha256').update(`${date}\0${region}\0${secret}`).digest('base64');
  let k = SIGNING_KEYS.get(id);
  if (k === undefined) {
    const hmac = (key: string | Buffer, data: string) => crypto.createHmac('sha256', key).update(data).digest();
    k = crypto.createSecretKey(hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request'));
    if (SIGNING_KEYS.size >= 64) SIGNING_KEYS.clear();
    SIGNING_KEYS.set(id, k);
  }
  return k;
}

/** An answer that is not 2xx, shaped like the SDK's service errors so `toStoreError` reads it the same way. */
export interface S3ErrorShape extends Error {
  readonly Code?: string;
  readonly $metadata: { readonly httpStatusCode: number };
}

function s3Error(status: number, code: string | undefined, message: string | undefined): S3ErrorShape {
  const e = new Error(message || code || `HTTP ${status}`) as Error & { Code?: string; $metadata: { httpStatusCode: number } };
  e.name = code ?? 'UnknownError';
  e.Code = code;
  e.$metadata = { httpStatusCode: status };
  return e;
}

function xmlField(text: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(text);
  return m?.[1] || undefined;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
// What the SDK's standard retry strategy treats as passing, by code, whatever the status.
const RETRY_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'RequestThrottled', 'TooManyRequestsException', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable']);
const THROTTLE = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'RequestThrottled', 'TooManyRequestsException']);
const CLOCK_SKEW_CODES = new Set(['RequestTimeTooSkewed', 'RequestExpired', 'RequestInTheFuture', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'AuthFailure']);

function isPassingNetworkError(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  return (err.code !== undefined && NETWORK_CODES.has(err.code)) || err.name === 'TimeoutError' || /socket hang up/i.test(err.message ?? '');
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

/**
 * Sends one request (a PUT with `body`, else a GET); resolves as soon as the answer's headers
 * arrive, its body still to be read, and rejects on network faults and timeouts.
 */
function openOnce(signed: SignedPut, wiring: ClientWiring, body?: Buffer): Promise<http.IncomingMessage> {
  const { address } = signed;
  return new Promise((resolve, reject) => {
    const mod = address.protocol === 'https:' ? https : http;
    const req = mod.request(
      {
        method: body === undefined ? 'GET' : 'PUT',
        protocol: address.protocol,
        hostname: address.hostname,
        port: address.port,
        path: address.path,
        headers: signed.headers,
        agent: address.protocol === 'https:' ? wiring.agents.https : wiring.agents.http,
        timeout: wiring.idleTimeoutMs,
      },
      resolve,
    );
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(timeoutError(`no connection within ${wiring.connectTimeoutMs} ms`)), wiring.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    // Also while the body streams: a stalled body fails its reader instead of hanging.
    req.on('timeout', () => req.destroy(timeoutError(`no byte for ${wiring.idleTimeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}


/**
 * An answer's body as text, keeping at most `limit` bytes (the rest is read and dropped, so the
 * socket goes back to the pool): an error document or an upload's empty answer is small, a listing
 * page a few hundred KiB.
 */
async function readText(res: http.IncomingMessage, limit = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    if (size < limit) chunks.push(c as Buffer);
    size += (c as Buffer).length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A listing page of 1,000 keys of 1,024 bytes, each URL-encoded, fits well within this. */
export const MAX_LIST_BODY = 32 * 1024 * 1024;

/** An answer's whole body; throws when it is longer than `limit` bytes rather than keep part of it. */
export async function readBody(res: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error(`an answer body longer than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The wait before attempt `attempt + 1`: full jitter on an exponential base, as the SDK's standard mode. */
function backoffMs(attempt: number, throttled: boolean): number {
  return Math.random() * Math.min(20_000, (throttled ? 500 : 100) * 2 ** (attempt - 1));
}

/**
 * The lean PUT for one bucket of a client made by `createS3Client`. Shares the client's sockets,
 * attempts, clock-skew correction and (for `credentials=default`) its memoized credential provider.
 */
export class LeanPut {
  private constructor(
    private readonly client: S3Client,
    private readonly wiring: ClientWiring,
    private readonly bucket: string,
  ) {}

  /** The lean PUT for `bucket` through `client`; `undefined` for a client not made by `createS3Client` or made with `wire: 'sdk'`. */
  static for(client: S3Client, bucket: string): LeanPut | undefined {
    const wiring = clientWiring(client);
    return wiring?.wire === 'lean' ? new LeanPut(client, wiring, bucket) : undefined;
  }

  /**
   * PUTs `body` at `key`. Resolves the raw `ETag` header, or `undefined` when this request must go
   * through the SDK instead (see {@link buildPut}). Rejects with the SDK's shapes: a service error
   * with `Code` and `$metadata.httpStatusCode`, a network error with its `code`, or the credential
   * provider's own error.
   */
  put(key: string, body: Buffer, sha256: Buffer, headers: ObjectHeaders): Promise<{ etag?: string } | undefined> {
    return this.attempts(
      (keys, now) => buildPut(this.wiring, this.bucket, key, body, sha256, headers, keys, now),
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
      (keys, now) => buildGet(this.wiring, this.bucket, key, keys, now),
      async (res) => ({ headers: res.headers, body: res }),
    );
  }

  /** One ListObjectsV2 page, or `undefined` when the SDK must send it. Attempts and errors as for `put`. */
  list(request: ListRequest): Promise<ListPage | undefined> {
    return this.attempts(
      (keys, now) => buildList(this.wiring, this.bucket, request, keys, now),
      async (res) => parseListPage(await readBody(res, MAX_LIST_BODY)),
    );
  }

  /**
   * One request with the client's attempts (a PUT of `body`, else a GET): `build` signs it (or says
   * the SDK must send it), `done` turns a 2xx answer into the result. Network faults, passing statuses and codes are
   * retried with backoff, a skewed clock is corrected once, anything else is thrown in the SDK's shape.
   */
  private async attempts<T>(build: (keys: SigningKeys, now: Date) => SignedPut | undefined, done: (res: http.IncomingMessage) => Promise<T>, body?: Buffer): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      const keys = await this.keys();
      const signed = build(keys, new Date(Date.now() + this.clockOffset()));
      if (signed === undefined) return undefined;
      let status: number;
      let headers: http.IncomingHttpHeaders;
      let text: string;
      try {
        const res = await openOnce(signed, this.wiring, body);
        status = res.statusCode ?? 0;
        headers = res.headers;
        if (status >= 200 && status < 300) return await done(res);
        text = await readText(res, 65_536);
      } catch (e) {
        if (attempt < this.wiring.maxAttempts && isPassingNetworkError(e)) {
          await sleep(backoffMs(attempt, false));
          continue;
        }
        throw e;
      }
      const code = xmlField(text, 'Code');
      const error = s3Error(status, code, xmlField(text, 'Message'));
      if (attempt >= this.wiring.maxAttempts) throw error;
      if (code !== undefined && CLOCK_SKEW_CODES.has(code) && this.correctClock(headers.date)) continue;
      if (RETRY_STATUS.has(status) || (code !== undefined && RETRY_CODES.has(code))) {
        await sleep(backoffMs(attempt, status === 429 || status === 503 || (code !== undefined && THROTTLE.has(code))));
        continue;
      }
      throw error;
    }
  }

  private async keys(): Promise<SigningKeys> {
    const c = this.wiring.credentials;
    if (c !== 'default') return c;
    // The SDK's memoized default chain: env, files, web identity (OIDC), IMDS, with refresh.
    // A chain that finds nothing throws CredentialsProviderError, which maps to `no-credentials`.
    const provider = this.client.config.credentials as unknown as () => Promise<SigningKeys>;
    return provider();
  }

  private clockOffset(): number {
    return (this.client.config as { systemClockOffset?: number }).systemClockOffset ?? 0;
  }

  /**
   * Adopts the server's clock, as the SDK does, when it is more than five minutes from ours;
   * shared with the client so that its own requests are corrected too. True if corrected.
   */
  private correctClock(serverDate: string | undefined): boolean {
    const server = serverDate ? Date.parse(serverDate) : NaN;
    if (Number.isNaN(server)) return false;
    const offset = server - Date.now();
    if (Math.abs(offset - this.clockOffset()) < 300_000) return false;
    (this.client.config as { systemClockOffset?: number }).systemClockOffset = offset;
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
