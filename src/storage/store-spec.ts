/**
 * Store specs: one line that names a store and how to reach it.
 *
 *     URL [option=value ...]
 *
 * URL forms:
 *   https://BUCKET.s3.REGION.amazonaws.com/PREFIX      AWS, virtual-hosted; region from the host
 *   https://s3.REGION.amazonaws.com/BUCKET/PREFIX      AWS, path-style
 *   https://BUCKET.REGION.linodeobjects.com/PREFIX     Linode; region from the host
 *   https://BUCKET.REGION.digitaloceanspaces.com/PREFIX  DigitalOcean Spaces
 *   http(s)://HOST[:PORT]/BUCKET/PREFIX                any other S3 endpoint, path-style
 *   s3://BUCKET/PREFIX                                 endpoint= and region= options, else AWS
 *   file:///ABSOLUTE/PATH or file://RELATIVE/PATH      a local folder that behaves like a bucket
 *
 * Options: endpoint=URL, region=NAME, credentials=default|env:NAME|key-dir:PATH,
 * visibility=acl|policy|detect, name=LABEL, ca=PATH (the PEM bundle of CAs an https store's
 * certificate is checked against, instead of the usual ones; for this store only).
 */
import * as path from 'node:path';
import { ConfigurationError, quote } from '../config/configuration-error';
import { mayCarryUserinfo } from '../config/userinfo';
import { matchHost, PROVIDERS, type HostMatch, type ProviderId } from '../s3/providers';
import type { VisibilityMode } from './object-store';

/** Where a store's credentials come from. Never holds a secret itself. */
export type CredentialSource =
  /** The SDK's default chain: environment, shared files, web identity (OIDC), instance roles. */
  | { readonly type: 'default' }
  /** `NAME_ACCESS_KEY_ID`, `NAME_SECRET_ACCESS_KEY`, optional `NAME_SESSION_TOKEN` from the environment. */
  | { readonly type: 'env'; readonly name: string }
  /** A folder holding one file per host name, `ACCESS SECRET [SESSION_TOKEN]`, found by host suffix. */
  | { readonly type: 'key-dir'; readonly dir: string };

interface SpecBase {
  /** A label for logs, outputs and the summary: `name=` or the URL. */
  readonly name: string;
  /** The URL as written (store specs never carry secrets). */
  readonly url: string;
}

export interface S3StoreSpec extends SpecBase {
  readonly kind: 's3';
  readonly provider: ProviderId;
  /** The SDK endpoint; `undefined` for AWS's own. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** '' or a prefix that ends with '/'. */
  readonly prefix: string;
  /** The host the credentials are looked up by in a key folder. */
  readonly credentialHost: string;
  readonly credentials: CredentialSource;
  readonly visibility: VisibilityMode;
  /** `ca=`: absolute path of a PEM bundle that alone decides which certificates this store's TLS accepts. */
  readonly ca?: string;
}

export interface FileStoreSpec extends SpecBase {
  readonly kind: 'file';
  /** Absolute path of the folder. */
  readonly root: string;
}

export type StoreSpec = S3StoreSpec | FileStoreSpec;

/** Defaults that apply to every store spec of one step. */
export interface StoreSpecDefaults {
  /** Used when a line has no `credentials=`. */
  readonly credentials: CredentialSource;
  /** Used when a line has no `visibility=`; `auto` means the provider's default. */
  readonly visibility: VisibilityMode | 'auto';
  /** Region for `s3://` and generic endpoints without `region=`. */
  readonly region?: string;
  /** Folder against which relative `file://` paths and key folders resolve. */
  readonly cwd: string;
}

const OPTIONS = ['endpoint', 'region', 'credentials', 'visibility', 'name', 'ca'] as const;
type OptionName = (typeof OPTIONS)[number];
const VISIBILITY_MODES: readonly VisibilityMode[] = ['acl', 'policy', 'detect'];
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Throws the `ConfigurationError` for store text that may carry credentials: an "@" anywhere after
 * a ":" (as in `https://KEY:SECRET@host`), the text shown with that part hidden. Store lines never
 * carry credentials (they are shown in logs and summaries); keys come from `credentials=`.
 * Callers that split store text into lines or words check the whole text first: a secret may
 * hold white space or a line break, and its halves must not reach a message as harmless words.
 */
export function refuseUserinfo(text: string, what: 'a store line' | 'the input' = 'a store line'): void {
  if (!mayCarryUserinfo(text)) return;
  throw new ConfigurationError(
    `${quote(text.trim())}: ${what} must not carry credentials, so nothing in it${what === 'the input' ? ', comments included,' : ''} may hold an "@" after a ":" (as in https://KEY:SECRET@host); ` +
      'give keys with credentials=env:NAME (NAME_ACCESS_KEY_ID and NAME_SECRET_ACCESS_KEY, set from secrets), credentials=key-dir:PATH or the default chain, ' +
      'and write an "@" that belongs in a prefix or folder path as %40',
  );
}

