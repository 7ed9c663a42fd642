/**
 * Every request through HTTPS_PROXY / HTTP_PROXY, and NO_PROXY honoured, against the clusters'
 * TLS endpoints under the name `s3.test`, through a local CONNECT proxy (helpers/connect-proxy.ts).
 *
 * This process does NOT install the resolver hook of helpers/test-hosts.ts (but in the NO_PROXY
 * test, which needs a direct connection to succeed): `s3.test`, `api.github.test` and
 * `results.test` resolve only inside the proxy, so a request that bypassed it fails.
 *
 * The bundle runs at the end run `dist/`: they need the bundles rebuilt with the proxy support.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { uploadImage } from '../../src/actions/upload-image/main';
import { uploadLogs } from '../../src/actions/upload-logs/main';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import type { ActionContext } from '../../src/runtime/run-action';
import { Summary } from '../../src/runtime/summary';
import { actionsCache } from '../../src/runtime/actions-cache';
import type { Wire } from '../../src/s3/client';
import { probeAnonymous } from '../../src/storage/anonymous';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { errors, runBundle, type BundleRun } from '../helpers/bundle';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github';
import { quietHost } from '../helpers/quiet-host';
import { client, credentialEnv, dropBucket, githubEnv, listKeys, newBucket, openUploads, rgw } from '../helpers/rgw';
import { describeStoreContract, readObject } from '../helpers/store-contract';
import { resolveTestHosts } from '../helpers/test-hosts';

const USER = 'ci-proxy';
const PASSWORD = 'pr0xy-pa$$w/rd';
const PASSWORD_FORMS = [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];
/** What a run shows (the `::add-mask::` commands are how a value reaches the runner's masker, consumed, never shown). */
const shown = (r: BundleRun) => [r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), r.stderr, r.summary, JSON.stringify(r.outputs)].join('\n');
const withPassword = (p: ConnectProxy) => `http://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${p.port}`;

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const saved = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
function setProxyEnv(vars: Record<string, string | undefined>): void {
  for (const k of PROXY_VARS) delete process.env[k];
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) process.env[k] = v;
}

let proxy: ConnectProxy;
const buckets: { id: 'old' | 'new'; bucket: string }[] = [];
const stores: S3Store[] = [];
beforeAll(async () => {
  proxy = await startConnectProxy();
  setProxyEnv({ HTTPS_PROXY: withPassword(proxy), HTTP_PROXY: withPassword(proxy) });
});
afterAll(async () => {
  stores.forEach((s) => s.close());
  setProxyEnv(saved);
  await proxy.close();
  for (const { id, bucket } of buckets) await dropBucket(id, bucket);
});

async function bucketOn(id: 'old' | 'new', stem: string): Promise<string> {
  const bucket = await newBucket(id, stem);
  buckets.push({ id, bucket });
  return bucket;
}

/** The message of an error and of each of its causes. */
function causeTexts(e: unknown): string[] {
  const texts: string[] = [];
  for (let c = e as { message?: unknown; cause?: unknown } | undefined, depth = 0; c && depth < 6; c = c.cause as typeof c, depth++) texts.push(String(c.message));
  return texts;
}

/** A cluster's HTTPS endpoint under the name only the proxy resolves. */
const viaName = (id: 'old' | 'new') => `https://s3.test:${rgw(id).tlsPort}`;

function open(id: 'old' | 'new', bucket: string, wire: Wire): S3Store {
  const e = rgw(id);
  const line = `${viaName(id)}/${bucket}/p${randomBytes(3).toString('hex')}/ ca=${e.caFile}`;
  const spec = parseStoreSpec(line, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  const s = new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: e.secretKey }, { concurrency: 8, wire });
  stores.push(s);
  return s;
}

for (const wire of ['lean', 'sdk'] as const) {
  describeStoreContract(`S3 on Ceph RGW over HTTPS through a CONNECT proxy, ${wire} wire`, async () => open('old', await bucketOn('old', `proxy-${wire}`), wire));
}

