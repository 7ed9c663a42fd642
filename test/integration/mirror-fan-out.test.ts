/**
 * `mirror-bucket` to several destinations through the bundle, between the two real RGW clusters:
 * three destinations (a bucket on the new cluster; a bucket on the old one, the source's own
 * provider and credentials, so copied server-side; a bucket of another user on the new cluster,
 * with that user's credentials), the source read through a recording proxy to count its GETs. Then
 * a destination that is missing and one whose listing fails, under require all, any and 2. Last, a
 * private object to destinations of different visibility modes and bucket policies, two of which
 * would expose it: it ends readable anonymously on none.
 */
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, type ObjectCannedACL } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errors, runBundle, type BundleRun } from '../helpers/bundle';
import { listingFailsAfterFirstPage, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { anonymousStatus, client, credentialEnv, listKeys, putObject, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const MiB = 1024 * 1024;
const bucket = useBuckets();
const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

const SEEDS: Record<string, { body: Buffer; acl: ObjectCannedACL }> = {
  'fedora-42.qcow2': { body: randomBytes(6 * MiB + 7), acl: 'public-read' },
  'rhel-9.qcow2': { body: randomBytes(100 * 1024), acl: 'private' },
  'logs/a.txt': { body: Buffer.from('log a\n'), acl: 'public-read' },
  'logs/b.txt': { body: Buffer.from('log b\n'), acl: 'public-read' },
  'nested/ünïcödé.txt': { body: Buffer.from('unicode\n'), acl: 'public-read' },
  empty: { body: Buffer.alloc(0), acl: 'public-read' },
};

/** The other user's bucket on the new cluster, emptied and removed after the file. */
const otherBuckets: string[] = [];
afterAll(async () => {
  const c = client('new', 'other');
  for (const b of otherBuckets) {
    const listed = await c.send(new ListObjectsV2Command({ Bucket: b }));
    for (const o of listed.Contents ?? []) await c.send(new DeleteObjectCommand({ Bucket: b, Key: o.Key! }));
    await c.send(new DeleteBucketCommand({ Bucket: b }));
  }
});
async function otherBucket(): Promise<string> {
  const b = `fanout-other-${randomBytes(4).toString('hex')}`;
  await client('new', 'other').send(new CreateBucketCommand({ Bucket: b }));
  otherBuckets.push(b);
  return b;
}

/** Writes an object with its sha256 recorded, as upload-image writes images: a copy written in parts (another ETag) is then proven by it. */
async function put(id: ClusterId, b: string, key: string, body: Buffer, acl: ObjectCannedACL = 'public-read', user: 'ci' | 'other' = 'ci'): Promise<void> {
  await client(id, user).send(new PutObjectCommand({ Bucket: b, Key: key, Body: body, ACL: acl, Metadata: { sha256: sha256(body) } }));
}

async function contentOf(id: ClusterId, b: string, key: string, user: 'ci' | 'other' = 'ci'): Promise<string> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const r = await client(id, user).send(new GetObjectCommand({ Bucket: b, Key: key }));
  return sha256(await r.Body!.transformToByteArray());
}

const env = () => {
  const e = rgw('new');
  return { ...credentialEnv(), OTHER_ACCESS_KEY_ID: e.otherAccessKey, OTHER_SECRET_ACCESS_KEY: e.otherSecretKey };
};
const rows = (run: BundleRun) => JSON.parse(run.outputs.destinations ?? '[]') as { name: string; ok: boolean; matched: number; copied: number; updated: number; deleted: number; skipped: number; failed: number; serverSideCopies: number; unavailable?: string; listingError?: string; firstFailure?: string }[];

describe('mirror-bucket to three destinations', () => {
  let src: string;
  let proxy: FaultProxy;
  /** Source GETs, by key, as the source's proxy saw them. */
  let gets: string[];
  let dir: string;

  beforeAll(async () => {
    src = await bucket('old', 'fanout-src');
    for (const [key, s] of Object.entries(SEEDS)) await put('old', src, `src/${key}`, s.body, s.acl);
    gets = [];
    // Rate 0: nothing injected; the rule only records each GET of a source object.
    proxy = await startFaultProxy({ upstream: rgw('old').endpoint, rules: [{ kind: 'delay', delayMs: 0, match: (r) => (r.op === 'GetObject' && r.signed && r.path.startsWith(`/${src}/src/`) && void gets.push(r.path), false) }] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-'));
  });
  afterAll(async () => proxy.close());

  const source = () => `${proxy.url}/${src}/src/ credentials=env:OLD`;
  const inputs = (destinations: string[], extra: Record<string, string> = {}) => ({
    source: source(),
    destinations: destinations.join('\n'),
    mode: 'sync',
    'part-size': '5MiB',
    'report-path': path.join(dir, `report-${randomBytes(3).toString('hex')}.txt`),
    ...extra,
  });

  test('sync: each destination holds the source, extras deleted in each, rhel private in each, every source object read once', async () => {
    const a = await bucket('new', 'fanout-a');
    const b = await bucket('old', 'fanout-b');
    const c = await otherBucket();
    await put('new', a, 'm/extra-a', Buffer.from('only in a'));
    await put('new', a, 'm/logs/a.txt', SEEDS['logs/a.txt']!.body);
    await put('new', c, 'm/extra-c', Buffer.from('only in c'), 'public-read', 'other');
    const dests = [`${rgw('new').endpoint}/${a}/m/ credentials=env:NEW name=new-a`, `${proxy.url}/${b}/m/ credentials=env:OLD name=old-b`, `${rgw('new').endpoint}/${c}/m/ credentials=env:OTHER name=other-c`];
    const run = await runBundle('mirror-bucket', inputs(dests), { env: env() });
    expect(errors(run)).toEqual([]);
    expect(run.code).toBe(0);
    const r = rows(run);
    expect(r.map((x) => [x.name, x.ok, x.failed])).toEqual([['new-a', true, 0], ['old-b', true, 0], ['other-c', true, 0]]);
    expect(r.map((x) => [x.copied, x.deleted])).toEqual([[5, 1], [6, 0], [6, 1]]);
    // The destination on the source's provider and credentials copied inside it.
    expect(r[1]!.serverSideCopies).toBe(6);
    for (const [id, bkt, user] of [['new', a, 'ci'], ['old', b, 'ci'], ['new', c, 'other']] as const) {
      const keys = id === 'new' && user === 'other' ? await (async () => ((await client('new', 'other').send(new ListObjectsV2Command({ Bucket: bkt }))).Contents ?? []).map((o) => o.Key!).sort())() : await listKeys(id, bkt);
      expect(keys.sort()).toEqual(Object.keys(SEEDS).map((k) => `m/${k}`).sort());
      for (const [key, s] of Object.entries(SEEDS)) expect(await contentOf(id, bkt, `m/${key}`, user)).toBe(sha256(s.body));
      expect(await anonymousStatus(id, bkt, 'm/rhel-9.qcow2')).toBe(403);
    }
    // One GET of each object for the two streamed destinations (old-b copied server-side, no GET).
    expect(gets.sort()).toEqual(Object.keys(SEEDS).map((k) => `/${src}/src/${k}`).sort());
    expect(Number(run.outputs['source-reads'])).toBe(6);
    expect(run.outputs.copied).toBe('17');
    expect(run.outputs.deleted).toBe('2');
    expect(run.outputs['in-sync']).toBe('true');
    expect(run.summary).toMatch(/\| 3 \| `s3:\/\/fanout-other-[0-9a-f]+\/m\/ at [^`]+` \| ok \|/);
    // Again: nothing to do, nothing read (the copy written in parts proven by its recorded sha256).
    gets = [];
    const again = await runBundle('mirror-bucket', inputs(dests), { env: env() });
    expect(again.code).toBe(0);
    expect(rows(again).map((x) => [x.matched, x.copied, x.updated, x.deleted])).toEqual([[6, 0, 0, 0], [6, 0, 0, 0], [6, 0, 0, 0]]);
    // a and c hold fedora written in parts (another ETag): proven by sha256; b's copies were made inside the provider, same ETags.
    expect(JSON.parse(again.outputs.methods)).toMatchObject({ sha256: 2, etag: 16 });
    expect(gets).toEqual([]);
  });

  test('a missing destination and one whose listing fails: require all fails, any and 2 pass, each destination with its own result, nothing deleted where the listing failed', async () => {
    const a = await bucket('new', 'fanout-a');
    const b = await bucket('old', 'fanout-b');
    await put('new', a, 'm/extra-a', Buffer.from('only in a'));
    await put('old', b, 'm/extra-b', Buffer.from('only in b'));
    // b's listing fails after its first page (which holds m/extra-b, so a deletion is due there):
    // the first page is made to say more follow, and every request for the next one fails (after
    // the wire's retries). Its preflight passes.
    const failing = await startFaultProxy({
      upstream: rgw('old').endpoint,
      rules: listingFailsAfterFirstPage(),
    });
    try {
      const missing = `${rgw('new').endpoint}/fanout-missing-${randomBytes(4).toString('hex')}/m/ credentials=env:NEW name=missing`;
      const dests = [`${rgw('new').endpoint}/${a}/m/ credentials=env:NEW name=new-a`, `${failing.url}/${b}/m/ credentials=env:OLD name=listing-fails`, missing];
      const results = new Map<string, BundleRun>();
      for (const require of ['all', 'any', '2', '1']) results.set(require, await runBundle('mirror-bucket', inputs(dests, { require }), { env: env() }));
      // One destination ends right of three: all and 2 fail, any and 1 pass.
      expect([...results].map(([k, run]) => [k, run.code])).toEqual([['all', 1], ['any', 0], ['2', 1], ['1', 0]]);
      // require all: two answered of three, so nothing was even started; each destination's row says so.
      expect(rows(results.get('all')!).map((x) => [x.name, x.ok, x.copied, x.unavailable?.slice(0, 13)])).toEqual([['new-a', false, 0, undefined], ['listing-fails', false, 0, undefined], ['missing', false, 0, 'unavailable: ']]);
      expect(errors(results.get('all')!)).toEqual([expect.stringMatching(/^only 2 of 3 destination\(s\) answered, 3 required \(input "require"\): missing: unavailable: .*Nothing was written\.$/)]);
      expect(results.get('all')!.outputs['in-sync']).toBe('false');
      for (const run of [results.get('any')!, results.get('2')!, results.get('1')!]) {
        const r = rows(run);
        expect(r.map((x) => [x.name, x.ok])).toEqual([['new-a', true], ['listing-fails', false], ['missing', false]]);
        expect(r[1]!.listingError).toMatch(/InternalError|500/);
        // Its deletion of m/extra-b was due (from the first page) and withheld.
        expect([r[1]!.deleted, r[1]!.skipped]).toEqual([0, 1]);
        expect(r[2]!.unavailable).toMatch(/^unavailable: .*NoSuchBucket|^unavailable: .*does not exist/i);
      }
      expect(errors(results.get('2')!)).toEqual([expect.stringMatching(/^1 of 3 destination\(s\) ended right, 2 required \(input "require"\): 2 listing-fails: .*; 3 missing: unavailable: /)]);
      expect(errors(results.get('any')!)).toEqual([]);
      // The healthy one was synced; where the listing failed nothing was deleted.
      expect((await listKeys('new', a)).sort()).toEqual(Object.keys(SEEDS).map((k) => `m/${k}`).sort());
      expect(await listKeys('old', b)).toContain('m/extra-b');
      // Two healthy of three (the listing works again): 2 passes, all still fails.
      await failing.close();
      const healthy = [`${rgw('new').endpoint}/${a}/m/ credentials=env:NEW name=new-a`, `${rgw('old').endpoint}/${b}/m/ credentials=env:OLD name=old-b`, missing];
      const two = await runBundle('mirror-bucket', inputs(healthy, { require: '2' }), { env: env() });
      expect([two.code, rows(two).map((x) => x.ok)]).toEqual([0, [true, true, false]]);
      expect(await listKeys('old', b)).not.toContain('m/extra-b');
      expect(two.stdout).toMatch(/destination 3 missing: unavailable: .*\(the run passes: 2 of 3 ended right, 2 required\)/);
      const all = await runBundle('mirror-bucket', inputs(healthy, { require: 'all' }), { env: env() });
      expect(all.code).toBe(1);
    } finally {
      await failing.close().catch(() => undefined);
    }
  });
  test('a private object to destinations of different visibility modes, two of whose bucket policies would expose it: readable anonymously on none', async () => {
    const a = await bucket('new', 'fanout-acl');
    const b = await bucket('old', 'fanout-policy');
    const c = await bucket('new', 'fanout-open');
    const d = await otherBucket();
    const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
    const strangersRead = (bkt: string, o: object = { Resource: [`arn:aws:s3:::${bkt}/*`] }) => ({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', ...o });
    // b: visibility by its policy, which lets strangers read all but rhel* (Cockpit's AWS design).
    await client('old').send(new PutBucketPolicyCommand({ Bucket: b, Policy: policy([strangersRead(b, { NotResource: [`arn:aws:s3:::${b}/m/rhel*`] })]) }));
    // c: canned ACLs, but a policy that lets strangers read every key: a private write is refused there.
    await client('new').send(new PutBucketPolicyCommand({ Bucket: c, Policy: policy([strangersRead(c)]) }));
    // d: another user's bucket, written with the ci user's keys, which its policy lets write but not
    // read the policy; it lets strangers read every key. Only the check after writing can tell.
    const ci = 'arn:aws:iam:::user/ci';
    await client('new', 'other').send(
      new PutBucketPolicyCommand({
        Bucket: d,
        Policy: policy([
          { Effect: 'Allow', Principal: { AWS: [ci] }, Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'], Resource: [`arn:aws:s3:::${d}`] },
          { Effect: 'Allow', Principal: { AWS: [ci] }, Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectAcl', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: [`arn:aws:s3:::${d}/*`] },
          strangersRead(d),
        ]),
      }),
    );
    const dests = [
      `${rgw('new').endpoint}/${a}/m/ credentials=env:NEW visibility=acl name=acl`,
      `${rgw('old').endpoint}/${b}/m/ credentials=env:OLD visibility=policy name=policy`,
      `${rgw('new').endpoint}/${c}/m/ credentials=env:NEW name=open-policy`,
      `${rgw('new').endpoint}/${d}/m/ credentials=env:NEW name=hidden-policy`,
    ];
    const run = await runBundle('mirror-bucket', inputs(dests, { mode: 'copy' }), { env: env() });
    // The private object is readable anonymously on no destination; the public ones on each, by ACL or by policy.
    for (const [id, bkt] of [['new', a], ['old', b], ['new', c], ['new', d]] as const) {
      expect([bkt, await anonymousStatus(id, bkt, 'm/rhel-9.qcow2')]).not.toEqual([bkt, 200]);
      expect([bkt, await anonymousStatus(id, bkt, 'm/fedora-42.qcow2')]).toEqual([bkt, 200]);
    }
    const r = rows(run);
    expect(r.map((x) => [x.name, x.ok, x.failed])).toEqual([['acl', true, 0], ['policy', true, 0], ['open-policy', false, 1], ['hidden-policy', false, 1]]);
    // Refused before writing where the policy shows the exposure; deleted again where only the check after writing saw it.
    expect(r[2]!.firstFailure).toMatch(/^rhel-9\.qcow2: copy: not written: /);
    expect(r[3]!.firstFailure).toMatch(/^rhel-9\.qcow2: copy: EXPOSED: .*; the object was deleted again$/);
    expect(run.code).toBe(1);
    expect(errors(run)).toEqual([expect.stringMatching(/^2 of 4 destination\(s\) ended right, 4 required \(input "require"\): 3 open-policy: .*; 4 hidden-policy: /)]);
    expect(await listKeys('new', a)).toContain('m/rhel-9.qcow2');
    expect(await listKeys('old', b)).toContain('m/rhel-9.qcow2');
    expect(await listKeys('new', c)).not.toContain('m/rhel-9.qcow2');
    expect(await listKeys('new', d)).not.toContain('m/rhel-9.qcow2');
  });
});

describe('mirror-bucket to several destinations with a manifest of verified copies a destination', () => {
  let src: string;
  let proxy: FaultProxy;
  let gets: string[];
  let dir: string;
  /** 11 MiB written in parts of 5 MiB, with no sha256 recorded (a legacy image): no listing, no HEAD proves a copy of it equal. */
  const legacy = randomBytes(11 * MiB + 3);

  beforeAll(async () => {
    src = await bucket('old', 'fanman-src');
    const c = client('old');
    await putObject(c, { Bucket: src, Key: 'src/legacy.qcow2', ACL: 'public-read' }, legacy, 5 * MiB);
    await c.send(new PutObjectCommand({ Bucket: src, Key: 'src/small.txt', Body: Buffer.from('small\n'), ACL: 'public-read' }));
    gets = [];
    proxy = await startFaultProxy({ upstream: rgw('old').endpoint, rules: [{ kind: 'delay', delayMs: 0, match: (r) => (r.op === 'GetObject' && r.signed && r.path.startsWith(`/${src}/src/`) && void gets.push(r.path), false) }] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanman-'));
  });
  afterAll(async () => proxy.close());

  const inputs = (destinations: string[], manifest: string) => ({
    source: `${proxy.url}/${src}/src/ credentials=env:OLD`,
    destinations: destinations.join('\n'),
    mode: 'sync',
    // Parts of 6 MiB: each copy's ETag differs from the source's (parts of 5 MiB).
    'part-size': '6MiB',
    manifest,
    'report-path': path.join(dir, `report-${randomBytes(3).toString('hex')}.txt`),
  });
  const manifestRows = (run: BundleRun) => (JSON.parse(run.outputs.destinations ?? '[]') as { name: string; matched: number; copied: number; updated: number; manifestEntries: number }[]).map((x) => [x.name, x.matched, x.copied, x.updated, x.manifestEntries]);

  test('manifest: one file a destination: the second run reads nothing from the source and copies nothing; a destination whose listing fails keeps its manifest, the others write theirs', async () => {
    const a = await bucket('new', 'fanman-a');
    const c = await otherBucket();
    const dests = [`${rgw('new').endpoint}/${a}/m/ credentials=env:NEW name=new-a`, `${rgw('new').endpoint}/${c}/m/ credentials=env:OTHER name=other-c`];
    const files = [path.join(dir, 'a.manifest.gz'), path.join(dir, 'c.manifest.gz')];
    const run = await runBundle('mirror-bucket', inputs(dests, files.join('\n')), { env: env() });
    expect(errors(run)).toEqual([]);
    expect(run.code).toBe(0);
    // One GET of each object for both; the legacy image's copies (other ETags) recorded, the small one's equal MD5 ETags need no entry.
    expect(gets.sort()).toEqual([`/${src}/src/legacy.qcow2`, `/${src}/src/small.txt`]);
    expect(manifestRows(run)).toEqual([['new-a', 0, 2, 0, 1], ['other-c', 0, 2, 0, 1]]);
    expect(run.outputs['manifest-entries']).toBe('2');
    expect(await contentOf('new', a, 'm/legacy.qcow2')).toBe(sha256(legacy));
    for (const f of files) expect(fs.existsSync(f)).toBe(true);

    // Without the manifest nothing proves the copies equal: the legacy image is copied again to each (the defect this removes).
    gets = [];
    const without = await runBundle('mirror-bucket', inputs(dests, 'none'), { env: env() });
    expect(without.code).toBe(0);
    expect(manifestRows(without)).toEqual([['new-a', 1, 0, 1, 0], ['other-c', 1, 0, 1, 0]]);
    expect(gets).toEqual([`/${src}/src/legacy.qcow2`]);

    // With it: proven from the listings alone, nothing read from the source, nothing copied, the entries written again.
    gets = [];
    const again = await runBundle('mirror-bucket', inputs(dests, files.join('\n')), { env: env() });
    expect(errors(again)).toEqual([]);
    expect(again.code).toBe(0);
    expect(manifestRows(again)).toEqual([['new-a', 2, 0, 0, 1], ['other-c', 2, 0, 0, 1]]);
    expect(JSON.parse(again.outputs.methods)).toMatchObject({ manifest: 2, etag: 2, none: 0 });
    expect(again.outputs['source-reads']).toBe('0');
    expect(gets).toEqual([]);

    // c's listing fails: its manifest is kept as it was; a's is written anew; the next run still proves both.
    const keptC = fs.readFileSync(files[1]!);
    fs.writeFileSync(files[0]!, 'not a manifest');
    // Its first page is made to say more follow, and every request for the next one fails (after the wire's retries); its preflight passes.
    const failing = await startFaultProxy({
      upstream: rgw('new').endpoint,
      rules: listingFailsAfterFirstPage(),
    });
    try {
      const broken = await runBundle('mirror-bucket', inputs([dests[0]!, `${failing.url}/${c}/m/ credentials=env:OTHER name=other-c`], files.join('\n')), { env: env() });
      expect(broken.code).toBe(1);
      expect(JSON.parse(broken.outputs.destinations ?? '[]')[1].listingError).toMatch(/InternalError|500/);
      expect(fs.readFileSync(files[1]!)).toEqual(keptC);
      expect(fs.readFileSync(files[0]!).toString()).not.toBe('not a manifest');
      expect(broken.stdout).toMatch(/destination 1 \(new-a\): manifest [^\n]* ignored: /);
    } finally {
      await failing.close();
    }
    gets = [];
    const after = await runBundle('mirror-bucket', inputs(dests, files.join('\n')), { env: env() });
    expect(manifestRows(after)).toEqual([['new-a', 2, 0, 0, 1], ['other-c', 2, 0, 0, 1]]);
    expect(gets).toEqual([]);
  });
});
