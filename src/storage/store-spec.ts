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
 * visibility=acl|policy|detect, name=LABEL.
 */
import * as path from 'node:path';
import { ConfigurationError, quote } from '../config/configuration-error';
import { matchHost, PROVIDERS, type ProviderId } from '../s3/providers';
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

const OPTIONS = ['endpoint', 'region', 'credentials', 'visibility', 'name'] as const;
type OptionName = (typeof OPTIONS)[number];
const VISIBILITY_MODES: readonly VisibilityMode[] = ['acl', 'policy', 'detect'];
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses one store spec line. Throws `ConfigurationError` naming the value and what is allowed. */
export function parseStoreSpec(line: string, defaults: StoreSpecDefaults): StoreSpec {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  const [url, ...rest] = words;
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
    const raw = decodeURIComponent(url.slice('file://'.length));
    if (raw === '') throw new ConfigurationError(`${quote(url)}: file:// needs a folder path, such as file:///srv/images`);
    const root = path.resolve(defaults.cwd, raw);
    return { kind: 'file', name: options.name ?? url, url, root };
  }

  const parsed = new URL(url);
  if (parsed.username || parsed.password) {
    throw new ConfigurationError(
      `a store URL must not carry credentials; use credentials=env:NAME or a key folder instead (URL for host ${quote(parsed.hostname)})`,
    );
  }
  if (parsed.search || parsed.hash) {
    throw new ConfigurationError(`${quote(url)}: a store URL takes no query or fragment; put options after the URL as name=value`);
  }

  const credentials = options.credentials !== undefined ? parseCredentials(options.credentials, defaults.cwd) : defaults.credentials;
  // URL() resolves dot segments ('a/../b' becomes 'b', '%2e%2e' too): check what was written first.
  decodePath(url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/, ''), url);
  const pathSegments = decodePath(parsed.pathname, url);

  let provider: ProviderId;
  let endpoint: string | undefined;
  let region: string | undefined;
  let bucket: string | undefined;
  let prefixSegments: string[];
  let credentialHost: string;

  if (parsed.protocol === 's3:') {
    bucket = decodeURIComponent(parsed.hostname);
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
      endpoint = host.endpoint;
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
  };
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
  if ((ep.protocol !== 'https:' && ep.protocol !== 'http:') || (ep.pathname !== '/' && ep.pathname !== '') || ep.search || ep.username || ep.password) {
    throw new ConfigurationError(`endpoint ${quote(value)} is not allowed; allowed: http(s)://HOST[:PORT] with no path, query or credentials`);
  }
  return ep;
}

function decodePath(pathname: string, url: string): string[] {
  const segments = pathname.split('/').filter((s) => s !== '');
  return segments.map((s) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      throw new ConfigurationError(`${quote(url)}: path segment ${quote(s)} is not valid percent-encoding`);
    }
    // An encoded '/' makes segments too: 'a%2F..%2Fb' is the prefix 'a/../b/'.
    if (decoded.split('/').some((p) => p === '.' || p === '..')) {
      throw new ConfigurationError(`${quote(url)}: a prefix must not contain '.' or '..' segments`);
    }
    return decoded;
  });
}