test('the contract went through the proxy only, as tunnels: no key, signature or body in clear, the proxy password sent to the proxy alone', () => {
  const tls = `s3.test:${rgw('old').tlsPort}`;
  expect(proxy.carried).toContain(tls);
  expect(new Set(proxy.carried)).toEqual(new Set([tls]));
  const seen = proxy.received().toString('latin1');
  for (const secret of [rgw('old').secretKey, rgw('old').accessKey, 'AWS4-HMAC-SHA256', 'x-amz-content-sha256']) expect(seen).not.toContain(secret);
  expect(new Set(proxy.authorizations)).toEqual(new Set([`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`]));
});

test('the anonymous probe goes through the proxy too, with the store`s CA on the origin', async () => {
  const s = open('old', await bucketOn('old', 'proxy-anon'), 'lean');
  const body = Buffer.from('public');
  await s.put('pub.txt', body, createHash('sha256').update(body).digest(), { visibility: 'public' });
  await s.put('priv.txt', body, createHash('sha256').update(body).digest(), { visibility: 'private' });
  const before = proxy.carried.length;
  expect(await probeAnonymous(s.anonymousAddress('pub.txt'))).toMatchObject({ access: 'readable', status: 200 });
  expect(await probeAnonymous(s.anonymousAddress('priv.txt'))).toMatchObject({ access: 'denied', status: 403 });
  expect(proxy.carried.length).toBeGreaterThan(before);
  expect(new Set(proxy.carried.slice(before))).toEqual(new Set([`s3.test:${rgw('old').tlsPort}`]));
});

test('NO_PROXY: a host it names is reached directly (resolved here), others still through the proxy', async () => {
  const bucket = await bucketOn('old', 'proxy-direct');
  const before = proxy.carried.length;
  const hosts = resolveTestHosts();
  try {
    for (const noProxy of ['s3.test', '.test', `s3.test:${rgw('old').tlsPort}`, '*']) {
      setProxyEnv({ HTTPS_PROXY: withPassword(proxy), NO_PROXY: noProxy });
      const s = open('old', bucket, 'lean');
      await s.preflight();
      await s.put('direct.txt', Buffer.from(noProxy), createHash('sha256').update(noProxy).digest(), { visibility: 'private' });
      expect((await readObject(s, 'direct.txt')).toString()).toBe(noProxy);
      s.close();
    }
    expect(hosts.lookups).toContain('s3.test');
    expect(proxy.carried.length).toBe(before);
    // A NO_PROXY for another port or another domain leaves the store behind the proxy.
    for (const noProxy of [`s3.test:${rgw('old').tlsPort + 100}`, '.s3.test', 'example.test']) {
      setProxyEnv({ HTTPS_PROXY: withPassword(proxy), no_proxy: noProxy });
      const s = open('old', bucket, 'sdk');
      await s.preflight();
      s.close();
      expect(proxy.carried.length).toBeGreaterThan(before);
    }
  } finally {
    hosts.uninstall();
    setProxyEnv({ HTTPS_PROXY: withPassword(proxy), HTTP_PROXY: withPassword(proxy) });
  }
});

test('a request that bypasses the proxy fails here: with NO_PROXY naming the store and no resolver hook, s3.test does not resolve', async () => {
  const bucket = await bucketOn('old', 'proxy-bypass');
  setProxyEnv({ HTTPS_PROXY: withPassword(proxy), NO_PROXY: 's3.test' });
  try {
    const s = open('old', bucket, 'lean');
    const e = await s.preflight().then(() => undefined, (err: unknown) => err);
    s.close();
    expect(causeTexts(e).join('\n')).toMatch(/getaddrinfo ENOTFOUND s3\.test/);
  } finally {
    setProxyEnv({ HTTPS_PROXY: withPassword(proxy), HTTP_PROXY: withPassword(proxy) });
  }
});

