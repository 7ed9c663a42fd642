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

/** Top-level settings of each section of an INI text, by the section name the SDK gives it. */
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
    if (nested !== undefined) continue;
    let entries = sections.get(section);
    if (!entries) sections.set(section, (entries = new Map()));
    entries.set(key, value);
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

/** The profile's own settings `names` as the SDK would read them (empty values count as unset). */
export function readProfileSettings(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, ProfileSetting | undefined> {
  const profile = env.AWS_PROFILE || 'default';
  const configFile = filePath(env, 'AWS_CONFIG_FILE', 'config');
  const credentialsFile = filePath(env, 'AWS_SHARED_CREDENTIALS_FILE', 'credentials');
  const config = parseSections(read(configFile) ?? '');
  // In the config file, `[profile default]` stands for `[default]` and replaces it when both are there.
  const fromConfig = (profile === 'default' ? (config.get('profile default') ?? config.get('default')) : config.get(`profile ${profile}`)) ?? new Map<string, string>();
  const fromCredentials = parseSections(read(credentialsFile) ?? '').get(profile) ?? new Map<string, string>();
  const out: Record<string, ProfileSetting | undefined> = {};
  for (const name of names) {
    const [value, file] = fromConfig.get(name) ? [fromConfig.get(name), configFile] : [fromCredentials.get(name), credentialsFile];
    out[name] = value ? { name, value, profile, file } : undefined;
  }
  return out;
}
