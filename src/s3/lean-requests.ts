/**
 * The requests the lean client sends, built and signed as the AWS SDK would send them for the same
 * input: PutObject of a whole body, GetObject of a whole object, HeadObject, one ListObjectsV2 page. Each
 * builder answers `undefined` where it cannot send exactly what the SDK sends (the SDK then does).
 */
import * as zlib from 'node:zlib';
import { encodeRfc3986 } from './anonymous';
import type { ObjectHeaders } from './object-shapes';
import { requestAddress, type RequestTarget } from './lean-address';
import { signRequest, type SignedRequest, type SigningKeys } from './lean-sign';

// Header values the SDK and this code put on the wire byte for byte: printable ASCII. Anything
// else (UTF-8 metadata, control characters) goes through the SDK, whatever it makes of it.
const SAFE_VALUE = /^[\x20-\x7e]*$/;
// Metadata names must be HTTP tokens to be header names at all.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** SHA-256 of an empty payload: what a GET signs. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Whether every value can go on the wire as the SDK sends it (a session token included). */
function allSafe(headers: Readonly<Record<string, string>>, keys: SigningKeys): boolean {
  return Object.values(headers).every((v) => SAFE_VALUE.test(v)) && (keys.sessionToken === undefined || SAFE_VALUE.test(keys.sessionToken));
}

/**
 * Builds and signs a PutObject for `body`, whose SHA-256 is `sha256` (sent as the signed payload
 * hash, which the server checks). `now` is the signing time. `undefined` when a header cannot be
 * sent exactly as the SDK would send it.
 */
export function buildPut(
  target: RequestTarget,
  key: string,
  body: Buffer,
  sha256: Buffer,
  headers: ObjectHeaders,
  keys: SigningKeys,
  now: Date,
): SignedRequest | undefined {
  const address = requestAddress(target.endpoint, key);
  const signed: Record<string, string> = {
    host: address.host,
    'content-length': String(body.length),
    // The SDK's serializer sends this type when none (or an empty one) is given.
    'content-type': headers.contentType || 'application/octet-stream',
    'x-amz-content-sha256': sha256.toString('hex'),
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
  // The SDK's signer never signs cache-control; it is sent unsigned here too.
  if (headers.cacheControl) signed['cache-control'] = headers.cacheControl;
  if (!allSafe(signed, keys)) return undefined;
  return signRequest({ method: 'PUT', address, headers: signed }, target.endpoint.signingRegion, keys, now);
}

/**
 * Builds and signs a GetObject of the whole of `key`, or `undefined` when the SDK must send it
 * (AWS's own endpoints, where the SDK asks for and validates a response checksum).
 */
export function buildGet(target: RequestTarget, key: string, keys: SigningKeys, now: Date): SignedRequest | undefined {
  return buildRead('GET', target, key, keys, now);
}

/**
 * Builds and signs a HeadObject of `key`, or `undefined` where the SDK must send it (AWS's own
 * endpoints, as for {@link buildGet}: what the SDK adds there is left to it).
 */
export function buildHead(target: RequestTarget, key: string, keys: SigningKeys, now: Date): SignedRequest | undefined {
  return buildRead('HEAD', target, key, keys, now);
}

/** A GET or HEAD of `key`: no body, no header but the host and the empty payload's hash. */
function buildRead(method: 'GET' | 'HEAD', target: RequestTarget, key: string, keys: SigningKeys, now: Date): SignedRequest | undefined {
  if (target.quirks.checksums === 'WHEN_SUPPORTED') return undefined;
  const address = requestAddress(target.endpoint, key);
  const signed = { host: address.host, 'x-amz-content-sha256': EMPTY_SHA256 };
  if (!allSafe(signed, keys)) return undefined;
  return signRequest({ method, address, headers: signed }, target.endpoint.signingRegion, keys, now);
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
 * Builds and signs a ListObjectsV2 of the target's bucket, or `undefined` where the SDK must send it (as for
 * {@link buildGet}). The address path carries the query string.
 */
export function buildList(target: RequestTarget, list: ListRequest, keys: SigningKeys, now: Date): SignedRequest | undefined {
  if (target.quirks.checksums === 'WHEN_SUPPORTED') return undefined;
  // The bucket itself: path style ends in "/BUCKET/" (the key is empty), as the SDK sends it.
  const base = requestAddress(target.endpoint, '');
  // encoding-type=url: keys come back percent-encoded, so that every key S3 can hold (control
  // characters, CR, whitespace-only names) survives XML byte for byte; list-page.ts decodes them.
  const query: Record<string, string> = { 'list-type': '2', 'encoding-type': 'url' };
  if (list.prefix) query.prefix = list.prefix;
  if (list.continuationToken !== undefined) query['continuation-token'] = list.continuationToken;
  else if (list.startAfter) query['start-after'] = list.startAfter;
  const signed = { host: base.host, 'x-amz-content-sha256': EMPTY_SHA256 };
  if (!allSafe(signed, keys)) return undefined;
  // Sent as SigV4 signs it: names sorted, names and values encoded alike.
  const queryString = Object.entries(query)
    .map(([n, v]) => [encodeQueryPart(n), encodeQueryPart(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
  const request = signRequest({ method: 'GET', address: base, headers: signed, query: queryString }, target.endpoint.signingRegion, keys, now);
  return { method: 'GET', address: { ...base, path: `${base.path}?${queryString}` }, headers: request.headers };
}