describe('a proxy that refuses CONNECT', () => {
  let refusing: ConnectProxy;
  let ws: string;
  let oldBucket: string;
  let newBucketName: string;
  beforeAll(async () => {
    refusing = await startConnectProxy({ refuse: 403 });
    oldBucket = await bucketOn('old', 'proxy-refused');
    newBucketName = await bucketOn('new', 'proxy-refused');
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-'));
    fs.writeFileSync(path.join(ws, 'fedora-42.qcow2'), 'fedora');
  });
  afterAll(async () => {
    setProxyEnv({ HTTPS_PROXY: withPassword(proxy), HTTP_PROXY: withPassword(proxy) });
    await refusing.close();
  });

  test('upload-image fails in preflight naming each store and the proxy host, never its password; nothing written', async () => {
    setProxyEnv({ HTTPS_PROXY: withPassword(refusing) });
    const stores = [`${viaName('old')}/${oldBucket}/in credentials=env:OLD name=old ca=${rgw('old').caFile}`, `${viaName('new')}/${newBucketName}/in credentials=env:NEW name=new ca=${rgw('new').caFile}`];
    const ctx: ActionContext = { host: quietHost({ files: 'fedora-42.qcow2', stores: stores.join('\n') }, { env: credentialEnv(), cwd: ws }), summary: new Summary('test'), onInterrupt: () => () => undefined };
    const e = await uploadImage(ctx).then(() => undefined, (err: unknown) => err as Error);
    expect(e?.constructor.name).toBe('ConfigurationError');
    const refused = (id: 'old' | 'new', bucket: string) =>
      `${id}: HeadBucket s3://${bucket} at https://s3.test:${rgw(id).tlsPort}: the proxy http://127.0.0.1:${refusing.port} refused the tunnel to s3.test:${rgw(id).tlsPort}: HTTP 403 Forbidden; check HTTPS_PROXY, HTTP_PROXY and NO_PROXY`;
    expect(e?.message).toBe(`input "stores": ${refused('old', oldBucket)}; ${refused('new', newBucketName)}. Nothing was written.`);
    for (const form of PASSWORD_FORMS) expect(String(e?.stack) + JSON.stringify(e)).not.toContain(form);
    expect(refusing.carried).toEqual(expect.arrayContaining([`s3.test:${rgw('old').tlsPort}`, `s3.test:${rgw('new').tlsPort}`]));
    expect(await listKeys('old', oldBucket)).toEqual([]);
    expect(await listKeys('new', newBucketName)).toEqual([]);
    expect(await openUploads('old', oldBucket)).toEqual([]);
    expect(await openUploads('new', newBucketName)).toEqual([]);
  });
});

