/**
 * The AWS SDK's own variables that decide where a store's requests go and how often they are
 * tried, read from the environment and checked strictly before any client is made: a value the SDK
 * would misread (`AWS_MAX_ATTEMPTS=3x` is 3 to the SDK) or reject only at its first request fails
 * the run as a `ConfigurationError` naming the variable, the value and what is allowed.
 *
 * - `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`: every store, both wires (the lean client drives the
 *   client's own retry strategy). `legacy` is `standard`: the JavaScript SDK has no legacy mode and
 *   reads every mode but `adaptive` as standard. Where a variable is unset, the profile's
 *   `max_attempts` / `retry_mode` (shared config or credentials file, `AWS_PROFILE`), as the SDK
 *   reads them and checked the same way; the variable wins, as in the SDK.
 * - `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`:
 *   only stores whose line names no endpoint (`s3://BUCKET` without `endpoint=`); an endpoint the
 *   store line names always wins. The SDK reads the endpoint variables (and a profile's
 *   `endpoint_url` or `services` section) itself; they are checked here.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import { readProfileSettings, type ProfileSetting } from './shared-config';

/** Retry modes the SDK has; `legacy` is read as `standard` (see above). */
export type RetryMode = 'standard' | 'adaptive';

export interface SdkSettings {
  /** `AWS_MAX_ATTEMPTS`, else the profile's `max_attempts`: attempts per request, the first included. */
  readonly maxAttempts?: number;
  /** `AWS_RETRY_MODE`, else the profile's `retry_mode`. */
  readonly retryMode?: RetryMode;
  /** `AWS_USE_FIPS_ENDPOINT`; `undefined` leaves it to the SDK's profile setting. */
  readonly useFips?: boolean;
  /** `AWS_USE_DUALSTACK_ENDPOINT`; as `useFips`. */
  readonly useDualstack?: boolean;
  /** The endpoint variable the SDK would use (`AWS_ENDPOINT_URL_S3` before `AWS_ENDPOINT_URL`), checked. */
  readonly endpointVariable?: string;
}

/** Attempts the variable may ask for: enough for any sane use, and a typo such as 1000 is refused. */
export const MAX_ATTEMPTS_LIMIT = 20;

const ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'] as const;

/** Reads and checks the variables (an empty one counts as unset, as the SDK counts it). */
export function readSdkSettings(env: NodeJS.ProcessEnv = process.env): SdkSettings {
  for (const name of ENDPOINT_VARIABLES) checkEndpointUrl(name, value(env, name));
  const attempts = value(env, 'AWS_MAX_ATTEMPTS');
  const mode = value(env, 'AWS_RETRY_MODE');
  // The profile only where the variable leaves it open (the SDK does not read it otherwise).
  const profile = attempts === undefined || mode === undefined ? readProfileSettings(['max_attempts', 'retry_mode'], env) : {};
  return {
    endpointVariable: ENDPOINT_VARIABLES.find((name) => value(env, name) !== undefined),
    maxAttempts: attempts !== undefined ? maxAttempts(attempts, 'AWS_MAX_ATTEMPTS') : fromProfile(profile.max_attempts, maxAttempts),
    retryMode: mode !== undefined ? retryMode(mode, 'AWS_RETRY_MODE') : fromProfile(profile.retry_mode, retryMode),
    useFips: flag('AWS_USE_FIPS_ENDPOINT', value(env, 'AWS_USE_FIPS_ENDPOINT')),
    useDualstack: flag('AWS_USE_DUALSTACK_ENDPOINT', value(env, 'AWS_USE_DUALSTACK_ENDPOINT')),
  };
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** A profile setting read with the variable's rules; the message names the setting, the profile and the file. */
function fromProfile<T>(setting: ProfileSetting | undefined, read: (v: string, label: string) => T): T | undefined {
  if (setting === undefined) return undefined;
  return read(setting.value, `${setting.name} of the profile ${quote(setting.profile)} in ${setting.file}:`);
}

/** `label` names where the value came from: the variable, or a profile's setting. */
function maxAttempts(v: string, label: string): number {
  const n = /^[0-9]{1,3}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_ATTEMPTS_LIMIT)) {
    throw new ConfigurationError(`${label} ${quote(v)} is not allowed; allowed: a whole number of attempts from 1 to ${MAX_ATTEMPTS_LIMIT}, the first attempt included`);
  }
  return n;
}

function retryMode(v: string, label: string): RetryMode {
  if (v === 'standard' || v === 'legacy') return 'standard';
  if (v === 'adaptive') return 'adaptive';
  throw new ConfigurationError(`${label} ${quote(v)} is not allowed; allowed: standard, adaptive, legacy (the same as standard in the JavaScript SDK)`);
}

function flag(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  // The SDK itself takes exactly these two words.
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigurationError(`${name} ${quote(v)} is not allowed; allowed: true, false`);
}

/** An endpoint variable: `http(s)://HOST[:PORT]`, as `endpoint=` takes it. */
function checkEndpointUrl(name: string, v: string | undefined): void {
  if (v === undefined) return;
  const allowed = 'allowed: http(s)://HOST[:PORT] with no path, query or credentials';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigurationError(`${name} ${quote(v)} is not a URL; ${allowed}`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username || u.password || v.includes('@')) {
    throw new ConfigurationError(`${name} ${quote(v)} is not allowed; ${allowed}`);
  }
}

/**
 * Throws where the settings cannot choose one endpoint for a store left to them: the SDK has no
 * FIPS or dual-stack form of an endpoint URL, and would fail every request of the store.
 */
export function checkEndpointChoice(settings: SdkSettings): void {
  const endpoint = settings.endpointVariable;
  if (endpoint === undefined) return;
  for (const [name, on] of [['AWS_USE_FIPS_ENDPOINT', settings.useFips], ['AWS_USE_DUALSTACK_ENDPOINT', settings.useDualstack]] as const) {
    if (on === true) {
      throw new ConfigurationError(`${name} "true" cannot be used with ${endpoint}: the AWS SDK has no FIPS or dual-stack form of an endpoint URL; allowed: one of them, or ${name} "false"`);
    }
  }
}
