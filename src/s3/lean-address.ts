/**
 * Where a hand-signed request goes: the endpoint the AWS SDK's own endpoint resolution answers for
 * the store's bucket (sdk-config.ts), asked once per store, so that every request of a store goes to
 * one endpoint whichever code sends it: custom, FIPS, dual-stack, China, virtual-hosted or path
 * style, and the endpoint of `AWS_ENDPOINT_URL_S3` or a profile alike.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { encodeKey } from './anonymous';
import { clientWiring } from './client';
import type { ProviderQuirks } from './providers';
import { bucketEndpoint, type BucketEndpoint } from './sdk-config';

/** A bucket's endpoint as the lean client sends to it. */
export interface LeanEndpoint {
  readonly protocol: 'http:' | 'https:';
  /** Without the brackets of an IPv6 literal (http.request wants it so). */
  readonly hostname: string;
  readonly port?: string;
  /** `hostname[:port]`, the port only when it is not the scheme's default: the Host header. */
  readonly host: string;
  /** The bucket's path, '' when virtual-hosted, `/BUCKET` in path style; no '/' at the end. */
  readonly basePath: string;
  /** The region the SDK signs with for this endpoint. */
  readonly signingRegion: string;
}

/** What a request needs to know about its store: its quirks and its bucket's endpoint. */
export interface RequestTarget {
  readonly quirks: ProviderQuirks;
  readonly endpoint: LeanEndpoint;
}

/** Where a request goes: `host` carries the port when it is not the scheme's default. */
export interface RequestAddress {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port?: string;
  readonly host: string;
  /** The request path, also the canonical URI: S3 signs the path as sent, not encoded twice. */
  readonly path: string;
}

/**
 * The lean endpoint for what the SDK resolved, or `undefined` where the lean client cannot sign
 * as the SDK would: any auth scheme but plain SigV4 for `s3` (S3 Express sessions, SigV4a),
 * headers the endpoint adds, a scheme other than http(s).
 */
export function leanEndpoint(resolved: BucketEndpoint, region: string): LeanEndpoint | undefined {
  if (resolved.scheme !== 'sigv4' || (resolved.signingName ?? 's3') !== 's3' || Object.keys(resolved.headers).length > 0) return undefined;
  const u = resolved.url;
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search !== '' || u.username !== '' || u.password !== '') return undefined;
  return {
    protocol: u.protocol,
    hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port || undefined,
    host: u.host,
    basePath: u.pathname.replace(/\/+$/, ''),
    signingRegion: resolved.signingRegion ?? region,
  };
}

// One resolution per client and bucket, shared by the lean client and the store's anonymous address.
const TARGETS = new WeakMap<S3Client, Map<string, Promise<RequestTarget | undefined>>>();

/**
 * The request target of `bucket` through a client made by `createS3Client`, or `undefined` when the
 * SDK must send its requests (see {@link leanEndpoint}; also when resolution fails: the SDK's own
 * request then fails with the SDK's error). Asked once per client and bucket: the SDK keys its own
 * endpoint cache on the bucket and client settings only, never the key or prefix, so one answer
 * serves every request of the store.
 */
export function leanTarget(client: S3Client, bucket: string): Promise<RequestTarget | undefined> {
  let byBucket = TARGETS.get(client);
  if (byBucket === undefined) TARGETS.set(client, (byBucket = new Map()));
  let target = byBucket.get(bucket);
  if (target === undefined) byBucket.set(bucket, (target = resolveTarget(client, bucket)));
  return target;
}

async function resolveTarget(client: S3Client, bucket: string): Promise<RequestTarget | undefined> {
  const wiring = clientWiring(client);
  if (wiring === undefined) return undefined;
  let resolved: BucketEndpoint;
  try {
    resolved = await bucketEndpoint(client, 'PutObject', bucket);
  } catch {
    return undefined;
  }
  const endpoint = leanEndpoint(resolved, wiring.region);
  return endpoint && { quirks: wiring.quirks, endpoint };
}

/** The address of `key` at `endpoint`: the key encoded once per RFC 3986, '/' kept, never normalized. */
export function requestAddress(endpoint: LeanEndpoint, key: string): RequestAddress {
  const { protocol, hostname, port, host, basePath } = endpoint;
  return { protocol, hostname, port, host, path: `${basePath}/${encodeKey(key)}` };
}