/** Parses one store spec line. Throws `ConfigurationError` naming the value and what is allowed. */
export function parseStoreSpec(line: string, defaults: StoreSpecDefaults): StoreSpec {
  refuseUserinfo(line);
  const [url, ...rest] = line.trim().split(/\s+/).filter((w) => w !== '');
  if (url === undefined) throw new ConfigurationError('empty store spec; expected a store URL');
  if (!url.startsWith('file://') && !URL.canParse(url)) {
    throw new ConfigurationError(
      `${quote(url)} is not a store URL; allowed: https://BUCKET.s3.REGION.amazonaws.com/PREFIX, ` +
        'https://BUCKET.REGION.linodeobjects.com/PREFIX, http(s)://HOST/BUCKET/PREFIX, s3://BUCKET/PREFIX, file:///PATH',
    );
  }
  const options = parseOptions(rest);

  if (url.startsWith('file://')) {
    for (const key of Object.keys(options)) {
      if (key !== 'name') {
        throw new ConfigurationError(`${quote(url)}: option ${key}= does not apply to a file:// store; allowed: name=`);
      }
    }
    const raw = decodeOrRefuse(url.slice('file://'.length), url, 'the folder path');
    if (raw === '') throw new ConfigurationError(`${quote(url)}: file:// needs a folder path, such as file:///srv/images`);
    if (raw.includes('\0')) throw new ConfigurationError(`${quote(url)}: a folder path must not hold a NUL character (%00)`);
    const root = path.resolve(defaults.cwd, raw);
    return { kind: 'file', name: options.name ?? url, url, root };
  }

  // The URL parser reads '\\' as '/' in http(s) URLs and resolves '.' and '..' segments (also
  // written %2e%2e): what it returns is not what was written. The path is read from the text as
  // written instead, and anything the parser would have read differently is refused.
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

  const credentials = options.credentials !== undefined ? parseCredentials(options.credentials, defaults.cwd) : defaults.credentials;

  let provider: ProviderId;
  let endpoint: string | undefined;
  let region: string | undefined;
  let bucket: string | undefined;
  let prefixSegments: string[];
  let credentialHost: string;

  if (parsed.protocol === 's3:') {
    // The bucket as written: the parser would drop a ':PORT' from it.
    bucket = decodeOrRefuse(rawAuthority, url, 'the bucket');
    prefixSegments = pathSegments;
    if (options.endpoint !== undefined) {
      const ep = parseEndpoint(options.endpoint);
      const host = matchHost(ep.hostname);
      provider = host?.provider ?? 'generic';
      endpoint = host?.provider === 'aws' ? undefined : ep.origin;
      region = options.region ?? host?.region ?? defaults.region;
      credentialHost = ep.hostname;
    } else {
      provider = 'aws';
      region = options.region ?? defaults.region;
      credentialHost = 's3.amazonaws.com';
    }
  } else if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
    if (options.endpoint !== undefined) {
      throw new ConfigurationError(`${quote(url)}: endpoint= is only for s3:// URLs; an http(s) URL is its own endpoint`);
    }
    credentialHost = parsed.hostname;
    const host = matchHost(parsed.hostname);
    if (host) {
      provider = host.provider;
      endpoint = providerEndpoint(host, parsed);
      region = options.region ?? host.region;
      if (host.bucket !== undefined) {
        bucket = host.bucket;
        prefixSegments = pathSegments;
      } else {
        [bucket, ...prefixSegments] = pathSegments;
      }
    } else {
      provider = 'generic';
      endpoint = parsed.origin;
      region = options.region ?? defaults.region;
      [bucket, ...prefixSegments] = pathSegments;
    }
  } else {
    throw new ConfigurationError(`${quote(url)}: unsupported scheme ${quote(parsed.protocol)}; allowed: https:, http:, s3:, file:`);
  }

  if (bucket === undefined || bucket === '') {
    throw new ConfigurationError(`${quote(url)} names no bucket; write it as the host (s3://BUCKET/...) or the first path segment (http(s)://HOST/BUCKET/...)`);
  }
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new ConfigurationError(`${quote(url)}: ${quote(bucket)} is not a valid bucket name; allowed: 3 to 63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit`);
  }
  region ??= 'us-east-1';
  if (!REGION_RE.test(region)) {
    throw new ConfigurationError(`${quote(url)}: region ${quote(region)} is not valid; allowed: lower-case letters, digits and '-'`);
  }

  const visibility = parseVisibilityMode(options.visibility, defaults.visibility, provider, url);

  return {
    kind: 's3',
    name: options.name ?? url,
    url,
    provider,
    endpoint,
    region,
    bucket,
    prefix: prefixSegments.length === 0 ? '' : `${prefixSegments.join('/')}/`,
    credentialHost,
    credentials,
    visibility,
    ...(options.ca === undefined ? {} : { ca: parseCa(options.ca, endpoint, url, defaults.cwd) }),
  };
}

