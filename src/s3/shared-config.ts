/**
 * The settings of the AWS profile the SDK uses, read from the shared files synchronously, so that
 * they are checked as strictly as the variables before any client is made (the SDK reads them
 * itself only once a request is under way). Read as the SDK reads them: the profile is
 * `AWS_PROFILE`, else `default`; `[profile NAME]` (or `[default]`) in the config file
 * (`AWS_CONFIG_FILE`, default `~/.aws/config`) and `[NAME]` in the credentials file
 * (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), the config file winning per
 * key; `#` and `;` comments; nested settings (an indented block under `NAME =`) are not the
 * profile's own. `test/unit/shared-config.test.ts` holds this to the SDK's own reading.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where a profile setting was found, for messages. */
export interface ProfileSetting {
  readonly name: string;
  readonly value: string;
  readonly profile: string;
  readonly file: string;
}

const PREFIXED = /^([\w-]+)\s(["'])?([\w-@+.%:/]+)\2$/;
const PREFIXES = ['profile', 'sso-session', 'services'];

/**
 * The settings of each section of an INI text, by the section name the SDK gives it; a nested
 * setting is keyed `BLOCK.NAME` (`s3.endpoint_url`), as the SDK keys it.
 */
function parseSections(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let section: string | undefined;
  let nested: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.split(/(^|\s)[;#]/)[0].trim();
    if (line.startsWith('[') && line.endsWith(']')) {
      nested = undefined;
      const name = line.slice(1, -1);
      const m = PREFIXED.exec(name);
      section = m ? (PREFIXES.includes(m[1]) ? `${m[1]} ${m[3]}` : undefined) : name;
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (value === '') {
      nested = key;
      continue;
    }
    if (nested !== undefined && raw.trimStart() === raw) nested = undefined;
    let entries = sections.get(section);
    if (!entries) sections.set(section, (entries = new Map()));
    entries.set(nested !== undefined ? `${nested}.${key}` : key, value);
  }
  return sections;
}

function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || (env.HOMEPATH ? `${env.HOMEDRIVE ?? 'C:'}${env.HOMEPATH}` : os.homedir());
}

function filePath(env: NodeJS.ProcessEnv, variable: string, fallback: string): string {
  const p = env[variable] || path.join(homeDir(env), '.aws', fallback);
  return p.startsWith('~/') ? path.join(homeDir(env), p.slice(2)) : p;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the SDK reads a missing or unreadable file as empty
  }
}

interface Profile {
  readonly name: string;
  readonly configFile: string;
  readonly credentialsFile: string;
  /** The config file's sections. */
  readonly config: Map<string, Map<string, string>>;
  /** The profile's settings, the config file's over the credentials file's. */
  get(name: string): ProfileSetting | undefined;
}

function loadProfile(env: NodeJS.ProcessEnv): Profile {
  const name = env.AWS_PROFILE || 'default';
  const configFile = filePath(env, 'AWS_CONFIG_FILE', 'config');
  const credentialsFile = filePath(env, 'AWS_SHARED_CREDENTIALS_FILE', 'credentials');
  const config = parseSections(read(configFile) ?? '');
  // In the config file, `[profile default]` stands for `[default]` and replaces it when both are there.
  const fromConfig = (name === 'default' ? (config.get('profile default') ?? config.get('default')) : config.get(`profile ${name}`)) ?? new Map<string, string>();
  const fromCredentials = parseSections(read(credentialsFile) ?? '').get(name) ?? new Map<string, string>();
  return {
    name,
    configFile,
    credentialsFile,
    config,
    get(setting) {
      const [value, file] = fromConfig.get(setting) ? [fromConfig.get(setting), configFile] : [fromCredentials.get(setting), credentialsFile];
      return value ? { name: setting, value, profile: name, file } : undefined;
    },
  };
}

/** The profile's own settings `names` as the SDK would read them (empty values count as unset). */
export function readProfileSettings(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, ProfileSetting | undefined> {
  const profile = loadProfile(env);
  return Object.fromEntries(names.map((name) => [name, profile.get(name)]));
}

/**
 * The S3 endpoint URL the SDK's configured-endpoint settings give a client that names none, as the
 * SDK picks it: none if `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (else the profile's
 * `ignore_configured_endpoint_urls`) is `true`; else `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the
 * `s3` block of the profile's `services` section, the profile's `endpoint_url`. Not checked here
 * (`sdk-settings.ts` checks the variables; the SDK refuses a bad file entry at its first request).
 */
export function configuredEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const profile = loadProfile(env);
  const ignore = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? profile.get('ignore_configured_endpoint_urls')?.value;
  if (ignore === 'true') return undefined;
  const variable = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (variable) return variable;
  const services = profile.get('services')?.value;
  const fromServices = services !== undefined ? profile.config.get(`services ${services}`)?.get('s3.endpoint_url') : undefined;
  return fromServices || profile.get('endpoint_url')?.value;
}
