import { quietHost } from '../helpers/quiet-host';
import { DEFAULT_PREFIX, readUploadLogsInputs } from '../../src/actions/upload-logs/inputs';

const host = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) => quietHost(inputs, { env });

const base = { path: 'logs', stores: 'http://127.0.0.1:7480/logs-bucket/ci' };

describe('upload-logs inputs', () => {
  test('defaults', () => {
    const i = readUploadLogsInputs(host(base));
    expect(i).toMatchObject({
      path: '/srv/ws/logs',
      visibility: 'public',
      ifNoFiles: 'error',
      ifNoCredentials: 'error',
      includeHiddenFiles: false,
      includeNamesHidden: [],
      overwrite: false,
      redact: true,
      filesInFlight: 64,
      dryRun: false,
      githubToken: '',
      statusState: 'auto',
      comment: false,
      minPermission: 'write',
      allowedUsers: [],
      context: '',
    });
    expect(i.prefix.text).toBe(DEFAULT_PREFIX);
    expect(i.stores[0]).toMatchObject({ kind: 's3', bucket: 'logs-bucket', prefix: 'ci/' });
    expect(i.include[0]!.test('a/b c/d.log')).toBe(true);
    expect(i.argumentPattern.regexp.test('fedora-42')).toBe(true);
  });

  test('secrets are masked as soon as they are read; the token falls back on GITHUB_TOKEN (the CLI)', () => {
    const h = host({ ...base, 'redact-values': '#starts-with-hash\n  other-secret  \n' }, { GITHUB_TOKEN: 'ghs_token_value' });
    const i = readUploadLogsInputs(h);
    expect(i.redactValues).toEqual(['#starts-with-hash', 'other-secret']);
    expect(i.githubToken).toBe('ghs_token_value');
    expect(h.secrets).toEqual(['#starts-with-hash', 'other-secret', 'ghs_token_value']);
  });

  test.each([
    [{ path: '' }, /input "path": is required/],
    [{ stores: '' }, /input "stores" is required/],
    [{ prefix: '{repo}/{branch}' }, /input "prefix": unknown placeholder \{branch\}/],
    [{ visibility: 'authenticated' }, /input "visibility": "authenticated" is not allowed; allowed: public, private/],
    [{ 'if-no-files': 'fail' }, /input "if-no-files": "fail" is not allowed; allowed: error, warn, ignore/],
    [{ 'files-in-flight': '0' }, /input "files-in-flight": "0" is not allowed; allowed: a whole number from 1 to 256/],
    [{ 'min-permission': 'none' }, /input "min-permission": "none" is not allowed; allowed: read, triage, write, maintain, admin/],
    [{ 'allowed-users': 'alice bob;rm' }, /input "allowed-users": "bob;rm" is not a GitHub login/],
    [{ 'argument-pattern': '(' }, /input "argument-pattern": "\(" is not a regular expression/],
    [{ command: 'image-refresh' }, /input "command": "image-refresh" is not allowed; allowed: a slash and a word/],
    [{ sha: 'abc' }, /input "sha": "abc" is not allowed; allowed: a full commit SHA/],
    [{ 'proxy-url': 'https://u:p@proxy' }, /input "proxy-url": .* no query, fragment or credentials/],
    [{ 'redact-env': 'GOOD BAD-NAME' }, /input "redact-env": "BAD-NAME" is not an environment variable name/],
    [{ 'issue-number': '-1' }, /input "issue-number": "-1" is not allowed/],
    [{ stores: "http://127.0.0.1:7480/bkt\nhttp://127.0.0.1:7480/bkt" }, /input "stores": "http:\/\/127.0.0.1:7480\/bkt" is listed twice/],
    [{ exclude: '[abc' }, /input "exclude": glob "\[abc" has a '\[' without its '\]'/],
  ])('%j is refused with a message naming the input', (over, message) => {
    expect(() => readUploadLogsInputs(host({ ...base, ...over }))).toThrow(message);
  });

  test('authorize-only needs neither path nor stores', () => {
    const i = readUploadLogsInputs(host({ 'authorize-only': 'true' }));
    expect(i.authorizeOnly).toBe(true);
    expect(i.stores).toEqual([]);
  });

  test('lists: logins with @, env names with wildcards, proxy URL without its trailing slash', () => {
    const i = readUploadLogsInputs(host({ ...base, 'allowed-users': '@alice, bob\ncockpituous[bot]', 'redact-env': '*_TOKEN, API_KEY', 'proxy-url': 'https://logs.example.com/' }));
    expect(i.allowedUsers).toEqual(['alice', 'bob', 'cockpituous[bot]']);
    expect(i.redactEnv.map((r) => r.test('GH_TOKEN'))).toEqual([true, false]);
    expect(i.proxyUrl).toBe('https://logs.example.com');
  });

  test('hidden files: include-hidden-files is a strict boolean; include globs naming a hidden segment are kept as written', () => {
    expect(readUploadLogsInputs(host({ ...base, 'include-hidden-files': 'true' })).includeHiddenFiles).toBe(true);
    for (const v of ['yes', 'True', '1']) expect(() => readUploadLogsInputs(host({ ...base, 'include-hidden-files': v }))).toThrow(`input "include-hidden-files": "${v}" is not allowed; allowed: true, false`);
    const i = readUploadLogsInputs(host({ ...base, include: '*.log\n.hidden/**\n**/.env\n./.git/config\n./logs/**\nsub/../x\n# .commented' }));
    expect(i.includeNamesHidden).toEqual(['.hidden/**', '**/.env', './.git/config']);
  });

  test('if-no-credentials: error, warn or ignore', () => {
    expect(readUploadLogsInputs(host({ ...base, 'if-no-credentials': 'ignore' })).ifNoCredentials).toBe('ignore');
    expect(() => readUploadLogsInputs(host({ ...base, 'if-no-credentials': 'skip' }))).toThrow('input "if-no-credentials": "skip" is not allowed; allowed: error, warn, ignore');
  });
});
