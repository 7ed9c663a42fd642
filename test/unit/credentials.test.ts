import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyFileCandidates, resolveCredentials } from '../../src/storage/credentials';

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
