/**
 * Where a hand-signed request goes: the address the AWS SDK would use for a key of a bucket, or
 * `undefined` where this code does not know it for sure (the SDK then sends the request).
 */
import { encodeKey } from './anonymous';
import type { ClientWiring } from './client';

/** What a request needs to know about its store; a subset of {@link ClientWiring}. */
export type RequestTarget = Pick<ClientWiring, 'quirks' | 'endpoint' | 'region'>;

/** Where a request goes: `host` carries the port when it is not the scheme's default. */
export interface RequestAddress {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port?: string;
  readonly host: string;
  /** The request path, also the canonical URI: S3 signs the path as sent, not encoded twice. */
  readonly path: string;
}

// Bucket names the SDK addresses as a virtual host on AWS over TLS: one DNS label, lower case.
// Dotted names fail the wildcard certificate, so the SDK (and this code) uses path style for them.
const VIRTUAL_HOSTABLE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The address the SDK would use for `key` in `bucket`, or `undefined` when this code does not know
 * it for sure (a custom endpoint without path style, China or FIPS/dual-stack endpoints): the SDK
 * then sends the request.
 */
export function requestAddress(target: RequestTarget, bucket: string, key: string, env: NodeJS.ProcessEnv = process.env): RequestAddress | undefined {
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
