/**
 * The actions' bundles over HTTPS against the clusters' TLS endpoints, as a runner runs them, with
 * the store URLs of real providers: the Linode form (`https://BUCKET.us-east-1.linodeobjects.com`,
 * path-style on the wire) and the AWS form (`https://BUCKET.s3.us-east-1.amazonaws.com`,
 * virtual-hosted on the wire), at the clusters' TLS ports. The names resolve to 127.0.0.1 inside
 * each bundle's process only, through a preload NODE_OPTIONS requires (helpers/test-hosts-preload.js),
 * which also fails any other name: nothing leaves loopback, and nothing is written to /etc/hosts.
 *
 * An upload-image dual-write (a rhel image kept private, checked by anonymous requests), an
 * upload-logs run and a mirror from one cluster to the other, each trusting the clusters' CAs through
 * `ca=` (on the lean wire) and through AWS_CA_BUNDLE (on the SDK wire); then each action with no CA and with the wrong CA: the run fails in
 * preflight with one error naming the store, the host and the problem, and nothing is written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { errors, runBundle, type BundleRun } from '../helpers/bundle';
import { anonymousStatus, credentialEnv, githubEnv, listKeys, openUploads, rgw, useBuckets, type ClusterId } from '../helpers/rgw';
import { testHostsEnv } from '../helpers/test-hosts';

const bucket = useBuckets();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-actions-'));
const lookupLog = path.join(scratch, 'lookups');

/** Store URLs in the forms users write, at a cluster's TLS port (both clusters' certificates hold both names). */
const linode = (id: ClusterId, b: string, prefix: string) => `https://${b}.us-east-1.linodeobjects.com:${rgw(id).tlsPort}/${prefix}`;
const aws = (id: ClusterId, b: string, prefix: string) => `https://${b}.s3.us-east-1.amazonaws.com:${rgw(id).tlsPort}/${prefix}`;

