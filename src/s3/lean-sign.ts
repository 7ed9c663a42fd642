/**
 * SigV4 for the hand-built requests, by the signer the AWS SDK itself signs with
 * (`@smithy/signature-v4`, which keeps each day's signing key) and the SHA-256 it hashes with.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RequestAddress } from './lean-address';

/** Keys a request is signed with. */
export interface SigningKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A request ready to send: its address and every header, `authorization` included. */
export interface SignedRequest {
  readonly address: RequestAddress;
  readonly headers: Record<string, string>;
}

/** A request to sign: header names lower case; `x-amz-content-sha256` holds the payload hash. */
export interface UnsignedRequest {
  readonly method: 'GET' | 'PUT';
  /** `path` is the canonical URI, already encoded (S3 does not encode it a second time), without the query. */
  readonly address: RequestAddress;
  readonly headers: Readonly<Record<string, string>>;
  /** Query names and values, not encoded. */
  readonly query?: Readonly<Record<string, string>>;
}

// One signer per set of keys: the default chain's provider answers the same object until it
// refreshes, and static keys are one object for the client's life.
const SIGNERS = new WeakMap<SigningKeys, SignatureV4>();

function signerFor(keys: SigningKeys, region: string): SignatureV4 {
  let signer = SIGNERS.get(keys);
  if (signer === undefined) {
    // uriEscapePath false: S3 signs the path as sent; applyChecksum false: the caller gives the payload hash.
    signer = new SignatureV4({ service: 's3', region, credentials: keys, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    SIGNERS.set(keys, signer);
  }
  return signer;
}

/**
 * Signs `request` for `region` at `now`: adds `x-amz-date`, `x-amz-security-token` (with a session
 * token) and `authorization`. Every header given is signed but those SigV4 never signs (`cache-control`).
 */
export async function signRequest(request: UnsignedRequest, region: string, keys: SigningKeys, now: Date): Promise<SignedRequest> {
  const { address } = request;
  const signed = await signerFor(keys, region).sign(
    {
      method: request.method,
      protocol: address.protocol,
      hostname: address.hostname,
      port: address.port === undefined ? undefined : Number(address.port),
      path: address.path,
      query: { ...request.query },
      headers: { ...request.headers },
    },
    { signingDate: now, signingRegion: region },
  );
  return { address, headers: signed.headers as Record<string, string> };
}
