/**
 * `upload-logs` end to end: the ncc bundle under Node 24, run like a runner runs it, against the
 * real RGW cluster of the "old" provider, with the GitHub API played by a local server
 * (GITHUB_API_URL) that records every request. What the step wrote is then read back the way a
 * browser would: anonymously, through the links of the generated index page.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { errors, NODE24, runBundle, type BundleRun } from '../helpers/bundle';
import { startFakeGitHub, seedComments, type FakeGitHub } from '../helpers/fake-github';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { anonymousStatus, client, credentialEnv, listKeys, REPO, rgw, useBuckets } from '../helpers/rgw';

const TOKEN = 'ghs_fakeTokenValue0123456789abcdef';
const SECRET = 'redact-me-9f8e7d6c5b4a';
const REPOSITORY = 'cockpit-project/bots';
const PR = 7;
const HEAD = 'c0ffee'.padEnd(40, '1');
const DEFAULT_BRANCH_SHA = 'deadbeef'.padEnd(40, '0');

const makeBucket = useBuckets();
let gh: FakeGitHub;
let bucket: string;
beforeAll(async () => {
  gh = await startFakeGitHub(TOKEN);
  gh.permissions.set('maintainer', { permission: 'write', role_name: 'maintain' });
  gh.permissions.set('reader', { permission: 'read', role_name: 'read' });
  gh.pulls.set(PR, HEAD);
  bucket = await makeBucket('old', 'logs');
});
const scratch: string[] = [];
afterAll(async () => {
  await gh?.close();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

/** Files written as-is; a tree of `count` small generated logs is added under `suites/`. */
function workspace(files: Record<string, string | Buffer>, count = 0): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'logs-ws-'));
  scratch.push(ws);
  const put = (rel: string, content: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(ws, 'logs', rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, 'logs', rel), content);
  };
  for (let i = 0; i < count; i++) put(`suites/s${i % 10}/t${i % 50}/check-${i}.log`, `test ${i} ok\n${'x'.repeat(i % 700)}\n`);
  for (const [rel, content] of Object.entries(files)) put(rel, content);
  return ws;
}

let eventSeq = 0;
/** An issue_comment event file for a comment on the pull request. */
function commentEvent(login: string, body: string, action = 'created'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'event-'));
  scratch.push(dir);
  const file = path.join(dir, 'event.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      action,
      issue: { number: PR, pull_request: { url: `https://api.github.example/repos/${REPOSITORY}/pulls/${PR}` } },
      comment: { id: 500 + eventSeq++, body, user: { login, type: 'User' }, author_association: 'MEMBER' },
      repository: { full_name: REPOSITORY },
    }),
  );
  return file;
}

function env(event: string, over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...credentialEnv(['old']),
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_EVENT_NAME: 'issue_comment',
    GITHUB_EVENT_PATH: event,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_SHA: DEFAULT_BRANCH_SHA,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'refresh',
    MY_SECRET: SECRET,
    ...over,
  };
}

const store = (sub = 'ci') => `${rgw('old').endpoint}/${bucket}/${sub} credentials=env:OLD`;
const baseInputs = (sub = 'ci') => ({
  path: 'logs',
  stores: store(sub),
  prefix: '{repo}/pull-{pr}-{short-sha}-{run-attempt}-{context}',
  'github-token': TOKEN,
  command: '/image-refresh',
  comment: 'true',
  'status-context': 'logs/image-refresh',
  'redact-env': 'MY_SECRET',
});

function visibleText(run: BundleRun): string {
  return [run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
}

async function get(url: string): Promise<{ status: number; type: string | null; encoding: string | null; body: Buffer }> {
  // Node's fetch unpacks gzip itself (as a browser does); the header still says what was served.
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type'), encoding: r.headers.get('content-encoding'), body: Buffer.from(await r.arrayBuffer()) };
}

/** The files an index page links to, as URLs resolved against the page, by the name shown. */
function links(html: string, pageUrl: string): Map<string, string> {
  const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<tr><td><a href="([^"]*)">([^<]*)<\/a><\/td><td class="size" title="(\d+) bytes">/g)) {
    out.set(unescape(m[2]!), new URL(unescape(m[1]!), pageUrl).href);
  }
  return out;
}

const SPECIAL: Record<string, string | Buffer> = {
  'with space.log': 'spaces in the name\n',
  'plus+sign.txt': 'plus\n',
  '100% done.log': 'percent\n',
  'issue#42.log': 'hash\n',
  'ünïcödé/日本語 ログ.txt': 'non-ASCII\n',
  "odd 'quote' & <angle>.html": '<p>html</p>\n',
  'nested/deeper/still/journal.log.gz': gzipSync('compressed journal line\n'),
  'report.json': '{"ok":true}\n',
  'screenshot.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
  'env.log': `the token is ${SECRET} (oops)\n`,
};

