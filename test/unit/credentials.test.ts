import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyFileCandidates, missingCredentials, resolveCredentials } from '../../src/storage/credentials';
import { parseStoreSpec, type StoreSpec } from '../../src/storage/store-spec';
import { useEmptyAwsEnvironment } from '../helpers/aws-env';

describe('credentials', () => {
  const masked: string[] = [];
  const ctx = (env: NodeJS.ProcessEnv) => ({ env, onSecret: (v: string) => masked.push(v) });
  beforeEach(() => (masked.length = 0));

  test('env:NAME reads three variables and masks them', () => {
    const c = resolveCredentials({ type: 'env', name: 'LINODE' }, 'x', ctx({ LINODE_ACCESS_KEY_ID: 'AKIDTEST', LINODE_SECRET_ACCESS_KEY: 'secret-value', LINODE_SESSION_TOKEN: 'tok-value' }));
    expect(c).toEqual({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-value', sessionToken: 'tok-value' });
    expect(masked).toEqual(['AKIDTEST', 'secret-value', 'tok-value']);
  });

  test('env:NAME with a missing secret names the variable, masks what was there, shows no value', () => {
    expect(() => resolveCredentials({ type: 'env', name: 'AWS2' }, 'x', ctx({ AWS2_ACCESS_KEY_ID: 'AKIDTEST' }))).toThrow(
      /credentials=env:AWS2 needs AWS2_SECRET_ACCESS_KEY in the environment/,
    );
    expect(masked).toEqual(['AKIDTEST']);
  });

  test('key folders are searched by host-name suffix', () => {
    expect(keyFileCandidates('a.s3.example.com')).toEqual(['a.s3.example.com', 's3.example.com', 'example.com']);
    expect(keyFileCandidates('127.0.0.1')).toEqual(['127.0.0.1']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-'));
    fs.writeFileSync(path.join(dir, 's3.example.com'), 'ACCESSKEY SECRETKEY\n');
    expect(resolveCredentials({ type: 'key-dir', dir }, 'a.s3.example.com', ctx({}))).toEqual({ accessKeyId: 'ACCESSKEY', secretAccessKey: 'SECRETKEY', sessionToken: undefined });
    expect(masked).toEqual(['ACCESSKEY', 'SECRETKEY']);
    expect(() => resolveCredentials({ type: 'key-dir', dir }, 'other.org', ctx({}))).toThrow(/has no key file for host "other.org"; looked for: other.org/);
    fs.writeFileSync(path.join(dir, 'bad.org'), 'ONLYONEWORD\n');
    expect(() => resolveCredentials({ type: 'key-dir', dir }, 'bad.org', ctx({}))).toThrow(/must hold "ACCESS SECRET \[SESSION_TOKEN\]".*holds 1 words/);
    expect(() => resolveCredentials({ type: 'key-dir', dir }, 'bad.org', ctx({}))).not.toThrow(/ONLYONEWORD/);
    expect(() => resolveCredentials({ type: 'key-dir', dir: path.join(dir, 'nope') }, 'x', ctx({}))).toThrow(/does not exist/);
  });
});

describe('a store with no credential configured at all (a pull request from a fork)', () => {
  const cwd = os.tmpdir();
  const spec = (line: string): StoreSpec => parseStoreSpec(line, { credentials: { type: 'default' }, visibility: 'auto', cwd });
  const envStore = spec('http://127.0.0.1:1/logs credentials=env:LOGS');

  test('env:NAME: none only when all three variables are empty or unset; any one of them set is a credential', async () => {
    expect(await missingCredentials(envStore, {})).toBe('credentials=env:LOGS: LOGS_ACCESS_KEY_ID and LOGS_SECRET_ACCESS_KEY are empty or unset');
    // As a runner passes a secret a fork does not get: the empty string, or white space.
    expect(await missingCredentials(envStore, { LOGS_ACCESS_KEY_ID: '', LOGS_SECRET_ACCESS_KEY: ' \n', LOGS_SESSION_TOKEN: '' })).toMatch(/empty or unset/);
    for (const set of [{ LOGS_ACCESS_KEY_ID: 'AKIDTEST' }, { LOGS_SECRET_ACCESS_KEY: 'wrong' }, { LOGS_SESSION_TOKEN: 'tok' }, { LOGS_ACCESS_KEY_ID: 'AKIDTEST', LOGS_SECRET_ACCESS_KEY: 'wrong' }]) {
      expect([set, await missingCredentials(envStore, set)]).toEqual([set, undefined]);
    }
    // Other stores' variables do not count.
    expect(await missingCredentials(envStore, { OTHER_ACCESS_KEY_ID: 'AKIDTEST', OTHER_SECRET_ACCESS_KEY: 'x' })).toMatch(/empty or unset/);
  });

  test('a folder store needs none, and a key folder is a path the workflow named: neither ever counts as none', async () => {
    expect(await missingCredentials(spec(`file://${cwd}`), {})).toBeUndefined();
    expect(await missingCredentials(spec(`http://127.0.0.1:1/logs credentials=key-dir:${path.join(cwd, 'no-such-key-folder')}`), {})).toBeUndefined();
  });

  describe('default: what the chain of the AWS SDK says', () => {
    const homeOf = useEmptyAwsEnvironment('no-aws');
    const defaultStore = () => spec('http://127.0.0.1:1/logs');

    test('nothing anywhere: none', async () => {
      expect(await missingCredentials(defaultStore(), {})).toMatch(/^credentials=default: the AWS SDK found no credential/);
    });

    test('keys in the environment, even wrong ones: a credential', async () => {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDWRONG', AWS_SECRET_ACCESS_KEY: 'wrong-secret' });
      expect(await missingCredentials(defaultStore(), {})).toBeUndefined();
    });

    test('keys in the shared credentials file: a credential', async () => {
      fs.writeFileSync(path.join(homeOf(), 'credentials'), '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n');
      expect(await missingCredentials(defaultStore(), {})).toBeUndefined();
    });

    test('a profile that does not exist, or a key without its secret, is configured and broken: not none, so the run fails on it', async () => {
      process.env.AWS_PROFILE = 'no-such-profile';
      expect(await missingCredentials(defaultStore(), {})).toBeUndefined();
      delete process.env.AWS_PROFILE;
      process.env.AWS_ACCESS_KEY_ID = 'AKIDONLY';
      expect(await missingCredentials(defaultStore(), {})).toBeUndefined();
    });

    test('variables a fork gets empty count as unset', async () => {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_ROLE_ARN: ' ' });
      expect(await missingCredentials(defaultStore(), {})).toMatch(/found no credential/);
    });
  });
});
