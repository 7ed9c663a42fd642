/**
 * SigV4 for the hand-built requests. Written here rather than through `@smithy/signature-v4`
 * (which `test/unit/lean-requests.test.ts` holds it to, byte for byte): measured on upload-logs,
 * the SDK's signer costs 60 to 150 us of CPU more per small object (its async hashing, request
 * copies, and an HMAC keyed by a byte array per request), 5 to 10 % of the whole run; see
 * ARCHITECTURE.md. What it signs is what the SDK signs: every header given but `cache-control`.
 */
import * as crypto from 'node:crypto';
import type { RequestAddress } from './lean-address';

/** Keys a request is signed with. */
export interface SigningKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A request ready to send: its method, address and every header, `authorization` included. */
export interface SignedRequest {
  readonly method: 'GET' | 'PUT' | 'HEAD';
  readonly address: RequestAddress;
  readonly headers: Record<string, string>;
}

/** A request to sign: header names lower case; `x-amz-content-sha256` holds the payload hash. */
export interface UnsignedRequest {
  readonly method: 'GET' | 'PUT' | 'HEAD';
  /** `path` is the canonical URI, already encoded (S3 does not encode it a second time), without the query. */
  readonly address: RequestAddress;
  readonly headers: Readonly<Record<string, string>>;
  /** The canonical query string: names sorted, names and values encoded (RFC 3986); empty for none. */
  readonly query?: string;
}

// Headers SigV4 never signs, as the SDK's signer leaves them out (only this one is ever sent here).
const UNSIGNED = new Set(['cache-control']);

/**
 * Signs `request` for `region` at `now`: adds `x-amz-date`, `x-amz-security-token` (with a session
 * token) and `authorization`.
 */
export function signRequest(request: UnsignedRequest, region: string, keys: SigningKeys, now: Date): SignedRequest {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const headers: Record<string, string> = { ...request.headers, 'x-amz-date': amzDate };
  if (keys.sessionToken) headers['x-amz-security-token'] = keys.sessionToken;
  const names = Object.keys(headers)
    .filter((n) => !UNSIGNED.has(n))
    .sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = `${request.method}\n${request.address.path}\n${request.query ?? ''}\n${canonicalHeaders}\n${signedHeaders}\n${headers['x-amz-content-sha256']}`;
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${crypto.createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const signature = crypto.createHmac('sha256', signingKey(keys.secretAccessKey, date, region)).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { method: request.method, address: request.address, headers };
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