describe('a comment-triggered publish of 5,000 logs, read back anonymously', () => {
  let ws: string;
  let run: BundleRun;
  const N = 5000;
  const expectedPrefix = `cockpit-project-bots/pull-${PR}-${HEAD.slice(0, 8)}-1-fedora-42/`;
  let url: string;

  beforeAll(async () => {
    seedComments(gh, PR, 120);
    ws = workspace(SPECIAL, N);
    const started = Date.now();
    run = await runBundle('upload-logs', baseInputs(), { cwd: ws, env: env(commentEvent('maintainer', '/image-refresh fedora-42')) });
    // Shown in the test log: the figure the issue's performance goal is about.
    console.log(`upload-logs: ${N + Object.keys(SPECIAL).length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    url = run.outputs.url!;
  });

  test('succeeds, with the outputs and a summary line that links the index', () => {
    expect(errors(run)).toEqual([]);
    expect(run.code).toBe(0);
    const files = N + Object.keys(SPECIAL).length;
    expect(run.outputs).toMatchObject({ prefix: expectedPrefix, files: String(files), skipped: '0', failed: '0', redactions: '1', arguments: '["fedora-42"]' });
    expect(url).toBe(`${rgw('old').endpoint}/${bucket}/ci/${expectedPrefix}index.html`);
    expect(run.summary).toContain(`Logs: [${expectedPrefix}](${url}): ${files} file(s)`);
    expect(run.summary).toMatch(/Triggered by @maintainer \(maintain permission\): `\/image-refresh fedora-42`/);
    const report = JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8'));
    expect(report.files).toHaveLength(files);
    expect(report.counts).toMatchObject({ files, failed: 0 });
    expect(run.stdout).toMatch(/of \d+ file\(s\) \(100%\)/);
  });

  test('the store holds every file under the prefix, and the index page', async () => {
    const keys = await listKeys('old', bucket, `ci/${expectedPrefix}`);
    const rels = keys.map((k) => k.slice(`ci/${expectedPrefix}`.length));
    expect(rels).toHaveLength(N + Object.keys(SPECIAL).length + 1);
    expect(rels).toContain('index.html');
    for (const name of Object.keys(SPECIAL)) expect(rels).toContain(name);
    expect(rels).toContain('suites/s3/t13/check-4963.log');
  });

  test('the index lists every file, and its links lead a browser to each one', async () => {
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    const html = page.body.toString('utf8');
    const listed = links(html, url);
    expect(listed.size).toBe(N + Object.keys(SPECIAL).length);
    for (const name of Object.keys(SPECIAL)) expect(listed.has(name)).toBe(true);
    expect(html).not.toContain('<angle>');
    // Every link, resolved as a browser resolves it, names exactly its file's key.
    for (const [name, href] of listed) expect(decodeURIComponent(new URL(href).pathname)).toBe(`/${bucket}/ci/${expectedPrefix}${name}`);
  });

  test.each([
    ['with space.log', 'text/plain; charset=utf-8', null],
    ['plus+sign.txt', 'text/plain; charset=utf-8', null],
    ['100% done.log', 'text/plain; charset=utf-8', null],
    ['issue#42.log', 'text/plain; charset=utf-8', null],
    ['ünïcödé/日本語 ログ.txt', 'text/plain; charset=utf-8', null],
    ["odd 'quote' & <angle>.html", 'text/html; charset=utf-8', null],
    ['nested/deeper/still/journal.log.gz', 'text/plain; charset=utf-8', 'gzip'],
    ['report.json', 'application/json; charset=utf-8', null],
    ['screenshot.png', 'image/png', null],
  ])('%s is read anonymously through its index link, as %s', async (name, type, encoding) => {
    const html = (await get(url)).body.toString('utf8');
    const r = await get(links(html, url).get(name)!);
    expect(r.status).toBe(200);
    expect(r.type).toBe(type);
    expect(r.encoding).toBe(encoding);
    const original = SPECIAL[name]!;
    const expected = encoding === 'gzip' ? 'compressed journal line\n' : original;
    expect(r.body.equals(Buffer.from(expected))).toBe(true);
  });

  test('a secret is replaced in the uploaded copy, never in the file, and never printed', async () => {
    const r = await get(url.replace(/index\.html$/, 'env.log'));
    expect(r.body.toString()).toBe('the token is *** (oops)\n');
    expect(fs.readFileSync(path.join(ws, 'logs', 'env.log'), 'utf8')).toContain(SECRET);
    const visible = visibleText(run);
    for (const s of [SECRET, TOKEN, rgw('old').secretKey]) expect(visible).not.toContain(s);
    expect(run.stdout).toContain(`::add-mask::${TOKEN}`);
  });

  test('the API was asked for the commenter\'s permission and the PR head, with the token; status and comment point at the index', () => {
    const calls = gh.calls(`/repos/${REPOSITORY}`);
    expect(calls).toEqual(
      expect.arrayContaining([
        `GET /repos/${REPOSITORY}/collaborators/maintainer/permission`,
        `GET /repos/${REPOSITORY}/pulls/${PR}`,
        `POST /repos/${REPOSITORY}/statuses/${HEAD}`,
        `POST /repos/${REPOSITORY}/issues/${PR}/comments`,
      ]),
    );
    expect(gh.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    expect(gh.statuses.at(-1)).toEqual({ sha: HEAD, body: expect.objectContaining({ state: 'success', context: 'logs/image-refresh', target_url: url }) });
    const mine = gh.comments.get(PR)!.filter((c) => c.body.startsWith('<!-- ci-stores:upload-logs:refresh-fedora-42 -->'));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toContain(`](${url})`);
    expect(run.outputs['comment-url']).toBe(mine[0]!.html_url);
  });

  test('a re-run updates the same comment in place, found past the first page, and never adds one', async () => {
    const before = gh.comments.get(PR)!.length;
    const small = workspace({ 'again.log': 'second attempt\n' });
    const again = await runBundle('upload-logs', baseInputs(), {
      cwd: small,
      env: env(commentEvent('maintainer', '/image-refresh fedora-42'), { GITHUB_RUN_ATTEMPT: '2' }),
    });
    expect(errors(again)).toEqual([]);
    expect(again.outputs.prefix).toBe(expectedPrefix.replace('-1-fedora-42/', '-2-fedora-42/'));
    expect(gh.comments.get(PR)!.length).toBe(before);
    const mine = gh.comments.get(PR)!.filter((c) => c.body.startsWith('<!-- ci-stores:upload-logs:refresh-fedora-42 -->'));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toContain(again.outputs.url!);
    expect(gh.calls(`/repos/${REPOSITORY}/issues`).filter((c) => c.startsWith('POST'))).toHaveLength(1);
    expect(gh.calls(`/repos/${REPOSITORY}/issues/comments/${mine[0]!.id}`)).toEqual([`PATCH /repos/${REPOSITORY}/issues/comments/${mine[0]!.id}`]);
    // Paging: the list was read past its first 100 comments.
    expect(gh.requests.some((r) => r.path.endsWith(`/issues/${PR}/comments`) && r.query.page === '2')).toBe(true);
  });
});

describe('refusals: a clear error naming who and why, and nothing written', () => {
  async function refused(event: string, message: RegExp, sub: string, over: Record<string, string> = {}): Promise<BundleRun> {
    const ws = workspace({ 'a.log': 'a\n' });
    const before = gh.requests.length;
    const run = await runBundle('upload-logs', { ...baseInputs(sub), ...over }, { cwd: ws, env: env(event) });
    expect(run.code).toBe(1);
    expect(errors(run).join('\n')).toMatch(message);
    expect(run.summary).toMatch(message);
    expect(await listKeys('old', bucket, `${sub}/`)).toEqual([]);
    // Nothing written on GitHub either.
    expect(gh.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    return run;
  }

  test('a commenter with read permission', async () => {
    await refused(
      commentEvent('reader', '/image-refresh fedora-42'),
      /refused: @reader \(comment \d+ on #7\) has read permission on the repository; at least write is required, or a place in allowed-users; author_association MEMBER is not a permission\. Nothing was written/,
      'refused-reader',
    );
  });

  test('a commenter the API does not know (404)', async () => {
    await refused(commentEvent('stranger', '/image-refresh fedora-42'), /refused: @stranger .* has none permission/, 'refused-stranger');
  });

  test('an edited comment, even by a maintainer, without asking the API', async () => {
    const before = gh.requests.length;
    await refused(commentEvent('maintainer', '/image-refresh fedora-42', 'edited'), /refused: comment \d+ on #7 by @maintainer was edited, not created/, 'refused-edited');
    expect(gh.requests.slice(before).filter((r) => r.path.includes('/permission'))).toEqual([]);
  });

  test('an argument that fails validation', async () => {
    await refused(commentEvent('maintainer', '/image-refresh ../../etc'), /refused: argument 1 "..\/..\/etc" of comment \d+ on #7 by @maintainer is not allowed/, 'refused-arg');
  });

  test('an over-long first line is refused whole, never cut to fit and granted, and not echoed', async () => {
    // Cut at 1,000 characters, this line's last argument used to become `fedora-raw`, and was granted.
    const body = `/image-refresh ${`${'x'.repeat(64)} `.repeat(15)}fedora-rawhide`;
    const run = await refused(
      commentEvent('maintainer', body),
      /refused: comment \d+ on #7 by @maintainer: its first line is 1,004 characters long; at most 1,000 are allowed\. Nothing was written/,
      'refused-long',
    );
    expect(visibleText(run)).not.toContain('fedora-raw');
    expect(visibleText(run)).not.toContain('x'.repeat(41));
  });

  test('a character that looks like a space, or cannot be seen, is refused, not split on', async () => {
    await refused(commentEvent('maintainer', '/image-refresh fedora-42\u00a0rhel-9'), /refused: comment \d+ on #7 by @maintainer: its first line holds U\+00A0 at character 25/, 'refused-nbsp');
  });

  test('a lone CR ends the line: what follows it is not an argument', async () => {
    const ws = workspace({});
    const run = await runBundle('upload-logs', { 'authorize-only': 'true', command: '/image-refresh', 'github-token': TOKEN }, { cwd: ws, env: env(commentEvent('maintainer', '/image-refresh fedora-42\rrhel-9')) });
    expect(errors(run)).toEqual([]);
    expect(run.outputs.arguments).toBe('["fedora-42"]');
  });

  test('a gate job (authorize-only) checks the comment and sets the arguments, with no path or store', async () => {
    const ws = workspace({});
    const gate = (login: string) =>
      runBundle('upload-logs', { 'authorize-only': 'true', command: '/image-refresh', 'github-token': TOKEN }, { cwd: ws, env: env(commentEvent(login, '/image-refresh fedora-42 rhel-9')) });
    const ok = await gate('maintainer');
    expect(errors(ok)).toEqual([]);
    expect(ok.outputs.arguments).toBe('["fedora-42","rhel-9"]');
    const no = await gate('reader');
    expect(no.code).toBe(1);
    expect(errors(no).join('\n')).toMatch(/refused: @reader .* has read permission/);
  });

  test('the allowlist lets a reader in', async () => {
    const ws = workspace({ 'a.log': 'a\n' });
    const run = await runBundle('upload-logs', { ...baseInputs('allowed'), 'allowed-users': 'reader', comment: 'false', 'status-context': '' }, { cwd: ws, env: env(commentEvent('reader', '/image-refresh rhel-9')) });
    expect(errors(run)).toEqual([]);
    expect(run.outputs.files).toBe('1');
  });
});

test('a token that may not comment: the upload succeeds, and the failures are reported', async () => {
  gh.denyWrites = true;
  try {
    const ws = workspace({ 'a.log': 'a\n', 'b.log': 'b\n' });
    const run = await runBundle('upload-logs', baseInputs('denied'), { cwd: ws, env: env(commentEvent('maintainer', '/image-refresh centos-10')) });
    expect(run.code).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(run.outputs.files).toBe('2');
    expect(run.outputs['comment-url']).toBeUndefined();
    expect(run.stdout).toMatch(/::warning::could not comment on #7: POST \/repos\/cockpit-project\/bots\/issues\/7\/comments: HTTP 403 Resource not accessible by integration/);
    expect(run.stdout).toMatch(/::warning::could not set the commit status "logs\/image-refresh": .*HTTP 403/);
    expect(run.summary).toMatch(/comment: POST .* HTTP 403 Resource not accessible by integration/);
    expect((await listKeys('old', bucket, 'denied/')).length).toBe(3);
  } finally {
    gh.denyWrites = false;
  }
});

describe('bad input: a clear error, nothing written', () => {
  const pushEnv = () => env('', { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: '' });
  async function bad(inputs: Record<string, string>, message: RegExp, files: Record<string, string> = { 'a.log': 'a\n' }, prepare?: (ws: string) => void): Promise<void> {
    const ws = workspace(files);
    prepare?.(ws);
    const sub = `bad-${Math.random().toString(36).slice(2, 8)}`;
    const run = await runBundle('upload-logs', { path: 'logs', stores: store(sub), ...inputs }, { cwd: ws, env: pushEnv() });
    expect(run.code).toBe(1);
    expect(errors(run).join('\n')).toMatch(message);
    expect(await listKeys('old', bucket, `${sub}/`)).toEqual([]);
  }

  test('an unknown placeholder', () => bad({ prefix: '{repo}/{branch}' }, /input "prefix": unknown placeholder \{branch\} in "\{repo\}\/\{branch\}"; allowed: \{repo\}/));
  test('a template that yields ".."', () => bad({ prefix: '{repo}/{context}', context: '..' }, /input "prefix": prefix template "\{repo\}\/\{context\}" yields a "\.\." path segment/));
  test('a placeholder with no value on the event, alone in a segment', () =>
    bad({ prefix: '{repo}/{pr}' }, /^input "prefix": \{pr\} has no value on a push event, so "\{repo\}\/\{pr\}" cannot make a prefix that is the run's own\. \{pr\} is the pull request number, .*: use \{sha\} or \{run-id\}, or set prefix for this event$/));
  test('a placeholder with no value on the event, inside a segment (was "pull--4242/")', () =>
    bad({ prefix: 'pull-{pr}-{run-id}' }, /^input "prefix": \{pr\} has no value on a push event, so "pull-\{pr\}-\{run-id\}" cannot make a prefix/));
  test('{context} with no context input and no comment', () =>
    bad({ prefix: 'ci/{run-id}-{context}' }, /^input "prefix": \{context\} has no value on a push event, .*\{context\} is the context input, else the arguments of the triggering comment: set the context input/));
  test('a missing directory', () => bad({ path: 'nope' }, /input "path": ".*nope" does not exist; nothing was written \(set if-no-files: warn or ignore/));
  test('an empty directory', () => bad({}, /input "path": ".*logs" holds no file to upload/, {}, (ws) => fs.mkdirSync(path.join(ws, 'logs'))));
  test('a symbolic link that leaves the directory', () =>
    bad({}, /input "path": "leak.log" is a symbolic link to "\/etc\/passwd", outside the directory; nothing was uploaded/, { 'a.log': 'a\n' }, (ws) => fs.symlinkSync('/etc/passwd', path.join(ws, 'logs', 'leak.log'))));

  test('a missing directory with if-no-files: warn succeeds, writes nothing and says so', async () => {
    const ws = workspace({});
    const run = await runBundle('upload-logs', { path: 'nope', stores: store('warn'), 'if-no-files': 'warn' }, { cwd: ws, env: pushEnv() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/::warning::".*nope" does not exist; nothing was uploaded/);
    expect(run.outputs).toMatchObject({ files: '0', failed: '0', url: '' });
  });

  test('a prefix that already holds another run\'s logs', async () => {
    const ws = workspace({ 'a.log': 'a\n' });
    const inputs = { path: 'logs', stores: store('taken'), prefix: 'fixed' };
    expect((await runBundle('upload-logs', inputs, { cwd: ws, env: pushEnv() })).code).toBe(0);
    const again = await runBundle('upload-logs', inputs, { cwd: ws, env: pushEnv() });
    expect(again.code).toBe(1);
    expect(errors(again).join('\n')).toMatch(/"fixed\/" already holds objects \("fixed\/a.log"\), another run's logs; nothing was written/);
  });
});

test('a dry run checks the stores and plans, writing nothing and linking nothing', async () => {
  const ws = workspace({ 'a.log': 'a\n', 'b/c.txt': 'c\n' });
  const before = gh.requests.length;
  const run = await runBundle('upload-logs', { ...baseInputs('dry'), 'dry-run': 'true' }, { cwd: ws, env: env(commentEvent('maintainer', '/image-refresh fedora-43')) });
  expect(errors(run)).toEqual([]);
  expect(run.outputs).toMatchObject({ files: '2', bytes: '0', failed: '0' });
  expect(run.summary).toContain('Dry run, nothing written.');
  expect(await listKeys('old', bucket, 'dry/')).toEqual([]);
  expect(gh.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
});

test('private logs: written with a private ACL, checked anonymously, link through a proxy', async () => {
  const ws = workspace({ 'secret-ish.log': 'internal\n' });
  const run = await runBundle(
    'upload-logs',
    { path: 'logs', stores: store('private'), visibility: 'private', prefix: 'run-{run-id}', 'proxy-url': 'https://logs-proxy.example/' },
    { cwd: ws, env: env('', { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: '' }) },
  );
  expect(errors(run)).toEqual([]);
  // The proxy serves the bucket: the link is PROXY/KEY.
  expect(run.outputs.url).toBe(`https://logs-proxy.example/private/run-4242/index.html`);
  expect((await get(`${rgw('old').endpoint}/${bucket}/private/run-4242/index.html`)).status).toBe(403);
  expect((await get(`${rgw('old').endpoint}/${bucket}/private/run-4242/secret-ish.log`)).status).toBe(403);
  expect(JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8')).stores[0].samples.map((s: { access: string }) => s.access)).toEqual(['denied', 'denied']);
});

describe('private logs and a bucket policy that lets anyone read *.log under the prefix', () => {
  let policed: string;
  const pushEnv = () => env('', { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: '' });
  const storeIn = (sub: string) => `${rgw('old').endpoint}/${policed}/${sub} credentials=env:OLD`;
  beforeAll(async () => {
    policed = await makeBucket('old', 'logs-policy');
    await client('old').send(
      new PutBucketPolicyCommand({
        Bucket: policed,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'PublicLogs', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${policed}/ci/*.log` }],
        }),
      }),
    );
  });

  test('a private upload is refused before anything is written, naming the statement and journal.log', async () => {
    // journal.log is not among the first files: checking a few objects after writing would miss it.
    const ws = workspace({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'journal.log': 'private journal\n', 'report.json': '{}\n', 'sub/notes.txt': 'n\n' });
    const run = await runBundle('upload-logs', { path: 'logs', stores: storeIn('ci'), visibility: 'private', prefix: 'run-{run-id}' }, { cwd: ws, env: pushEnv() });
    expect(run.code).toBe(1);
    expect(errors(run)).toEqual([
      expect.stringMatching(/^input "stores": .*the bucket policy \(statement "PublicLogs"\) lets anyone read "ci\/run-4242\/journal\.log"; private logs would be public\. Nothing was written$/),
    ]);
    expect(await listKeys('old', policed)).toEqual([]);
    expect(await anonymousStatus('old', policed, 'ci/run-4242/journal.log')).not.toBe(200);
  });

  test('where the policy reaches nothing, a private upload goes through and every folder and extension written is checked', async () => {
    const files = { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'sub/journal.log': 'j\n', 'sub/deeper/report.json': '{}\n', 'sub/deeper/more.json': '{}\n', 'x/Makefile': 'all:\n' };
    const ws = workspace(files);
    const run = await runBundle('upload-logs', { path: 'logs', stores: storeIn('elsewhere'), visibility: 'private', prefix: 'run-{run-id}' }, { cwd: ws, env: pushEnv() });
    expect(errors(run)).toEqual([]);
    const samples = JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8')).stores[0].samples as { key: string; access: string }[];
    expect(samples.every((x) => x.access === 'denied')).toBe(true);
    const probed = samples.map((x) => x.key);
    expect(probed[0]).toBe('run-4242/index.html');
    const folderOf = (k: string) => k.slice(0, k.lastIndexOf('/'));
    const extOf = (k: string) => /\.[^./]*$/.exec(k)?.[0] ?? '';
    for (const rel of Object.keys(files)) {
      const key = `run-4242/${rel}`;
      expect([rel, probed.some((p) => folderOf(p) === folderOf(key))]).toEqual([rel, true]);
      expect([rel, probed.some((p) => extOf(p) === extOf(key))]).toEqual([rel, true]);
    }
    expect(probed.length).toBeLessThan(Object.keys(files).length + 1);
    for (const rel of Object.keys(files)) expect([rel, await anonymousStatus('old', policed, `elsewhere/run-4242/${rel}`)]).toEqual([rel, 403]);
  });
});

test('outside GitHub Actions the default prefix has no value for {repo} and the rest: a clear error, nothing written', async () => {
  const ws = workspace({ 'cli.log': 'from the command line\n' });
  let stderr = '';
  try {
    execFileSync(NODE24, [path.join(REPO, 'dist/cli/index.js'), 'upload-logs', '--path', 'logs', '--stores', store('cli-default')], {
      cwd: ws,
      env: { PATH: process.env.PATH, ...credentialEnv(['old']) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    stderr = (e as { stderr: string }).stderr;
  }
  expect(stderr).toMatch(
    /input "prefix": \{repo\}, \{short-sha\}, \{run-id\}, \{run-attempt\}, \{job\} have no value outside a workflow run \(GITHUB_EVENT_NAME is not set\), so "\{repo\}\/\{timestamp\}-\{short-sha\}-\{run-id\}-\{run-attempt\}-\{job\}" cannot make a prefix/,
  );
  expect(await listKeys('old', bucket, 'cli-default/')).toEqual([]);
});

test('the CLI runs the same operation outside GitHub Actions', () => {
  const ws = workspace({ 'cli.log': 'from the command line\n' });
  const out = execFileSync(NODE24, [path.join(REPO, 'dist/cli/index.js'), 'upload-logs', '--path', 'logs', '--stores', store('cli'), '--prefix', 'local/{timestamp}'], {
    cwd: ws,
    env: { PATH: process.env.PATH, ...credentialEnv(['old']) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(out).toMatch(/^files=1$/m);
  expect(out).toMatch(new RegExp(`^url=${rgw('old').endpoint}/${bucket}/cli/local/\\d{8}-\\d{6}/index.html$`, 'm'));
});

describe('hidden files and folders (.git/config, .env, .hidden/x.log) next to the logs', () => {
  const HIDDEN = { '.git/config': '[remote "origin"]\n\turl = https://x-access-token:ghs_x@github.com/o/r\n', '.env': 'API_TOKEN=not-for-the-world\n', '.hidden/x.log': 'hidden log\n' };
  const LOGS = { 'a.log': 'a\n', 'sub/b.log': 'b\n' };
  const pushEnv = () => env('', { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: '' });
  const run = (sub: string, inputs: Record<string, string> = {}) => runBundle('upload-logs', { path: 'logs', stores: store(sub), prefix: 'run-{run-id}', ...inputs }, { cwd: workspace({ ...HIDDEN, ...LOGS }), env: pushEnv() });

  test('by default none of them is uploaded (the bucket holds the logs and the index only), and the log, summary, outputs and report say which were left out', async () => {
    const r = await run('hidden-default');
    expect(errors(r)).toEqual([]);
    expect(await listKeys('old', bucket, 'hidden-default/')).toEqual(['hidden-default/run-4242/a.log', 'hidden-default/run-4242/index.html', 'hidden-default/run-4242/sub/b.log']);
    expect(r.outputs).toMatchObject({ result: 'uploaded', files: '2', hidden: '3', skipped: '0', failed: '0' });
    // One info line, not an annotation: leaving .git/ out is what a logs upload should do.
    expect(r.stdout).toMatch(/^left out 3 hidden path\(s\) \(\.env, \.git\/, \.hidden\/\): names starting with "\." \(\.git\/, \.env\) often hold credentials; set include-hidden-files: true to publish them$/m);
    expect(r.stdout).not.toMatch(/::warning::/);
    expect(r.summary).toContain('3 hidden path(s) left out (set include-hidden-files: true to publish them)');
    expect(JSON.parse(fs.readFileSync(r.outputs.report!, 'utf8')).hidden).toEqual(['.env', '.git/', '.hidden/']);
    expect(visibleText(r)).not.toContain('not-for-the-world');
  });

  test('include-hidden-files: true uploads them', async () => {
    const r = await run('hidden-included', { 'include-hidden-files': 'true' });
    expect(errors(r)).toEqual([]);
    expect(await listKeys('old', bucket, 'hidden-included/')).toEqual(
      ['.env', '.git/config', '.hidden/x.log', 'a.log', 'index.html', 'sub/b.log'].map((k) => `hidden-included/run-4242/${k}`),
    );
    expect(r.outputs).toMatchObject({ files: '5', hidden: '0' });
    expect(r.stdout).not.toMatch(/hidden path/);
  });

  test('an include glob naming a hidden folder still needs include-hidden-files: a warning that says so, and nothing of it uploaded', async () => {
    const r = await run('hidden-asked', { include: 'a.log\n.hidden/**' });
    expect(errors(r)).toEqual([]);
    expect(r.stdout).toMatch(/::warning::include names hidden paths \("\.hidden\/\*\*"\), but include-hidden-files is false: left out 2 hidden path\(s\) \(\.git\/, \.hidden\/\)/);
    expect(await listKeys('old', bucket, 'hidden-asked/')).toEqual(['hidden-asked/run-4242/a.log', 'hidden-asked/run-4242/index.html']);
  });

  test('a directory holding only hidden files fails as empty, saying why', async () => {
    const r = await runBundle('upload-logs', { path: 'logs', stores: store('hidden-only'), prefix: 'run-{run-id}' }, { cwd: workspace(HIDDEN), env: pushEnv() });
    expect(r.code).toBe(1);
    expect(errors(r)).toEqual([
      expect.stringMatching(/^input "path": ".*logs" holds no file to upload \(3 hidden path\(s\) \(\.env, \.git\/, \.hidden\/\) left out: set include-hidden-files: true to publish them\); nothing was written/),
    ]);
    expect(await listKeys('old', bucket, 'hidden-only/')).toEqual([]);
  });

  test('a dry run lists the same exclusions and writes nothing', async () => {
    const r = await run('hidden-dry', { 'dry-run': 'true' });
    expect(errors(r)).toEqual([]);
    expect(r.outputs).toMatchObject({ result: 'dry-run', files: '2', hidden: '3' });
    expect(r.stdout).toMatch(/^left out 3 hidden path\(s\) \(\.env, \.git\/, \.hidden\/\)/m);
    expect(r.stdout).toMatch(/^run-4242\/a\.log: 2 bytes/m);
    expect(r.stdout).not.toMatch(/^run-4242\/\./m);
    expect(await listKeys('old', bucket, 'hidden-dry/')).toEqual([]);
  });
});

describe('a pull request from a fork: no credentials for any store', () => {
  /** A pull_request event file; a fork's run gets every secret as the empty string. */
  function pullEvent(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'event-'));
    scratch.push(dir);
    const file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify({ action: 'synchronize', number: PR, pull_request: { number: PR, head: { sha: HEAD, repo: { full_name: 'someone/bots' } } }, repository: { full_name: REPOSITORY } }));
    return file;
  }
  const forkEnv = (over: NodeJS.ProcessEnv = {}) => env('', { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: pullEvent(), OLD_ACCESS_KEY_ID: '', OLD_SECRET_ACCESS_KEY: '', ...over });
  const inputs = (sub: string, over: Record<string, string> = {}) => ({ path: 'logs', stores: store(sub), prefix: 'pull-{pr}-{run-id}', 'if-no-credentials': 'ignore', ...over });
  const logs = () => workspace({ 'a.log': 'a\n' });

  test('if-no-credentials: ignore ends with a notice and a no-credentials result, writing nothing', async () => {
    const r = await runBundle('upload-logs', inputs('fork-ignore'), { cwd: logs(), env: forkEnv() });
    expect(r.code).toBe(0);
    expect(errors(r)).toEqual([]);
    expect(r.stdout).toMatch(
      /^::notice::no store has credentials \(.*: credentials=env:OLD: OLD_ACCESS_KEY_ID and OLD_SECRET_ACCESS_KEY are empty or unset\), as in a pull request from a fork, which gets no secrets; nothing was uploaded \(if-no-credentials: ignore\)$/m,
    );
    expect(r.outputs).toMatchObject({ result: 'no-credentials', prefix: 'pull-7-4242/', url: '', files: '0', failed: '0' });
    expect(r.summary).toContain('Logs not published: no store has credentials');
    expect(await listKeys('old', bucket, 'fork-ignore/')).toEqual([]);
  });

  test('if-no-credentials: warn says it with a warning', async () => {
    const r = await runBundle('upload-logs', inputs('fork-warn', { 'if-no-credentials': 'warn' }), { cwd: logs(), env: forkEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^::warning::no store has credentials /m);
    expect(r.outputs.result).toBe('no-credentials');
  });

  test('the default chain finding nothing at all counts as none', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'no-aws-'));
    scratch.push(home);
    const r = await runBundle('upload-logs', inputs('fork-default', { stores: `${rgw('old').endpoint}/${bucket}/fork-default` }), {
      cwd: logs(),
      env: forkEnv({ HOME: home, AWS_CONFIG_FILE: path.join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials'), AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }),
    });
    expect(errors(r)).toEqual([]);
    expect(r.stdout).toMatch(/^::notice::no store has credentials \(.*credentials=default: the AWS SDK found no credential/m);
    expect(r.outputs.result).toBe('no-credentials');
    expect(await listKeys('old', bucket, 'fork-default/')).toEqual([]);
  });

  test('by default (error) it fails, and the message says how to skip instead', async () => {
    const r = await runBundle('upload-logs', inputs('fork-error', { 'if-no-credentials': '' }), { cwd: logs(), env: forkEnv() });
    expect(r.code).toBe(1);
    expect(errors(r)).toEqual([
      'credentials=env:OLD needs OLD_ACCESS_KEY_ID and OLD_SECRET_ACCESS_KEY in the environment (set them from secrets in the step\'s env:), but they are empty or unset. A run that gets no secrets (a pull request from a fork) can skip instead: set if-no-credentials: warn or ignore',
    ]);
    expect(await listKeys('old', bucket, 'fork-error/')).toEqual([]);
  });

  test('a credential that is there but wrong still fails, as does an incomplete one, and one store of two without any', async () => {
    const wrong = await runBundle('upload-logs', inputs('fork-wrong'), { cwd: logs(), env: forkEnv({ OLD_ACCESS_KEY_ID: rgw('old').accessKey, OLD_SECRET_ACCESS_KEY: 'not-the-secret-key' }) });
    expect(wrong.code).toBe(1);
    expect(errors(wrong)).toEqual([expect.stringMatching(/^input "stores": .*fork-wrong: HeadBucket .*HTTP 403\): the credentials were refused/)]);
    const half = await runBundle('upload-logs', inputs('fork-half'), { cwd: logs(), env: forkEnv({ OLD_ACCESS_KEY_ID: rgw('old').accessKey }) });
    expect(half.code).toBe(1);
    expect(errors(half)).toEqual([expect.stringMatching(/^credentials=env:OLD needs OLD_SECRET_ACCESS_KEY in the environment/)]);
    const one = await runBundle('upload-logs', inputs('fork-one', { stores: `${store('fork-one')}\n${rgw('old').endpoint}/${bucket}/fork-one-b credentials=env:OTHER` }), {
      cwd: logs(),
      env: forkEnv(credentialEnv(['old'])),
    });
    expect(one.code).toBe(1);
    expect(errors(one)).toEqual([expect.stringMatching(/^credentials=env:OTHER needs OTHER_ACCESS_KEY_ID and OTHER_SECRET_ACCESS_KEY/)]);
    // Skipping would not have happened here either, so the error does not suggest it.
    const oneByDefault = await runBundle('upload-logs', { ...inputs('fork-one', { stores: `${store('fork-one')}\n${rgw('old').endpoint}/${bucket}/fork-one-b credentials=env:OTHER` }), 'if-no-credentials': '' }, {
      cwd: logs(),
      env: forkEnv(credentialEnv(['old'])),
    });
    expect(errors(oneByDefault)).toEqual([expect.stringMatching(/^credentials=env:OTHER needs OTHER_ACCESS_KEY_ID and OTHER_SECRET_ACCESS_KEY in the environment \(set them from secrets in the step's env:\), but they are empty or unset$/)]);
    for (const sub of ['fork-wrong/', 'fork-half/', 'fork-one/', 'fork-one-b/']) expect(await listKeys('old', bucket, sub)).toEqual([]);
  });
});
