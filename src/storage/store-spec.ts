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
import { PROVIDERS, type ProviderId } from '../s3/providers';
import type { VisibilityMode } from './object-store';
import { locateS3Store, type S3Address } from './store-address';
import { decodeOrRefuse, readStoreUrl } from './store-url';

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

/** An S3 store: where it is ({@link S3Address}), how it is reached and how it shows objects. */
export interface S3StoreSpec extends SpecBase, S3Address {
  readonly kind: 's3';
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
  if (url.startsWith('file://')) return parseFileSpec(url, options, defaults.cwd);

  const storeUrl = readStoreUrl(url);
  const credentials = options.credentials !== undefined ? parseCredentials(options.credentials, defaults.cwd) : defaults.credentials;
  const address = locateS3Store(url, storeUrl, options, defaults.region);
  const visibility = parseVisibilityMode(options.visibility, defaults.visibility, address.provider, url);

  return {
    kind: 's3',
    name: options.name ?? url,
    url,
    provider: address.provider,
    endpoint: address.endpoint,
    ...(address.sdkEndpoint ? { sdkEndpoint: true as const } : {}),
    region: address.region,
    bucket: address.bucket,
    prefix: address.prefix,
    credentialHost: address.credentialHost,
    credentials,
    visibility,
    ...(options.ca === undefined ? {} : { ca: parseCa(options.ca, address.endpoint, url, defaults.cwd) }),
  };
}

/** A `file://` store line: a folder, relative ones resolved against `cwd`; only `name=` applies. */
function parseFileSpec(url: string, options: Partial<Record<OptionName, string>>, cwd: string): FileStoreSpec {
  for (const key of Object.keys(options)) {
    if (key !== 'name') {
      throw new ConfigurationError(`${quote(url)}: option ${key}= does not apply to a file:// store; allowed: name=`);
    }
  }
  const raw = decodeOrRefuse(url.slice('file://'.length), url, 'the folder path');
  if (raw === '') throw new ConfigurationError(`${quote(url)}: file:// needs a folder path, such as file:///srv/images`);
  if (raw.includes('\0')) throw new ConfigurationError(`${quote(url)}: a folder path must not hold a NUL character (%00)`);
  const root = path.resolve(cwd, raw);
  return { kind: 'file', name: options.name ?? url, url, root };
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
