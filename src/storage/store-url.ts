/**
 * Reading a store URL as written. The URL parser reads '\\' as '/' in http(s) URLs and resolves
 * '.' and '..' segments (also written %2e%2e): what it returns is not what was written. The path is
 * read from the text as written instead, and anything the parser would have read differently is
 * refused. Used by `parseStoreSpec` (store-spec.ts).
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** A store URL other than `file://`, checked and split as written. */
export interface StoreUrl {
  /** What the URL parser makes of it: its scheme, host and origin are used, never its path. */
  readonly parsed: URL;
  /** The text between `SCHEME://` and the first '/', as written. */
  readonly rawAuthority: string;
  /** The path's segments, each decoded once (see `decodePath`). */
  readonly pathSegments: string[];
}

/** Checks and splits an `s3://` or `http(s)://` store URL; throws `ConfigurationError` naming it. */
export function readStoreUrl(url: string): StoreUrl {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]/.test(url)) {
    throw new ConfigurationError(`${quote(url)}: a store URL starts with SCHEME:// and then a host or bucket, such as https://HOST/BUCKET or s3://BUCKET`);
  }
  if (url.includes('\\')) throw new ConfigurationError(`${quote(url)}: a store URL must not hold "\\" (URL parsing reads it as "/"); write it as %5C in a prefix`);
  if (/[?#]/.test(url)) throw new ConfigurationError(`${quote(url)}: a store URL takes no query or fragment; put options after the URL as name=value`);
  const parsed = new URL(url);
  const afterScheme = url.slice(url.indexOf('://') + 3);
  const slash = afterScheme.indexOf('/');
  const rawAuthority = slash < 0 ? afterScheme : afterScheme.slice(0, slash);
  const pathSegments = decodePath(slash < 0 ? '' : afterScheme.slice(slash), url);
  return { parsed, rawAuthority, pathSegments };
}

/** Parses an `endpoint=` value: `http(s)://HOST[:PORT]` with no path, query or credentials. */
export function parseEndpoint(value: string): URL {
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch {
    throw new ConfigurationError(`endpoint ${quote(value)} is not a URL; allowed: http(s)://HOST[:PORT]`);
  }
  if (
    (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') ||
    (endpoint.pathname !== '/' && endpoint.pathname !== '') ||
    endpoint.search || endpoint.hash || endpoint.username || endpoint.password
  ) {
    throw new ConfigurationError(`endpoint ${quote(value)} is not allowed; allowed: http(s)://HOST[:PORT] with no path, query or credentials`);
  }
  return endpoint;
}

/** `decodeURIComponent`, failing as a `ConfigurationError` that names the store and says what is allowed. */
export function decodeOrRefuse(text: string, url: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigurationError(`${quote(url)}: ${what} ${quote(text)} is not valid percent-encoding; allowed: %XX sequences that spell UTF-8, and "%" itself written as %25`);
  }
}

/**
 * The segments of a URL path as written (`/BUCKET/PREFIX/...`), each decoded once. One trailing
 * '/' is allowed; an empty, '.' or '..' segment is refused, also when it only appears once `%2F`
 * is decoded to '/' (`a%2F..%2Fb` is `a/../b`): a prefix is what was written, never what URL
 * normalization or a later decoding would make of it. `%252F` decodes to the three characters
 * `%2F`, which S3 keeps as they are.
 */
function decodePath(rawPath: string, url: string): string[] {
  if (rawPath === '' || rawPath === '/') return [];
  const raw = rawPath.slice(1).split('/');
  if (raw[raw.length - 1] === '') raw.pop();
  const decoded = raw.map((segment) => decodeOrRefuse(segment, url, 'path segment'));
  const parts = decoded.join('/').split('/');
  if (parts.some((part) => part === '.' || part === '..')) {
    throw new ConfigurationError(`${quote(url)}: a prefix must not contain '.' or '..' segments`);
  }
  if (parts.some((part) => part === '')) {
    throw new ConfigurationError(`${quote(url)}: a prefix must not contain an empty segment ("//", or a "/" written as %2F next to another); write each "/" once`);
  }
  return decoded;
}