/** How a run trusts the clusters: `ca=` on each store, or one AWS_CA_BUNDLE holding both CAs. */
type Trust = 'ca=' | 'AWS_CA_BUNDLE';
/** Each way of trusting on one wire (CI_STORES_WIRE): the hand-signed path, and the SDK for every request. */
const TRUSTS: [Trust, 'lean' | 'sdk'][] = [
  ['ca=', 'lean'],
  ['AWS_CA_BUNDLE', 'sdk'],
];
let bothCas: string;
beforeAll(() => {
  bothCas = path.join(scratch, 'both-cas.pem');
  fs.writeFileSync(bothCas, `${fs.readFileSync(rgw('old').caFile, 'utf8')}\n${fs.readFileSync(rgw('new').caFile, 'utf8')}`);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A store line: the URL, its credentials and name, and `ca=` when the run trusts that way. */
const store = (url: string, id: ClusterId, name: string, trust: Trust) => `${url} credentials=env:${id.toUpperCase()} name=${name}${trust === 'ca=' ? ` ca=${rgw(id).caFile}` : ''}`;

/** Runs a bundle with the test names resolved in its process, the clusters' keys, and AWS_CA_BUNDLE when the run trusts that way. */
function run(action: string, inputs: Record<string, string>, cwd: string, trust: Trust | 'none', extraEnv: NodeJS.ProcessEnv = {}): Promise<BundleRun> {
  const env = { ...credentialEnv(), ...githubEnv(), ...testHostsEnv(lookupLog), ...(trust === 'AWS_CA_BUNDLE' ? { AWS_CA_BUNDLE: bothCas } : {}), ...extraEnv };
  return runBundle(action, inputs, { cwd, env });
}

function workspace(files: Record<string, Buffer | string>): string {
  const ws = fs.mkdtempSync(path.join(scratch, 'ws-'));
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, name)), { recursive: true });
    fs.writeFileSync(path.join(ws, name), body);
  }
  return ws;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(TRUSTS)('trusting the clusters through %s, %s wire', (trust, wire) => {
  const wireEnv = { CI_STORES_WIRE: wire };
  test('upload-image: a dual-write to a Linode-form and an AWS-form store; the rhel image is private on both, the other public', async () => {
    const b = await bucket.pair('tls-img');
    const rhel = randomBytes(6 * 1024 * 1024 + 17);
    const rhelName = `rhel-9-6-${sha256(rhel)}.qcow2`;
    const ws = workspace({ 'fedora-42.qcow2': randomBytes(300 * 1024), [rhelName]: rhel });
    const stores = `${store(linode('old', b.old, 'images'), 'old', 'old', trust)}\n${store(aws('new', b.new, 'images'), 'new', 'new', trust)}`;
    const r = await run('upload-image', { files: '*.qcow2', stores, 'visibility-rules': 'rhel* private\n* public', 'part-size': '5MiB' }, ws, trust, wireEnv);
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ uploaded: '4', failed: '0' });
    for (const id of ['old', 'new'] as const) {
      expect((await listKeys(id, b[id])).sort()).toEqual(['images/fedora-42.qcow2', `images/${rhelName}`]);
      expect(await anonymousStatus(id, b[id], 'images/fedora-42.qcow2')).toBe(200);
      expect(await anonymousStatus(id, b[id], `images/${rhelName}`)).toBe(403);
      expect(await openUploads(id, b[id])).toEqual([]);
    }
  });

  test('upload-logs: a tree of logs to a Linode-form store', async () => {
    const b = await bucket('old', 'tls-logs');
    const ws = workspace({ 'logs/test.log': 'ok\n', 'logs/sub/journal.txt': 'journal\n', 'logs/sub/screenshot.png': randomBytes(2048) });
    const r = await run('upload-logs', { path: 'logs', stores: store(linode('old', b, ''), 'old', 'logs', trust), prefix: 'ci/{run-id}', 'github-token': '' }, ws, trust, wireEnv);
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    const keys = await listKeys('old', b);
    expect(keys).toEqual(expect.arrayContaining(['ci/77/test.log', 'ci/77/sub/journal.txt', 'ci/77/sub/screenshot.png']));
    expect(r.outputs.url).toMatch(/^https:\/\//);
  });

  test('mirror-bucket: from a Linode-form store on one cluster to an AWS-form store on the other', async () => {
    const b = await bucket.pair('tls-mirror');
    // The source's objects, written by a first upload over HTTPS as well.
    const ws = workspace({ 'a/one.txt': 'one', 'a/two.txt': 'two', 'b/three.bin': randomBytes(4096) });
    const src = store(linode('old', b.old, 'src/'), 'old', 'src', trust);
    const put = await run('upload-logs', { path: '.', stores: src, prefix: 'tree', 'github-token': '' }, ws, trust, wireEnv);
    expect(errors(put)).toEqual([]);
    const source = (await listKeys('old', b.old)).filter((k) => k.startsWith('src/'));
    expect(source.length).toBeGreaterThanOrEqual(3);
    const r = await run('mirror-bucket', { source: src, destination: store(aws('new', b.new, 'dst/'), 'new', 'dst', trust), mode: 'sync' }, ws, trust, wireEnv);
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect((await listKeys('new', b.new)).sort()).toEqual(source.map((k) => k.replace(/^src\//, 'dst/')).sort());
  });
});

describe('a CA the run does not have stops each action in preflight: one error naming the store, the host and the problem; nothing written', () => {
  /**
   * How a store is given no CA or the wrong one (its `ca=` option, and the run's environment); the
   * other store of the run has the right one in `ca=`, which wins over AWS_CA_BUNDLE.
   */
  const BAD: [string, (id: ClusterId) => string, (id: ClusterId) => NodeJS.ProcessEnv][] = [
    ['no CA', () => '', () => ({})],
    ['the wrong CA in ca=', (id) => ` ca=${rgw(id).otherCaFile}`, () => ({})],
    ['the wrong CA in AWS_CA_BUNDLE', () => '', (id) => ({ AWS_CA_BUNDLE: rgw(id).otherCaFile })],
  ];
  const unknownCa = /the server's TLS certificate was refused: unknown CA: it is not signed by a CA this store trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\. Give the store the PEM bundle of its CA with the store option ca=PATH/;
  const good = (id: ClusterId, url: string, name: string) => store(url, id, name, 'ca=');
  const bad = (id: ClusterId, url: string, name: string, ca: string) => `${url} credentials=env:${id.toUpperCase()} name=${name}${ca}`;

  /** The one error the run shows, and that the buckets hold nothing (no object, no open upload). */
  async function expectRefused(r: BundleRun, message: RegExp, buckets: [ClusterId, string][], before: Record<string, string[]> = {}) {
    expect(r.code).toBe(1);
    const shown = errors(r);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(message);
    expect(shown[0]).toMatch(unknownCa);
    for (const [id, b] of buckets) {
      expect(await listKeys(id, b)).toEqual(before[b] ?? []);
      expect(await openUploads(id, b)).toEqual([]);
    }
  }

  test.each(BAD)('upload-image, %s on the AWS-form store', async (_label, ca, env) => {
    const b = await bucket.pair('tls-bad-img');
    const ws = workspace({ 'fedora-42.qcow2': randomBytes(1024), 'rhel-9.qcow2': randomBytes(1024) });
    const stores = `${good('old', linode('old', b.old, 'images'), 'old')}\n${bad('new', aws('new', b.new, 'images'), 'new', ca('new'))}`;
    const r = await run('upload-image', { files: '*.qcow2', stores }, ws, 'none', env('new'));
    const host = `https://s3\\.us-east-1\\.amazonaws\\.com:${rgw('new').tlsPort}`;
    await expectRefused(r, new RegExp(`^input "stores": new: HeadBucket s3://${b.new} at ${host}: `), [['old', b.old], ['new', b.new]]);
  });

  test.each(BAD)('upload-logs, %s on the Linode-form store', async (_label, ca, env) => {
    const b = await bucket.pair('tls-bad-logs');
    const ws = workspace({ 'logs/test.log': 'ok\n' });
    const stores = `${bad('old', linode('old', b.old, ''), 'old', ca('old'))}\n${good('new', aws('new', b.new, ''), 'new')}`;
    const r = await run('upload-logs', { path: 'logs', stores, prefix: 'ci/{run-id}', 'github-token': '' }, ws, 'none', env('old'));
    const host = `https://us-east-1\\.linodeobjects\\.com:${rgw('old').tlsPort}`;
    await expectRefused(r, new RegExp(`input "stores": old: HeadBucket s3://${b.old} at ${host}: `), [['old', b.old], ['new', b.new]]);
  });

  const sides: ['source' | 'destination', ClusterId][] = [['source', 'old'], ['destination', 'new']];
  for (const [side, id] of sides) {
    test.each(BAD)(`mirror-bucket, %s on the ${side}`, async (_label, ca, env) => {
      const b = await bucket.pair('tls-bad-mirror');
      const ws = workspace({ 'a.txt': 'a' });
      // The source holds an object (written over HTTPS with the right CA) that must not be copied.
      const put = await run('upload-logs', { path: '.', stores: good('old', linode('old', b.old, 'src/'), 'src'), prefix: 'p', 'github-token': '' }, ws, 'ca=');
      expect(put.code).toBe(0);
      const held = await listKeys('old', b.old);
      const src = side === 'source' ? bad('old', linode('old', b.old, 'src/'), 'src', ca('old')) : good('old', linode('old', b.old, 'src/'), 'src');
      const dst = side === 'destination' ? bad('new', aws('new', b.new, 'dst/'), 'dst', ca('new')) : good('new', aws('new', b.new, 'dst/'), 'dst');
      const r = await run('mirror-bucket', { source: src, destination: dst, mode: 'sync' }, ws, 'none', env(id));
      const where = side === 'source' ? `s3://${b.old} at https://us-east-1\\.linodeobjects\\.com:${rgw(id).tlsPort}` : `s3://${b.new} at https://s3\\.us-east-1\\.amazonaws\\.com:${rgw(id).tlsPort}`;
      await expectRefused(r, new RegExp(`^input "${side}": HeadBucket ${where}: `), [['old', b.old], ['new', b.new]], { [b.old]: held });
    });
  }
});

test('every name the bundles looked up was a provider name resolved to loopback: the Linode regional host, the AWS virtual hosts', () => {
  const names = [...new Set(fs.readFileSync(lookupLog, 'utf8').split('\n').filter(Boolean))];
  expect(names).toContain('us-east-1.linodeobjects.com');
  expect(names.some((n) => /^tls-img-[0-9a-f]{8}\.s3\.us-east-1\.amazonaws\.com$/.test(n))).toBe(true);
  expect(names.filter((n) => !/\.(linodeobjects\.com|amazonaws\.com)$/.test(n))).toEqual([]);
});