/**
 * The endpoint of a provider's host URL. A port written in it is kept (with the scheme written):
 * the provider's own endpoint has none, and dropping it would send the requests elsewhere. On AWS
 * that names the regional endpoint at that port, which the SDK then addresses virtual-hosted.
 */
function providerEndpoint(host: HostMatch, url: URL): string | undefined {
  if (url.port === '') return host.endpoint;
  const regional = host.endpoint === undefined ? `s3.${host.region ?? 'us-east-1'}.amazonaws.com` : new URL(host.endpoint).hostname;
  return `${url.protocol}//${regional}:${url.port}`;
}

/** `ca=PATH`, resolved against `cwd`; refused for a plain-http endpoint, which has no certificate to check. */
function parseCa(value: string, endpoint: string | undefined, url: string, cwd: string): string {
  if (endpoint !== undefined && !endpoint.startsWith('https:')) {
    throw new ConfigurationError(`${quote(url)}: ca= is for https endpoints; ${quote(endpoint)} is plain http, which has no certificate to check`);
  }
  return path.resolve(cwd, expandHome(value));
}

function parseOptions(words: readonly string[]): Partial<Record<OptionName, string>> {
  const options: Partial<Record<OptionName, string>> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    if (eq < 0 || !(OPTIONS as readonly string[]).includes(key)) {
      throw new ConfigurationError(`unknown store option ${quote(word)}; allowed: ${OPTIONS.map((o) => `${o}=`).join(', ')}`);
    }
    const name = key as OptionName;
    if (options[name] !== undefined) throw new ConfigurationError(`store option ${name}= given twice`);
    const value = word.slice(eq + 1);
    if (value === '') throw new ConfigurationError(`store option ${name}= has no value`);
    options[name] = value;
  }
  return options;
}

/** Parses `default`, `env:NAME` or `key-dir:PATH`. */
export function parseCredentials(value: string, cwd: string): CredentialSource {
  if (value === 'default') return { type: 'default' };
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    if (!ENV_NAME_RE.test(name)) {
      throw new ConfigurationError(`credentials ${quote(value)}: ${quote(name)} is not an environment variable prefix; allowed: letters, digits and '_'`);
    }
    return { type: 'env', name };
  }
  if (value.startsWith('key-dir:')) {
    const dir = value.slice('key-dir:'.length);
    if (dir === '') throw new ConfigurationError(`credentials ${quote(value)} names no folder`);
    return { type: 'key-dir', dir: path.resolve(cwd, expandHome(dir)) };
  }
  throw new ConfigurationError(`credentials ${quote(value)} is not allowed; allowed: default, env:NAME, key-dir:PATH`);
}

function expandHome(p: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(process.env.HOME ?? '~', p.slice(1));
  return p;
}

function parseVisibilityMode(
  value: string | undefined,
  fallback: VisibilityMode | 'auto',
  provider: ProviderId,
  url: string,
): VisibilityMode {
  const chosen = value ?? fallback;
  if (chosen === 'auto') return PROVIDERS[provider].defaultVisibility;
  if (!(VISIBILITY_MODES as readonly string[]).includes(chosen)) {
    throw new ConfigurationError(`${quote(url)}: visibility ${quote(chosen)} is not allowed; allowed: ${VISIBILITY_MODES.join(', ')}`);
  }
  return chosen as VisibilityMode;
}

function parseEndpoint(value: string): URL {
  let ep: URL;
  try {
    ep = new URL(value);
  } catch {
    throw new ConfigurationError(`endpoint ${quote(value)} is not a URL; allowed: http(s)://HOST[:PORT]`);
  }
  if ((ep.protocol !== 'https:' && ep.protocol !== 'http:') || (ep.pathname !== '/' && ep.pathname !== '') || ep.search || ep.hash || ep.username || ep.password) {
    throw new ConfigurationError(`endpoint ${quote(value)} is not allowed; allowed: http(s)://HOST[:PORT] with no path, query or credentials`);
  }
  return ep;
}

/** `decodeURIComponent`, failing as a `ConfigurationError` that names the store and says what is allowed. */
function decodeOrRefuse(text: string, url: string, what: string): string {
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
  const decoded = raw.map((s) => decodeOrRefuse(s, url, 'path segment'));
  const parts = decoded.join('/').split('/');
  if (parts.some((p) => p === '.' || p === '..')) {
    throw new ConfigurationError(`${quote(url)}: a prefix must not contain '.' or '..' segments`);
  }
  if (parts.some((p) => p === '')) {
    throw new ConfigurationError(`${quote(url)}: a prefix must not contain an empty segment ("//", or a "/" written as %2F next to another); write each "/" once`);
  }
  return decoded;
}
