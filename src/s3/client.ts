/**
 * The one place an S3 client is made. Provider quirks come from {@link PROVIDERS}; connection
 * behaviour (keep-alive pool sized to the work's concurrency, timeouts, retries) is set here so that
 * no caller gets the SDK's defaults by accident (50 sockets, no timeout, CRC32 trailers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import * as https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ConfigurationError, quote } from '../config/configuration-error';
import { PROVIDERS, type ProviderId, type ProviderQuirks } from './providers';
import { credentialProvider, sendBodiesInSlices } from './sdk-config';
import { checkEndpointChoice, readSdkSettings } from './sdk-settings';
import { createStoreAgents } from './agents';

/** Static keys for one store. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** `'default'` leaves the choice to the SDK's default chain. */
export type ResolvedCredentials = StaticCredentials | 'default';

export interface ClientOptions {
  readonly provider: ProviderId;
  /** `undefined` for AWS's own endpoint. */
  readonly endpoint?: string;
  /**
   * The store line names no endpoint (`s3://BUCKET` without `endpoint=`): the SDK's endpoint
   * settings choose it (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, a profile's `endpoint_url` or
   * `services` section, FIPS and dual-stack). Otherwise the endpoint is the store's, and those are
   * not read. Only with no `endpoint`.
   */
  readonly sdkEndpoint?: boolean;
  readonly region: string;
  readonly credentials: ResolvedCredentials;
  /** Requests this client may have in flight; the socket pool is sized to it. */
  readonly maxSockets: number;
  /** Attempts per request, the first included; default `AWS_MAX_ATTEMPTS`, else 6. */
  readonly maxAttempts?: number;
  /** A socket that carries no byte for this long fails the request (which is then retried). */
  readonly idleTimeoutMs?: number;
  /**
   * Which code sends the requests the lean path can send (single PUT, whole GET, ListObjectsV2):
   * `lean` (the default) or `sdk` for every request through the AWS SDK. Default: the
   * `CI_STORES_WIRE` environment variable, else `lean`.
   */
  readonly wire?: Wire;
  /**
   * PEM certificates of the CAs that alone decide which server certificates this client's TLS
   * accepts (the store's `ca=`, or `AWS_CA_BUNDLE`); default: Node's, with `NODE_EXTRA_CA_CERTS`.
   * Set on the https agent, which both the SDK and the lean path send through.
   */
  readonly ca?: string;
}

/** Who sends the requests that have a lean path; see {@link ClientOptions.wire}. */
export type Wire = 'lean' | 'sdk';

/** The wire `CI_STORES_WIRE` asks for; throws for a value that is neither `lean` nor `sdk`. */
export function wireFromEnv(env: NodeJS.ProcessEnv = process.env): Wire {
  const v = env.CI_STORES_WIRE;
  if (v === undefined || v === '' || v === 'lean') return 'lean';
  if (v === 'sdk') return 'sdk';
  throw new ConfigurationError(`CI_STORES_WIRE ${quote(v)} is not allowed; allowed: lean, sdk`);
}

/**
 * What a client was made with, for code in `src/s3/` that talks HTTP itself on the client's own
 * socket pool (the lean client's PUT, GET and LIST): the same agents, timeouts, attempts, endpoint and keys.
 */
export interface ClientWiring {
  readonly quirks: ProviderQuirks;
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials: ResolvedCredentials;
  readonly agents: { readonly http: http.Agent; readonly https: https.Agent };
  readonly maxAttempts: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly wire: Wire;
}

// Kept beside the client rather than on it, so that the client stays a plain S3Client for every
// caller and the wiring goes away with it.
const WIRING = new WeakMap<S3Client, ClientWiring>();

/** The wiring of a client made by {@link createS3Client}; `undefined` for any other client. */
export function clientWiring(client: S3Client): ClientWiring | undefined {
  return WIRING.get(client);
}

