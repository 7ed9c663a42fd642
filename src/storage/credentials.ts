/**
 * Turns a {@link CredentialSource} into keys. Every value read here is handed to `onSecret` (the
 * runtime masks it in logs) before this function returns, and no error message ever contains one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, quote } from '../config/configuration-error';
import { createS3Client, defaultChainFindsNothing, type ResolvedCredentials, type StaticCredentials } from '../s3/client';
import type { CredentialSource, StoreSpec } from './store-spec';

// The shapes the S3 client takes, defined with it.
export type { ResolvedCredentials, StaticCredentials };

export interface CredentialContext {
  readonly env: NodeJS.ProcessEnv;
  /** Called with every secret value found, before anything could print it. */
  readonly onSecret: (value: string) => void;
}

/** Resolves the credentials of one store. Throws `ConfigurationError` when the source has none. */
export function resolveCredentials(source: CredentialSource, host: string, ctx: CredentialContext): ResolvedCredentials {
  switch (source.type) {
    case 'default':
      return 'default';
    case 'env':
      return fromEnv(source.name, ctx);
    case 'key-dir':
      return fromKeyDir(source.dir, host, ctx);
  }
}

function fromEnv(name: string, ctx: CredentialContext): StaticCredentials {
  const id = `${name}_ACCESS_KEY_ID`;
  const secret = `${name}_SECRET_ACCESS_KEY`;
  const token = `${name}_SESSION_TOKEN`;
  const accessKeyId = ctx.env[id]?.trim();
  const secretAccessKey = ctx.env[secret]?.trim();
  const sessionToken = ctx.env[token]?.trim() || undefined;
  // Mask whatever is there before complaining about what is not.
  for (const v of [accessKeyId, secretAccessKey, sessionToken]) if (v) ctx.onSecret(v);
  const missing = [!accessKeyId && id, !secretAccessKey && secret].filter(Boolean);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `credentials=env:${name} needs ${missing.join(' and ')} in the environment (set them from secrets in the step's env:), but ${missing.length > 1 ? 'they are' : 'it is'} empty or unset`,
    );
  }
  return { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey!, sessionToken };
}

/** Candidate file names for a host: the host itself, then each parent domain down to two labels. */
export function keyFileCandidates(host: string): string[] {
  const h = host.toLowerCase();
  if (/^[\d.]+$/.test(h) || h.includes(':') || !h.includes('.')) return [h];
  const labels = h.split('.');
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}

function fromKeyDir(dir: string, host: string, ctx: CredentialContext): StaticCredentials {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new ConfigurationError(`key folder ${quote(dir)} does not exist or cannot be read`);
  }
  if (!stat.isDirectory()) throw new ConfigurationError(`key folder ${quote(dir)} is not a folder`);
  const candidates = keyFileCandidates(host);
  for (const name of candidates) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ConfigurationError(`key file ${quote(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const words = text.trim().split(/\s+/).filter((w) => w !== '');
    for (const w of words) ctx.onSecret(w);
    if (words.length < 2 || words.length > 3) {
      throw new ConfigurationError(`key file ${quote(file)} must hold "ACCESS SECRET [SESSION_TOKEN]" separated by white space; it holds ${words.length} words`);
    }
    const [accessKeyId, secretAccessKey, sessionToken] = words as [string, string, string?];
    return { accessKeyId, secretAccessKey, sessionToken };
  }
  throw new ConfigurationError(`key folder ${quote(dir)} has no key file for host ${quote(host)}; looked for: ${candidates.join(', ')}`);
}

/**
 * Why a store has no credential configured at all (`undefined` when it has one, right or wrong):
 * what a pull request from a fork, which gets no secrets, looks like. `env:NAME` has none when
 * NAME_ACCESS_KEY_ID, NAME_SECRET_ACCESS_KEY and NAME_SESSION_TOKEN are all empty or unset (one of
 * them set is a credential, however incomplete); `default` when no AWS_ variable names a source
 * and the SDK's chain finds nothing anywhere (read from the process environment, as the SDK
 * does, not from `env`). A key folder is a path the workflow named, and a folder store needs no credential:
 * neither ever counts as none.
 */
export async function missingCredentials(spec: StoreSpec, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (spec.kind === 'file') return undefined;
  const source = spec.credentials;
  if (source.type === 'env') {
    const names = ['ACCESS_KEY_ID', 'SECRET_ACCESS_KEY', 'SESSION_TOKEN'].map((n) => `${source.name}_${n}`);
    if (names.some((n) => (env[n]?.trim() ?? '') !== '')) return undefined;
    return `credentials=env:${source.name}: ${names[0]} and ${names[1]} are empty or unset`;
  }
  if (source.type === 'key-dir') return undefined;
  const client = createS3Client({ provider: spec.provider, endpoint: spec.endpoint, region: spec.region, credentials: 'default', maxSockets: 1 });
  try {
    return (await defaultChainFindsNothing(client)) ? 'credentials=default: the AWS SDK found no credential (no AWS_ACCESS_KEY_ID, profile, web identity or instance role)' : undefined;
  } finally {
    client.destroy();
  }
}
