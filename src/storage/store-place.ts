/**
 * Whether two stores can see the same objects: the same bucket at one endpoint (or the same folder
 * tree), with one prefix inside the other or equal. An AWS bucket is one bucket in every region
 * (bucket names are global there). A store whose endpoint the SDK's own settings choose
 * (`s3://BUCKET` without `endpoint=`) is at the endpoint they configure (`AWS_ENDPOINT_URL_S3`,
 * `AWS_ENDPOINT_URL`, the profile's), where its requests really go, else AWS; so the same bucket
 * reached through an endpoint variable and through its URL is one place.
 */
import { quote } from '../config/configuration-error';
import { configuredEndpoint } from '../s3/shared-config';
import type { StoreSpec } from './store-spec';

interface Place {
  readonly kind: 's3' | 'file';
  /** Who serves the bucket: `aws`, or the endpoint URL. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Ends with '/' or is ''. */
  readonly prefix: string;
}

/** An endpoint URL as one origin: scheme and host in lower case, a default port left out. */
function origin(url: string): string {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return url.toLowerCase().replace(/\/+$/, '');
  }
}

function placeOf(spec: StoreSpec, env: NodeJS.ProcessEnv): Place {
  if (spec.kind === 'file') return { kind: 'file', endpoint: 'file', bucket: '', prefix: `${spec.root.replace(/\/+$/, '')}/` };
  const configured = spec.sdkEndpoint ? configuredEndpoint(env) : undefined;
  let endpoint = 'aws';
  if (configured !== undefined) endpoint = origin(configured);
  else if (spec.provider !== 'aws' && spec.endpoint !== undefined) endpoint = origin(spec.endpoint);
  return { kind: 's3', endpoint, bucket: spec.bucket, prefix: spec.prefix };
}

/**
 * True when `a` and `b` are the same bucket (or folder tree) and one's prefix is a prefix of the
 * other's. `env`: where the SDK's endpoint settings are read (default: the process environment).
 */
export function storesOverlap(a: StoreSpec, b: StoreSpec, env: NodeJS.ProcessEnv = process.env): boolean {
  const p = placeOf(a, env);
  const q = placeOf(b, env);
  if (p.kind !== q.kind || p.endpoint !== q.endpoint || p.bucket !== q.bucket) return false;
  return p.prefix.startsWith(q.prefix) || q.prefix.startsWith(p.prefix);
}

/**
 * Why `a` and `b` may not be used together (`"A" and "B" are the same bucket with one prefix inside
 * the other`), or `undefined` when they are apart; the caller names its inputs and what is allowed.
 */
export function overlapProblem(a: StoreSpec, b: StoreSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!storesOverlap(a, b, env)) return undefined;
  const what = a.kind === 'file' ? 'the same folder or one is inside the other' : 'the same bucket with one prefix inside the other';
  return `${quote(a.url)} and ${quote(b.url)} are ${what}`;
}