/** Creates an S3 client for one store. Call `destroy()` on it when done to close its sockets. */
export function createS3Client(options: ClientOptions): S3Client {
  const quirks = PROVIDERS[options.provider];
  // Checked for every client, so that a bad value fails the run before any request.
  const settings = readSdkSettings();
  const sdkEndpoint = options.sdkEndpoint === true && options.endpoint === undefined;
  if (sdkEndpoint) checkEndpointChoice(settings);
  // Proxied as HTTPS_PROXY / HTTP_PROXY / NO_PROXY say, with the store's CAs for the origin.
  const connectTimeoutMs = 10_000;
  const agents = createStoreAgents({ maxSockets: options.maxSockets, ca: options.ca, connectTimeoutMs });
  const wiring: ClientWiring = {
    quirks,
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
    agents,
    maxAttempts: options.maxAttempts ?? settings.maxAttempts ?? 6,
    connectTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
    wire: options.wire ?? wireFromEnv(),
  };
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: quirks.forcePathStyle,
    credentials: options.credentials === 'default' ? undefined : options.credentials,
    requestChecksumCalculation: quirks.checksums,
    responseChecksumValidation: quirks.checksums,
    // One retry strategy per client, which the lean client drives too (sdk-config.ts).
    maxAttempts: wiring.maxAttempts,
    retryMode: settings.retryMode ?? 'standard',
    // Where the store line names the endpoint, nothing else may move it. Otherwise FIPS and
    // dual-stack from the variables, else the SDK reads them (and the profile's) itself.
    ...(sdkEndpoint
      ? { useFipsEndpoint: settings.useFips, useDualstackEndpoint: settings.useDualstack }
      : { useFipsEndpoint: false, useDualstackEndpoint: false, ignoreConfiguredEndpointUrls: true }),
    // The same agents serve the lean client, so `destroy()` closes every socket of the store.
    requestHandler: new NodeHttpHandler({
      httpAgent: agents.http,
      httpsAgent: agents.https,
      connectionTimeout: wiring.connectTimeoutMs,
      socketTimeout: wiring.idleTimeoutMs,
    }),
  });
  // Parts and large PUTs reach the socket in slices, on every attempt (TLS costs far less CPU so).
  sendBodiesInSlices(client);
  WIRING.set(client, wiring);
  return client;
}

/**
 * Variables that name a credential source of the default chain: one of them set (non-empty) is a
 * credential configured, even when the chain then finds nothing with it (`AWS_PROFILE` naming a
 * profile that does not exist, a key without its secret).
 */
const CHAIN_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

/** Settings of the shared AWS files that make a profile a credential source, complete or not. */
const CREDENTIAL_SETTING = /^\s*(aws_access_key_id|aws_secret_access_key|aws_session_token|role_arn|source_profile|credential_source|credential_process|web_identity_token_file|sso_[a-z_]+)\s*=/im;

/**
 * Whether the shared credentials or config file (where the SDK looks for them) sets up any
 * credential, however broken: a key without its secret, a role whose source profile is missing.
 * The chain reports those as "nothing found", yet they are configured, and a run must fail on
 * them, not skip. A file that exists but cannot be read counts as one that does.
 */
function sharedFilesNameACredential(env: NodeJS.ProcessEnv): boolean {
  const home = env.HOME ?? env.USERPROFILE ?? '';
  const files = [env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config')];
  return files.some((file) => {
    try {
      return CREDENTIAL_SETTING.test(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      return (e as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  });
}

/**
 * Whether the SDK's default chain has no credential at all for a client made by
 * {@link createS3Client}: no variable in the process environment (which the SDK reads) names a
 * source, and the chain itself (environment, shared files, SSO, web identity, container and
 * instance roles) answers that it found nothing. A source that is configured but fails (a web
 * identity token STS refuses) resolves `false`, so that the request which needs it fails with its
 * error.
 */
export async function defaultChainFindsNothing(client: S3Client): Promise<boolean> {
  if (CHAIN_VARIABLES.some((name) => (process.env[name]?.trim() ?? '') !== '')) return false;
  if (sharedFilesNameACredential(process.env)) return false;
  const provider = credentialProvider(client);
  try {
    await provider();
    return false;
  } catch (e) {
    // The last link of @aws-sdk/credential-provider-node's chain; a unit test holds this text to the SDK.
    return (e as Error).name === 'CredentialsProviderError' && /Could not load credentials from any providers/.test((e as Error).message);
  }
}
