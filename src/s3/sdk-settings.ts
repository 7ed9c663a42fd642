/**
 * The AWS SDK's own variables that decide where a store's requests go and how often they are
 * tried, read from the environment and checked strictly before any client is made: a value the SDK
 * would misread (`AWS_MAX_ATTEMPTS=3x` is 3 to the SDK) or reject only at its first request fails
 * the run as a `ConfigurationError` naming the variable, the value and what is allowed.
 *
 * - `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`: every store, both wires (the lean client drives the
 *   client's own retry strategy). `legacy` is `standard`: the JavaScript SDK has no legacy mode and
 *   reads every mode but `adaptive` as standard.
 * - `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`:
 *   only stores whose line names no endpoint (`s3://BUCKET` without `endpoint=`); an endpoint the
 *   store line names always wins. The SDK reads the endpoint variables (and a profile's
 *   `endpoint_url` or `services` section) itself; they are checked here.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** Retry modes the SDK has; `legacy` is read as `standard` (see above). */
export type RetryMode = 'standard' | 'adaptive';

export interface SdkSettings {
  /** `AWS_MAX_ATTEMPTS`: attempts per request, the first included. */
  readonly maxAttempts?: number;
  /** `AWS_RETRY_MODE`. */
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
  return {
    endpointVariable: ENDPOINT_VARIABLES.find((name) => value(env, name) !== undefined),
    maxAttempts: maxAttempts(value(env, 'AWS_MAX_ATTEMPTS')),
    retryMode: retryMode(value(env, 'AWS_RETRY_MODE')),
    useFips: flag('AWS_USE_FIPS_ENDPOINT', value(env, 'AWS_USE_FIPS_ENDPOINT')),
    useDualstack: flag('AWS_USE_DUALSTACK_ENDPOINT', value(env, 'AWS_USE_DUALSTACK_ENDPOINT')),
  };
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

function maxAttempts(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^[0-9]{1,3}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_ATTEMPTS_LIMIT)) {
    throw new ConfigurationError(`AWS_MAX_ATTEMPTS ${quote(v)} is not allowed; allowed: a whole number of attempts from 1 to ${MAX_ATTEMPTS_LIMIT}, the first attempt included`);
  }
  return n;
}

function retryMode(v: string | undefined): RetryMode | undefined {
  if (v === undefined) return undefined;
  if (v === 'standard' || v === 'legacy') return 'standard';
  if (v === 'adaptive') return 'adaptive';
  throw new ConfigurationError(`AWS_RETRY_MODE ${quote(v)} is not allowed; allowed: standard, adaptive, legacy (the same as standard in the JavaScript SDK)`);
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