describe('the GitHub API and the Actions cache go through the proxy (@actions/http-client does it)', () => {
  let gh: FakeGitHub;
  let results: http.Server;
  const cacheCalls: string[] = [];
  let saveEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    saveEnv = { ...process.env };
    gh = await startFakeGitHub('gh-token');
    results = http.createServer((req, res) => {
      cacheCalls.push(`${req.headers.host} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, signed_download_url: '', matched_key: '' }));
    });
    await new Promise<void>((r) => results.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    process.env = saveEnv;
    await gh.close();
    await new Promise((r) => results.close(r));
  });

  test('the GitHub API at a name only the proxy resolves answers through HTTP_PROXY (upload-logs bundle, a loopback store: loopback is always direct)', async () => {
    // Octokit is ESM, which jest's module system cannot load: the API is driven through the bundle.
    // This run needs no rebuilt dist/: the API client's proxy support is @actions/github's own.
    const bucket = await bucketOn('old', 'proxy-gh');
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-gh-'));
    fs.mkdirSync(path.join(ws, 'logs'));
    fs.writeFileSync(path.join(ws, 'logs', 'test.log'), 'ok\n');
    const before = proxy.carried.length;
    const r = await runBundle(
      'upload-logs',
      { path: 'logs', stores: `${rgw('old').endpoint}/${bucket}/logs credentials=env:OLD`, prefix: 'ci/{run-id}', 'github-token': 'gh-token', 'status-context': 'logs' },
      { cwd: ws, env: { ...credentialEnv(['old']), HTTPS_PROXY: withPassword(proxy), HTTP_PROXY: withPassword(proxy), ...githubEnv({ GITHUB_API_URL: gh.url.replace('127.0.0.1', 'api.github.test'), GITHUB_RUN_ID: '87', GITHUB_JOB: 'gh' }) } },
    );
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(gh.statuses).toHaveLength(1);
    expect(proxy.carried.slice(before)).toEqual([`api.github.test:${new URL(gh.url).port}`]);
    expect(r.stdout).toContain(`::add-mask::${PASSWORD}`);
    for (const form of PASSWORD_FORMS) expect(shown(r)).not.toContain(form);
  });

  test('the Actions cache service at a name only the proxy resolves is asked through HTTP_PROXY', async () => {
    const port = (results.address() as { port: number }).port;
    const env = { ...process.env, ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `http://results.test:${port}/`, ACTIONS_RUNTIME_TOKEN: 'runtime-token' };
    Object.assign(process.env, env);
    const before = proxy.carried.length;
    const { cache, reason } = await actionsCache(quietHost({}, { env, cwd: os.tmpdir() }));
    expect(reason).toBeUndefined();
    expect(await cache!.restore(path.join(os.tmpdir(), 'manifest'), 'mirror-')).toBeUndefined();
    expect(cacheCalls.some((c) => c.startsWith(`results.test:${port} /twirp/`))).toBe(true);
    expect(proxy.carried.slice(before)).toContain(`results.test:${port}`);
  });
});

describe('the actions in process through the proxy (the same runs as the bundle runs below, on the source)', () => {
  let ws: string;
  beforeAll(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-main-'));
    fs.writeFileSync(path.join(ws, 'fedora-42.qcow2'), randomBytes(64 * 1024));
    fs.mkdirSync(path.join(ws, 'logs'));
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(ws, 'logs', `t${i}.log`), `line ${i}\n`);
  });
  const line = (id: 'old' | 'new', bucket: string, sub: string) => `${viaName(id)}/${bucket}/${sub} credentials=env:${id.toUpperCase()} name=${id} ca=${rgw(id).caFile}`;
  const run = (main: (ctx: ActionContext) => Promise<void>, inputs: Record<string, string>) =>
    main({ host: quietHost(inputs, { env: { ...credentialEnv(), ...githubEnv({ GITHUB_RUN_ID: '86', GITHUB_JOB: 'proxy' }) }, cwd: ws }), summary: new Summary('test'), onInterrupt: () => () => undefined });

  test('upload-image dual-write, upload-logs and mirror-bucket', async () => {
    const [o, n] = [await bucketOn('old', 'proxy-main'), await bucketOn('new', 'proxy-main')];
    const before = proxy.carried.length;
    await run(uploadImage, { files: 'fedora-42.qcow2', stores: `${line('old', o, 'img')}\n${line('new', n, 'img')}` });
    await run(uploadLogs, { path: 'logs', stores: line('old', o, 'logs'), prefix: 'ci/{run-id}' });
    await run(mirrorBucket, { source: line('old', o, 'logs'), destination: line('new', n, 'copy') });
    expect(await listKeys('old', o)).toEqual(expect.arrayContaining(['img/fedora-42.qcow2', 'logs/ci/86/t0.log']));
    expect((await listKeys('new', n)).filter((k) => k.endsWith('.log'))).toHaveLength(20);
    expect(await listKeys('new', n)).toContain('img/fedora-42.qcow2');
    expect(new Set(proxy.carried.slice(before))).toEqual(new Set([`s3.test:${rgw('old').tlsPort}`, `s3.test:${rgw('new').tlsPort}`]));
  });
});

