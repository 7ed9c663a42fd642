/**
 * The AWS SDK's own SigV4 signer (@smithy/signature-v4), set up as the SDK's S3 client sets it up
 * (service s3, the path not escaped again, no payload checksum added): the reference a hand-built
 * request's Authorization header is compared with.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

type Bytes = string | ArrayBuffer | ArrayBufferView;
function bytes(d: Bytes): string | Buffer {
  if (typeof d === 'string') return d;
  return ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);
}

/** SHA-256 and HMAC-SHA256 in the shape the SDK signer takes (neither sha256-js nor hash-node is installed). */
class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: Bytes) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Bytes): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

export interface RequestToSign {
  readonly method: string;
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number;
  /** The path as sent, without the query. */
  readonly path: string;
  /** The query, decoded. */
  readonly query?: Record<string, string>;
  /** The headers as sent; an `authorization` among them is left out of the signing. */
  readonly headers: Record<string, string>;
}

/** The Authorization header the SDK's signer gives `request` with `keys` in `region` at `signingDate`. */
export async function authorizationBySdk(request: RequestToSign, keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string, signingDate: Date): Promise<string> {
  const signer = new SignatureV4({ service: 's3', region, credentials: keys, sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  const headers = { ...request.headers };
  delete headers.authorization;
  const r = await signer.sign({ ...request, query: request.query ?? {}, headers }, { signingDate });
  return (r.headers as Record<string, string>).authorization!;
}
