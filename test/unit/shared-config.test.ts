/**
 * The profile settings src/s3/shared-config.ts reads synchronously are what the AWS SDK itself
 * reads from the same files: held to a plain S3Client's resolved `maxAttempts` and `retryMode`
 * (no options given, so the SDK reads the variables' absence, then the profile), over hand-picked
 * files and over generated ones (sections of every form, comments, nested blocks, both files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { S3Client } from '@aws-sdk/client-s3';
import { readProfileSettings } from '../../src/s3/shared-config';
import { useEmptyAwsEnvironment } from '../helpers/aws-env';
import { checkProperty } from '../helpers/property';

const home = useEmptyAwsEnvironment('shared-config');
let n = 0;

/** What the SDK resolves and what the reader reads, for files of these texts (fresh paths, as the SDK caches files by path). */
async function both(config: string | undefined, credentials: string | undefined, profile?: string) {
  n++;
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: path.join(home(), `config-${n}`), AWS_SHARED_CREDENTIALS_FILE: path.join(home(), `credentials-${n}`) };
  if (profile !== undefined) env.AWS_PROFILE = profile;
  else delete env.AWS_PROFILE;
  if (config !== undefined) fs.writeFileSync(env.AWS_CONFIG_FILE!, config);
  if (credentials !== undefined) fs.writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, credentials);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  if (profile === undefined) delete process.env.AWS_PROFILE;
  try {
    const client = new S3Client({ region: 'us-east-1' });
    const sdk = { max_attempts: String(await client.config.maxAttempts()), retry_mode: String(await (client.config.retryMode as () => Promise<string>)()) };
    client.destroy();
    const ours = readProfileSettings(['max_attempts', 'retry_mode'], env);
    // The SDK's defaults where the profile says nothing; max_attempts as the SDK parses it (parseInt,
    // which takes `1#x` as 1: the strict check then refuses what the reader passes on).
    const attempts = ours.max_attempts === undefined ? '3' : String(parseInt(ours.max_attempts.value, 10));
    return { sdk, ours: { max_attempts: attempts, retry_mode: ours.retry_mode?.value ?? 'standard' } };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const CASES: [string, string | undefined, string | undefined, string | undefined][] = [
  ['no files', undefined, undefined, undefined],
  ['[default] in config', '[default]\nmax_attempts = 7\nretry_mode = adaptive\n', undefined, undefined],
  ['[profile default] replaces [default]', '[default]\nmax_attempts = 7\nretry_mode = adaptive\n[profile default]\nmax_attempts = 8\n', undefined, undefined],
  ['[profile default] before [default]', '[profile default]\nmax_attempts = 8\n[default]\nretry_mode = adaptive\nmax_attempts = 5\n', undefined, undefined],
  ['a named profile', '[default]\nmax_attempts = 7\n[profile ci]\nmax_attempts = 9\n', undefined, 'ci'],
  ['a named profile without the prefix in config is not read', '[ci]\nmax_attempts = 9\n', undefined, 'ci'],
  ['the credentials file, config winning per key', '[profile ci]\nretry_mode = legacy\n', '[ci]\nmax_attempts = 11\nretry_mode = adaptive\n', 'ci'],
  ['comments and blanks', '# c\n[default] ; c\n  max_attempts   =   12   # twelve\n;max_attempts = 1\nretry_mode=adaptive;x\n', undefined, undefined],
  ['a nested block is not the profile`s own', '[default]\ns3 =\n  max_attempts = 13\nretry_mode = adaptive\n', undefined, undefined],
  ['a nested block ends at an unindented line', '[default]\ns3 =\n  addressing_style = path\nmax_attempts = 14\n', undefined, undefined],
  ['quoted profile names', "[profile 'ci']\nmax_attempts = 15\n", undefined, 'ci'],
  ['a services section is no profile', '[services ci]\nmax_attempts = 16\n[profile ci]\nretry_mode = adaptive\n', undefined, 'ci'],
  ['the last value of a key wins', '[default]\nmax_attempts = 4\nmax_attempts = 17\n', undefined, undefined],
  ['sections repeated', '[default]\nmax_attempts = 4\n[profile x]\n[default]\nretry_mode = adaptive\n', undefined, undefined],
  ['CRLF lines', '[default]\r\nmax_attempts = 18\r\n', undefined, undefined],
];

test.each(CASES)('%s: as the SDK reads it', async (_name, config, credentials, profile) => {
  const { sdk, ours } = await both(config, credentials, profile);
  expect(ours).toEqual(sdk);
});

test('generated files: as the SDK reads them', async () => {
  const name = fc.constantFrom('default', 'ci', 'dev-1');
  const header = fc.oneof(
    name.map((p) => `[${p}]`),
    name.map((p) => `[profile ${p}]`),
    name.map((p) => `[profile "${p}"]`),
    name.map((p) => `[services ${p}]`),
    name.map((p) => `[sso-session ${p}]`),
  );
  // Each setting with a value the SDK parses (it reads max_attempts with parseInt).
  const setting = fc.oneof(
    fc.integer({ min: 1, max: 19 }).map((v) => `max_attempts = ${v}`),
    fc.constantFrom('adaptive', 'legacy').map((v) => `retry_mode = ${v}`),
    fc.constantFrom('s3 =', 'region = eu-west-1'),
  );
  const line = fc.oneof(
    header,
    fc.tuple(fc.constantFrom('', '  ', '\t'), setting, fc.constantFrom('', ' # note', ' ;x', '#x')).map(([indent, set, comment]) => `${indent}${set}${comment}`),
    fc.constantFrom('', '# comment', '; comment', 'not a setting'),
  );
  const file = fc.array(line, { maxLength: 14 }).map((lines) => lines.join('\n'));
  await checkProperty(
    'profile settings read as the SDK reads them',
    fc.asyncProperty(fc.option(file, { nil: undefined }), fc.option(file, { nil: undefined }), fc.option(name, { nil: undefined }), async (config, credentials, profile) => {
      const { sdk, ours } = await both(config, credentials, profile);
      expect(ours).toEqual(sdk);
    }),
    150,
  );
});