describe('the bundles with HTTPS_PROXY set (need dist/ rebuilt with the proxy support)', () => {
  let gh: FakeGitHub;
  let ws: string;
  let runs: BundleRun[] = [];
  beforeAll(async () => {
    gh = await startFakeGitHub('gh-token');
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-bundle-'));
    fs.writeFileSync(path.join(ws, 'fedora-42.qcow2'), randomBytes(64 * 1024));
    fs.mkdirSync(path.join(ws, 'logs'));
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(ws, 'logs', `t${i}.log`), `line ${i}\n`);
  });
  afterAll(async () => {
    await gh.close();
    // The proxy password is in no log, output or summary of any run.
    for (const r of runs) {
      expect(r.stdout).toContain(`::add-mask::${PASSWORD}`);
      for (const form of PASSWORD_FORMS) expect(shown(r)).not.toContain(form);
    }
    runs = [];
  });
  const env = (): NodeJS.ProcessEnv => ({
    ...credentialEnv(),
    HTTPS_PROXY: withPassword(proxy),
    HTTP_PROXY: withPassword(proxy),
    ...githubEnv({ GITHUB_API_URL: gh.url.replace('127.0.0.1', 'api.github.test'), GITHUB_RUN_ID: '88', GITHUB_JOB: 'proxy' }),
  });
  const store = (id: 'old' | 'new', bucket: string, sub: string) => `${viaName(id)}/${bucket}/${sub} credentials=env:${id.toUpperCase()} name=${id} ca=${rgw(id).caFile}`;
  const run = async (action: string, inputs: Record<string, string>) => {
    const r = await runBundle(action, inputs, { env: env(), cwd: ws });
    runs.push(r);
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    return r;
  };

  test('upload-image writes both stores, each through the proxy', async () => {
    const [o, n] = [await bucketOn('old', 'proxy-img'), await bucketOn('new', 'proxy-img')];
    const before = proxy.carried.length;
    await run('upload-image', { files: 'fedora-42.qcow2', stores: `${store('old', o, 'img')}\n${store('new', n, 'img')}` });
    expect(await listKeys('old', o)).toEqual(['img/fedora-42.qcow2']);
    expect(await listKeys('new', n)).toEqual(['img/fedora-42.qcow2']);
    expect(new Set(proxy.carried.slice(before))).toEqual(new Set([`s3.test:${rgw('old').tlsPort}`, `s3.test:${rgw('new').tlsPort}`]));
  });

  test('upload-logs writes the logs and sets the commit status, both through the proxy', async () => {
    const b = await bucketOn('old', 'proxy-logs');
    const before = proxy.carried.length;
    await run('upload-logs', { path: 'logs', stores: store('old', b, 'logs'), prefix: 'ci/{run-id}', 'github-token': 'gh-token', 'status-context': 'logs' });
    expect((await listKeys('old', b)).filter((k) => k.endsWith('.log'))).toHaveLength(20);
    expect(gh.statuses).toHaveLength(1);
    expect(new Set(proxy.carried.slice(before))).toEqual(new Set([`s3.test:${rgw('old').tlsPort}`, `api.github.test:${new URL(gh.url).port}`]));
  });

  test('mirror-bucket copies from one cluster to the other through the proxy', async () => {
    const [src, dst] = [await bucketOn('old', 'proxy-src'), await bucketOn('new', 'proxy-dst')];
    for (let i = 0; i < 5; i++) await client('old').send(new PutObjectCommand({ Bucket: src, Key: `from/k${i}`, Body: `v${i}` }));
    const before = proxy.carried.length;
    await run('mirror-bucket', { source: store('old', src, 'from'), destination: store('new', dst, 'copy') });
    expect(await listKeys('new', dst)).toEqual(['copy/k0', 'copy/k1', 'copy/k2', 'copy/k3', 'copy/k4']);
    expect(new Set(proxy.carried.slice(before))).toEqual(new Set([`s3.test:${rgw('old').tlsPort}`, `s3.test:${rgw('new').tlsPort}`]));
  });
});
