/**
 * `mirror-bucket` end to end: the bundle under Node 24 between two real RGW clusters (the "old"
 * provider as source, the "new" as destination), each with its own credentials, then both stores
 * read from outside.
 */
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, DeleteObjectCommand, GetObjectCommand, type ObjectCannedACL } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errors, runBundle } from '../helpers/bundle';
import { AWKWARD_KEYS } from '../helpers/awkward-keys';
import { compareKeys } from '../../src/storage/key-range';
import { decideVisibility, DEFAULT_RULES_TEXT, parseVisibilityRules } from '../../src/acl/visibility';
import { anonymousStatus, client, credentialEnv, headMeta, listKeys, openUploads, putObject, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;
const bucket = useBuckets();


interface Seed {
  readonly body: Buffer;
  readonly acl: ObjectCannedACL;
  readonly multipart?: number;
  readonly sha256Meta?: boolean;
  readonly headers?: { ContentType?: string; CacheControl?: string; ContentDisposition?: string; ContentEncoding?: string; Metadata?: Record<string, string> };
}

async function put(id: ClusterId, b: string, key: string, s: Seed): Promise<void> {
  const c = client(id);
  const Metadata = { ...(s.headers?.Metadata ?? {}), ...(s.sha256Meta ? { sha256: sha256(s.body) } : {}) };
  const common = { Bucket: b, Key: key, ACL: s.acl, ...s.headers, Metadata };
  await putObject(c, common, s.body, s.multipart || undefined);
}

async function content(id: ClusterId, b: string, key: string): Promise<string> {
  const r = await client(id).send(new GetObjectCommand({ Bucket: b, Key: key }));
  return sha256(Buffer.from(await r.Body!.transformToByteArray()));
}

const SEEDS: Record<string, Seed> = {
  'fedora-42.qcow2': { body: randomBytes(11 * MiB + 3), acl: 'public-read', multipart: 6 * MiB, sha256Meta: true },
  'rhel-9.qcow2': { body: randomBytes(200 * 1024), acl: 'private' },
  'RHEL-8-multi.qcow2': { body: randomBytes(6 * MiB + 5), acl: 'private', multipart: 5 * MiB + 512 * 1024 },
  'nested/deep/a b+c%d#e&f=g.txt': { body: Buffer.from('special characters\n'), acl: 'public-read' },
  'nested/ünïcödé-名前.txt': { body: Buffer.from('unicode\n'), acl: 'public-read' },
  'logs/run-1/log.txt.gz': {
    body: randomBytes(3000),
    acl: 'public-read',
    headers: { ContentType: 'text/plain; charset=utf-8', CacheControl: 'max-age=300', ContentDisposition: 'inline', ContentEncoding: 'gzip', Metadata: { 'build-id': '42' } },
  },
  'uploads/partial-blob': { body: Buffer.from('work in progress'), acl: 'private' },
  empty: { body: Buffer.alloc(0), acl: 'public-read' },
};
const MIRRORED = Object.keys(SEEDS).filter((k) => !k.startsWith('uploads/'));

describe('mirror from the old provider to the new', () => {
  let src: string;
  let dst: string;
  let dir: string;
  let manifest: string;
  const inputs = (extra: Record<string, string> = {}) => ({
    source: `${rgw('old').endpoint}/${src}/src/ credentials=env:OLD`,
    destination: `${rgw('new').endpoint}/${dst}/mirror/ credentials=env:NEW`,
    exclude: 'uploads/**',
    'part-size': '5MiB',
    manifest,
    'report-path': path.join(dir, 'report.txt'),
    ...extra,
  });
  const run = (extra: Record<string, string> = {}) => runBundle('mirror-bucket', inputs(extra), { env: credentialEnv(), cwd: dir });
  const report = () => fs.readFileSync(path.join(dir, 'report.txt'), 'utf8').trim().split('\n').sort();

  beforeAll(async () => {
    src = await bucket('old', 'mirror-src');
    dst = await bucket('new', 'mirror-dst');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-'));
    manifest = path.join(dir, 'manifest.gz');
    for (const [k, s] of Object.entries(SEEDS)) await put('old', src, `src/${k}`, s);
  });

  test('copies every object with content, headers, metadata and visibility; nothing left open', async () => {
    const r = await run();
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ copied: String(MIRRORED.length), updated: '0', deleted: '0', failed: '0', 'in-sync': 'true' });
    expect((await listKeys('new', dst)).sort()).toEqual(MIRRORED.map((k) => `mirror/${k}`).sort());
    for (const k of MIRRORED) expect([k, await content('new', dst, `mirror/${k}`)]).toEqual([k, sha256(SEEDS[k]!.body)]);
    const log = await headMeta('new', dst, 'mirror/logs/run-1/log.txt.gz');
    expect(log).toMatchObject({ ContentType: 'text/plain; charset=utf-8', CacheControl: 'max-age=300', ContentDisposition: 'inline', ContentEncoding: 'gzip', Metadata: { 'build-id': '42' } });
    expect((await headMeta('new', dst, 'mirror/fedora-42.qcow2')).Metadata).toEqual({ sha256: sha256(SEEDS['fedora-42.qcow2']!.body) });
    expect(await anonymousStatus('new', dst, 'mirror/rhel-9.qcow2')).toBe(403);
    expect(await anonymousStatus('new', dst, 'mirror/RHEL-8-multi.qcow2')).toBe(403);
    expect(await anonymousStatus('new', dst, 'mirror/fedora-42.qcow2')).toBe(200);
    expect(await anonymousStatus('new', dst, 'mirror/nested/deep/a b+c%d#e&f=g.txt')).toBe(200);
    expect(await openUploads('new', dst)).toEqual([]);
    expect(report()).toEqual(MIRRORED.map((k) => `+ ${k}`).sort());
    expect(r.summary).toContain('read checked');
  });

  test('a re-run copies nothing and proves every pair without a size-only verdict', async () => {
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ matched: String(MIRRORED.length), copied: '0', updated: '0', failed: '0' });
    const methods = JSON.parse(r.outputs.methods!) as Record<string, number>;
    expect(methods.none).toBe(0);
    // The two multipart objects were written with other part sizes: the manifest proves them.
    expect(methods.manifest).toBe(2);
    expect(methods.etag).toBe(MIRRORED.length - 2);
    expect(report()).toEqual(MIRRORED.map((k) => `= ${k}`).sort());
  });

  test('without the manifest, the recorded sha256 proves what it can and the rest is copied again, never assumed', async () => {
    const r = await run({ manifest: 'none' });
    expect(r.code).toBe(0);
    const methods = JSON.parse(r.outputs.methods!) as Record<string, number>;
    expect(methods).toMatchObject({ sha256: 1, none: 1, etag: MIRRORED.length - 2 });
    expect(r.outputs).toMatchObject({ updated: '1', copied: '0' });
  });

  test('sync carries over exactly the changes made on the source', async () => {
    await put('old', src, 'src/nested/deep/a b+c%d#e&f=g.txt', { body: Buffer.from('changed, and longer than before\n'), acl: 'public-read' });
    await client('old').send(new DeleteObjectCommand({ Bucket: src, Key: 'src/logs/run-1/log.txt.gz' }));
    await put('old', src, 'src/new-image.qcow2', { body: randomBytes(1000), acl: 'public-read' });
    const r = await run({ mode: 'sync' });
    expect(errors(r)).toEqual([]);
    expect(r.outputs).toMatchObject({ copied: '1', updated: '1', deleted: '1', failed: '0', 'in-sync': 'true' });
    expect(report().filter((l) => !l.startsWith('='))).toEqual(['* nested/deep/a b+c%d#e&f=g.txt', '+ new-image.qcow2', '- logs/run-1/log.txt.gz']);
    expect(await content('new', dst, 'mirror/nested/deep/a b+c%d#e&f=g.txt')).toBe(sha256(Buffer.from('changed, and longer than before\n')));
    expect(await listKeys('new', dst, 'mirror/logs/')).toEqual([]);
  });

  test('max-delete: a sync due to delete more deletes nothing and fails', async () => {
    for (const k of ['stray-1', 'stray-2']) await put('new', dst, `mirror/${k}`, { body: Buffer.from(k), acl: 'private' });
    const r = await run({ mode: 'sync', 'max-delete': '1' });
    expect(r.code).toBe(1);
    expect(errors(r).join('\n')).toMatch(/no object deleted: 2 deletion\(s\) are due, more than max-delete \(1\)/);
    expect(r.outputs).toMatchObject({ deleted: '0', skipped: '2', 'in-sync': 'false' });
    expect(await listKeys('new', dst, 'mirror/stray-')).toEqual(['mirror/stray-1', 'mirror/stray-2']);
  });

  test('check mode reports each kind of difference, changes nothing, and fails', async () => {
    // Same size, other bytes, plain ETags on both sides: only content can tell (no sha256 recorded).
    await put('new', dst, 'mirror/rhel-9.qcow2', { body: randomBytes(200 * 1024), acl: 'private' });
    await put('old', src, 'src/only-in-source', { body: Buffer.from('x'), acl: 'public-read' });
    const before = (await listKeys('new', dst)).sort();
    const r = await run({ mode: 'check' });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ missing: '1', extra: '2', differ: '1', 'in-sync': 'false' });
    expect(report().filter((l) => !l.startsWith('='))).toEqual(['* rhel-9.qcow2', '+ only-in-source', '- stray-1', '- stray-2']);
    expect((await listKeys('new', dst)).sort()).toEqual(before);
    expect(errors(r).join('\n')).toMatch(/the stores differ: 1 only in the source, 2 only in the destination, 1 different/);
  });

  test('sync with a backup prefix keeps what it deletes, privately, and then agrees in check mode', async () => {
    const r = await run({ mode: 'sync', 'backup-prefix': 'deleted/' });
    expect(errors(r)).toEqual([]);
    expect(r.outputs).toMatchObject({ copied: '1', updated: '1', deleted: '2' });
    expect((await listKeys('new', dst, 'mirror/deleted/')).sort()).toEqual(['mirror/deleted/stray-1', 'mirror/deleted/stray-2']);
    expect(await anonymousStatus('new', dst, 'mirror/deleted/stray-1')).toBe(403);
    // Keys under the backup prefix are never mirrored, compared or deleted.
    const check = await run({ mode: 'check', 'backup-prefix': 'deleted/' });
    expect(check.code).toBe(0);
    expect(check.outputs).toMatchObject({ missing: '0', extra: '0', differ: '0', 'in-sync': 'true' });
  });
});

describe('keys with dot segments and empty segments', () => {
  // Key under the source's prefix -> whether it must be private. A URL parser turns `mirror/./rhel-a`
  // into `mirror/rhel-a`; the destination holds an object there with the opposite visibility, so a
  // check after writing that reaches the wrong object gives the wrong answer, either way.
  const DOTTED: Record<string, 'private' | 'public'> = {
    './rhel-a': 'private',
    'a/../rhel-b': 'private',
    'a//rhel-c': 'private',
    'rhel-d/.': 'private',
    '/rhel-e': 'private',
    './fedora-a': 'public',
    'x/../fedora-b': 'public',
    'fedora-c/.': 'public',
    '..': 'public',
  };
  const DECOYS: Record<string, ObjectCannedACL> = {
    'mirror/rhel-a': 'public-read',
    'mirror/rhel-b': 'public-read',
    'mirror/rhel-d/': 'public-read',
    'mirror/fedora-a': 'private',
    'mirror/fedora-b': 'private',
    'mirror/fedora-c/': 'private',
  };
  const rules = 'rhel* private\n**/rhel*/** private\n* public';

  test('are copied byte-exact, and the check after writing reaches each object itself', async () => {
    const src = await bucket('old', 'dots-src');
    const dst = await bucket('new', 'dots-dst');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dots-'));
    for (const [k, v] of Object.entries(DOTTED)) await put('old', src, `src/${k}`, { body: Buffer.from(`content of ${k}`), acl: v === 'public' ? 'public-read' : 'private' });
    for (const [k, acl] of Object.entries(DECOYS)) await put('new', dst, k, { body: Buffer.from('decoy'), acl });
    const r = await runBundle(
      'mirror-bucket',
      {
        source: `${rgw('old').endpoint}/${src}/src/ credentials=env:OLD`,
        destination: `${rgw('new').endpoint}/${dst}/mirror/ credentials=env:NEW`,
        mode: 'copy',
        'visibility-rules': rules,
        'verify-visibility': 'all',
        manifest: 'none',
        'report-path': path.join(dir, 'report.txt'),
      },
      { env: credentialEnv(), cwd: dir },
    );
    expect(errors(r)).toEqual([]);
    expect(r.outputs).toMatchObject({ copied: String(Object.keys(DOTTED).length), failed: '0' });
    for (const [k, v] of Object.entries(DOTTED)) {
      expect([k, await content('new', dst, `mirror/${k}`)]).toEqual([k, sha256(Buffer.from(`content of ${k}`))]);
      expect([k, await anonymousStatus('new', dst, `mirror/${k}`)]).toEqual([k, v === 'public' ? 200 : 403]);
    }
    // The decoys are left as they were.
    for (const [k, acl] of Object.entries(DECOYS)) expect([k, await anonymousStatus('new', dst, k)]).toEqual([k, acl === 'public-read' ? 200 : 403]);
  });
});

describe('shards', () => {
  test('the planned shards and the fixed I/N ranges each cover every key exactly once', async () => {
    const src = await bucket('old', 'shard-src');
    const keys = ['0-first', 'a/1', 'a/2', 'b', 'images/x', 'images/y', 'm', 'rhel-1', 'z/last', '~tilde', 'é'];
    for (const k of keys) await put('old', src, k, { body: Buffer.from(k), acl: 'public-read' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shards-'));
    const source = `${rgw('old').endpoint}/${src} credentials=env:OLD`;
    for (const shards of [['1/3', '2/3', '3/3'], ['1/5', '2/5', '3/5', '4/5', '5/5']]) {
      const dst = await bucket('new', 'shard-dst');
      const seen: string[] = [];
      for (const shard of shards) {
        const r = await runBundle('mirror-bucket', { source, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, shard, 'report-path': path.join(dir, 'r.txt') }, { env: credentialEnv(), cwd: dir });
        expect(r.code).toBe(0);
        seen.push(...fs.readFileSync(path.join(dir, 'r.txt'), 'utf8').split('\n').filter((l) => l.startsWith('+ ')).map((l) => l.slice(2)));
      }
      expect(seen.sort()).toEqual([...keys].sort());
      expect((await listKeys('new', dst)).sort()).toEqual([...keys].sort());
    }
  });

  test('plan-shards balances the source into ranges a matrix passes back', async () => {
    const src = await bucket('old', 'plan-src');
    const dst = await bucket('new', 'plan-dst');
    const keys = Array.from({ length: 60 }, (_, i) => `images/img-${String(i).padStart(3, '0')}.qcow2`);
    await Promise.all(keys.map((k) => put('old', src, k, { body: Buffer.from(k), acl: 'public-read' })));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    const base = { source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW` };
    const plan = await runBundle('mirror-bucket', { ...base, mode: 'plan-shards', 'shard-count': '4' }, { env: credentialEnv(), cwd: dir });
    expect(errors(plan)).toEqual([]);
    expect(plan.outputs.keys).toBe('60');
    const shards = JSON.parse(plan.outputs.shards!) as unknown[];
    expect(shards).toHaveLength(4);
    const copied: number[] = [];
    for (const s of shards) {
      const r = await runBundle('mirror-bucket', { ...base, shard: JSON.stringify(s) }, { env: credentialEnv(), cwd: dir });
      expect(errors(r)).toEqual([]);
      copied.push(Number(r.outputs.copied));
    }
    expect(copied.reduce((a, b) => a + b, 0)).toBe(60);
    for (const n of copied) expect(n).toBe(15);
  });
});

/** Inputs that mirror old bucket `src` to new bucket `dst` in parts of 16 MiB, keeping a manifest in `dir`. */
const manifestMirror = (src: string, dst: string, dir: string) => ({
  source: `${rgw('old').endpoint}/${src} credentials=env:OLD`,
  destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`,
  'part-size': '16MiB',
  manifest: path.join(dir, 'manifest.gz'),
});

test('a shared manifest survives shards re-planned after a key is added: every pair proven before is proven again', async () => {
  const src = await bucket('old', 'replan-src');
  const dst = await bucket('new', 'replan-dst');
  // Multipart in the source, one PUT in the destination (part-size 16MiB): only the manifest proves them.
  const images = ['img-1.qcow2', 'img-2.qcow2', 'img-3.qcow2', 'img-4.qcow2'];
  for (const k of images) await put('old', src, k, { body: randomBytes(5 * MiB + 1), acl: 'public-read', multipart: 5 * MiB });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replan-'));
  const base = manifestMirror(src, dst, dir);
  const night = async () => {
    const plan = await runBundle('mirror-bucket', { ...base, mode: 'plan-shards', 'shard-count': '2' }, { env: credentialEnv(), cwd: dir });
    expect(errors(plan)).toEqual([]);
    const shards = JSON.parse(plan.outputs.shards!) as unknown[];
    const runs: Awaited<ReturnType<typeof runBundle>>[] = [];
    for (const s of shards) {
      const r = await runBundle('mirror-bucket', { ...base, shard: JSON.stringify(s) }, { env: credentialEnv(), cwd: dir });
      expect(errors(r)).toEqual([]);
      runs.push(r);
    }
    const sum = (name: string) => runs.reduce((n, r) => n + Number(r.outputs[name]), 0);
    const byManifest = runs.reduce((n, r) => n + (JSON.parse(r.outputs.methods!) as Record<string, number>).manifest!, 0);
    return { shards: JSON.stringify(shards), copied: sum('copied'), updated: sum('updated'), byManifest, lastEntries: Number(runs.at(-1)!.outputs['manifest-entries']) };
  };
  const first = await night();
  expect(first).toMatchObject({ copied: 4, updated: 0, byManifest: 0, lastEntries: 4 });
  await put('old', src, 'img-0.qcow2', { body: Buffer.from('new tonight'), acl: 'public-read' });
  const second = await night();
  expect(second.shards).not.toBe(first.shards);
  // img-0 went up in one PUT on both sides: equal ETags prove it, so it needs no manifest entry.
  expect(second).toMatchObject({ copied: 1, updated: 0, byManifest: 4, lastEntries: 4 });
});

test('two workflows mirroring different folders of one pair keep each other\'s manifest entries', async () => {
  const src = await bucket('old', 'folders-src');
  const dst = await bucket('new', 'folders-dst');
  for (const k of ['images/a.qcow2', 'logs/b.tar']) await put('old', src, k, { body: randomBytes(5 * MiB + 1), acl: 'public-read', multipart: 5 * MiB });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folders-'));
  const base = manifestMirror(src, dst, dir);
  const run = async (include: string) => {
    const r = await runBundle('mirror-bucket', { ...base, include }, { env: credentialEnv(), cwd: dir });
    expect(errors(r)).toEqual([]);
    return { copied: r.outputs.copied, updated: r.outputs.updated, byManifest: (JSON.parse(r.outputs.methods!) as Record<string, number>).manifest };
  };
  expect(await run('images/**')).toMatchObject({ copied: '1' });
  expect(await run('logs/**')).toMatchObject({ copied: '1' });
  // The logs run looked at no image: the image's entry is still there.
  expect(await run('images/**')).toEqual({ copied: '0', updated: '0', byManifest: 1 });
});

test('same provider and credentials: copied by the server, with headers and visibility', async () => {
  const src = await bucket('old', 'ssc-src');
  const dst = await bucket('old', 'ssc-dst');
  const body = randomBytes(7 * MiB);
  await put('old', src, 'rhel-10.qcow2', { body, acl: 'private', multipart: 5 * MiB, sha256Meta: true, headers: { ContentType: 'application/x-qemu-disk' } });
  await put('old', src, 'centos.qcow2', { body: Buffer.from('public'), acl: 'public-read' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssc-'));
  const r = await runBundle('mirror-bucket', { source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('old').endpoint}/${dst} credentials=env:OLD` }, { env: credentialEnv(), cwd: dir });
  expect(errors(r)).toEqual([]);
  expect(r.summary).toContain('server-side copies 2');
  expect(await content('old', dst, 'rhel-10.qcow2')).toBe(sha256(body));
  expect(await headMeta('old', dst, 'rhel-10.qcow2')).toMatchObject({ ContentType: 'application/x-qemu-disk', Metadata: { sha256: sha256(body) } });
  expect(await anonymousStatus('old', dst, 'rhel-10.qcow2')).toBe(403);
  expect(await anonymousStatus('old', dst, 'centos.qcow2')).toBe(200);
});

describe('bad input: a clear error and nothing written', () => {
  let src: string;
  let dst: string;
  let dir: string;
  beforeAll(async () => {
    src = await bucket('old', 'bad-src');
    dst = await bucket('new', 'bad-dst');
    await put('old', src, 'a/file', { body: Buffer.from('x'), acl: 'private' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-'));
  });

  const cases: [string, () => Record<string, string>, RegExp][] = [
    ['destination inside the source', () => ({ source: `${rgw('old').endpoint}/${src}/a/ credentials=env:OLD`, destination: `${rgw('old').endpoint}/${src}/a/b/ credentials=env:OLD` }), /inputs "source" and "destination": .* one prefix inside the other/],
    ['source equal to the destination', () => ({ source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('old').endpoint}/${src}/ credentials=env:OLD` }), /same bucket with one prefix inside the other/],
    ['a missing bucket', () => ({ source: `${rgw('old').endpoint}/no-such-bucket-here credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW` }), /no-such-bucket-here/],
    ['a bad glob', () => ({ source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, exclude: 'a/[b' }), /input "exclude": glob "a\/\[b"/],
    ['max-delete not a number', () => ({ source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, 'max-delete': 'ten' }), /input "max-delete": "ten" is not allowed; allowed: a whole number/],
    ['shard out of range', () => ({ source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, shard: '4/3' }), /input "shard": "4\/3" is out of range/],
    ['an unknown mode', () => ({ source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, mode: 'mirror' }), /input "mode": "mirror" is not allowed; allowed: copy, sync, check, plan-shards/],
    ['two source lines', () => ({ source: `${rgw('old').endpoint}/${src}\n${rgw('old').endpoint}/other`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW` }), /input "source": give exactly one store/],
  ];
  test.each(cases)('%s', async (_name, inputs, message) => {
    const r = await runBundle('mirror-bucket', inputs(), { env: credentialEnv(), cwd: dir });
    expect(r.code).toBe(1);
    expect(errors(r).join('\n')).toMatch(message);
    expect(await listKeys('new', dst)).toEqual([]);
    expect(await listKeys('old', src)).toEqual(['a/file']);
  });

  test('credentials that can list but not read: said at once, nothing written', async () => {
    const otherUser = rgw('old').otherUser;
    await client('old').send(
      new PutBucketPolicyCommand({
        Bucket: src,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam:::user/${otherUser}`] }, Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${src}`] }],
        }),
      }),
    );
    const r = await runBundle(
      'mirror-bucket',
      { source: `${rgw('old').endpoint}/${src} credentials=env:LISTER`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW` },
      { env: { ...credentialEnv(), LISTER_ACCESS_KEY_ID: rgw('old').otherAccessKey, LISTER_SECRET_ACCESS_KEY: rgw('old').otherSecretKey }, cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(errors(r).join('\n')).toMatch(/input "source": the credentials may list .* but not read its objects \(HEAD "a\/file" was refused\); they need s3:GetObject as well as s3:ListBucket/);
    expect(await listKeys('new', dst)).toEqual([]);
    await client('old').send(new DeleteBucketPolicyCommand({ Bucket: src }));
  });

  test('a manifest from another pair of stores is ignored with a warning', async () => {
    const manifest = path.join(dir, 'other.gz');
    const other = await bucket('new', 'bad-other');
    const base = { source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, manifest };
    expect((await runBundle('mirror-bucket', { ...base, destination: `${rgw('new').endpoint}/${other} credentials=env:NEW` }, { env: credentialEnv(), cwd: dir })).code).toBe(0);
    const r = await runBundle('mirror-bucket', { ...base, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, mode: 'check' }, { env: credentialEnv(), cwd: dir });
    expect(r.stdout).toMatch(/::warning::manifest .* ignored: it belongs to another pair of stores/);
  });
});

test('uploads a killed run left open for a key the mirror writes are aborted; others are left alone', async () => {
  const src = await bucket('old', 'mirror-stale-src');
  const dst = await bucket('new', 'mirror-stale-dst');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-stale-'));
  const body = randomBytes(6 * MiB);
  await put('old', src, 'rhel-10-big.qcow2', { body, acl: 'private' });
  await put('old', src, 'small.txt', { body: Buffer.from('small'), acl: 'public-read' });
  // What a killed mirror leaves: an upload with a part, for a key it writes (multipart), and
  // another writer's upload for a key the mirror does not write.
  const c = client('new');
  const orphan = await c.send(new CreateMultipartUploadCommand({ Bucket: dst, Key: 'rhel-10-big.qcow2' }));
  await c.send(new UploadPartCommand({ Bucket: dst, Key: 'rhel-10-big.qcow2', UploadId: orphan.UploadId, PartNumber: 1, Body: body.subarray(0, 5 * MiB) }));
  const other = await c.send(new CreateMultipartUploadCommand({ Bucket: dst, Key: 'someone-else.bin' }));
  expect((await openUploads('new', dst)).length).toBe(2);
  // RGW's initiated time has a resolution of a second.
  await new Promise((r) => setTimeout(r, 1100));
  const r = await runBundle(
    'mirror-bucket',
    { source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, 'part-size': '5MiB', 'report-path': path.join(dir, 'r.txt') },
    { env: credentialEnv(), cwd: dir },
  );
  expect(errors(r)).toEqual([]);
  expect(r.outputs).toMatchObject({ copied: '2', failed: '0' });
  expect(r.stdout).toMatch(/rhel-10-big\.qcow2: aborted 1 multipart upload\(s\) left open by an earlier run/);
  expect(await openUploads('new', dst)).toEqual([`someone-else.bin:${other.UploadId}`]);
  expect(await content('new', dst, 'rhel-10-big.qcow2')).toBe(sha256(body));
});

test('a local folder to S3 and back: the same keys and bytes, visibility from the rules on the S3 side', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-folder-'));
  const files: Record<string, Buffer> = { 'images/fedora-42.qcow2': randomBytes(7 * MiB), 'images/rhel-9.qcow2': randomBytes(1000), 'logs/a b.txt': Buffer.from('log\n') };
  for (const [k, v] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(folder, k)), { recursive: true });
    fs.writeFileSync(path.join(folder, k), v);
  }
  const b = await bucket('new', 'from-folder');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-ws-'));
  const up = await runBundle('mirror-bucket', { source: `file://${folder}`, destination: `${rgw('new').endpoint}/${b}/copy credentials=env:NEW`, 'part-size': '5MiB' }, { env: credentialEnv(), cwd: dir });
  expect(errors(up)).toEqual([]);
  expect(up.outputs).toMatchObject({ copied: '3', failed: '0' });
  for (const [k, v] of Object.entries(files)) expect([k, await content('new', b, `copy/${k}`)]).toEqual([k, sha256(v)]);
  expect(await anonymousStatus('new', b, 'copy/images/rhel-9.qcow2')).toBe(403);
  expect(await anonymousStatus('new', b, 'copy/images/fedora-42.qcow2')).toBe(200);
  const back = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-back-'));
  const down = await runBundle('mirror-bucket', { source: `${rgw('new').endpoint}/${b}/copy credentials=env:NEW`, destination: `file://${back}`, mode: 'sync' }, { env: credentialEnv(), cwd: dir });
  expect(errors(down)).toEqual([]);
  expect(down.outputs).toMatchObject({ copied: '3', failed: '0', 'in-sync': 'true' });
  for (const [k, v] of Object.entries(files)) expect([k, sha256(fs.readFileSync(path.join(back, k)))]).toEqual([k, sha256(v)]);
  const check = await runBundle('mirror-bucket', { source: `file://${folder}`, destination: `file://${back}`, mode: 'check' }, { env: credentialEnv(), cwd: dir });
  expect(check.outputs).toMatchObject({ missing: '0', extra: '0', differ: '0', 'in-sync': 'true' });
});

describe('a folder store never hides what it cannot carry, nor trusts a stale ETag (issue 10, item 9)', () => {
  const LATIN1 = Buffer.from([0x66, 0xff, 0x2e, 0x62, 0x69, 0x6e]);
  /** A folder with two regular files and three entries no bucket can hold. */
  function awkwardFolder(): string {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-awkward-'));
    fs.writeFileSync(path.join(folder, 'b-good.txt'), 'good\n');
    fs.mkdirSync(path.join(folder, 'sub'));
    fs.writeFileSync(path.join(folder, 'sub', 'z-good.txt'), 'also good\n');
    fs.writeFileSync(Buffer.concat([Buffer.from(folder + path.sep), LATIN1]), 'latin-1 name\n');
    fs.symlinkSync('/etc/hostname', path.join(folder, 'link'));
    execFileSync('mkfifo', [path.join(folder, 'sub', 'pipe')]);
    return folder;
  }
  const UNCARRIED = /: 3 entries cannot be objects, so this listing is incomplete: "f\\xff\.bin" \(its name is not valid UTF-8\), "link" \(a symbolic link, not followed\), "sub\/pipe" \(a FIFO, not a regular file\)\./;

  test('folder to S3, sync: what can be copied is, nothing is deleted, the run fails naming every entry it could not carry', async () => {
    const folder = awkwardFolder();
    const b = await bucket('new', 'awkward-dst');
    await client('new').send(new PutObjectCommand({ Bucket: b, Key: 'dst/a-only-in-destination.txt', Body: 'keep me' }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-ws-'));
    const r = await runBundle('mirror-bucket', { source: `file://${folder}`, destination: `${rgw('new').endpoint}/${b}/dst credentials=env:NEW`, mode: 'sync', 'report-path': path.join(dir, 'r.txt') }, { env: credentialEnv(), cwd: dir });
    expect(r.code).toBe(1);
    expect(errors(r)).toHaveLength(1);
    expect(errors(r)[0]).toMatch(/^a listing failed, so the run stopped and nothing was deleted: file:\/\//);
    expect(errors(r)[0]).toMatch(UNCARRIED);
    expect(r.outputs).toMatchObject({ copied: '2', deleted: '0', 'in-sync': 'false' });
    expect(r.summary).toMatch(/Listing failed; nothing was deleted:/);
    expect((await listKeys('new', b)).sort()).toEqual(['dst/a-only-in-destination.txt', 'dst/b-good.txt', 'dst/sub/z-good.txt']);
  });

  test('S3 to folder, sync: a destination folder holding a link is not read whole, so nothing in it is deleted', async () => {
    const b = await bucket('old', 'awkward-src');
    await client('old').send(new PutObjectCommand({ Bucket: b, Key: 'k/one.txt', Body: 'one' }));
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-dest-'));
    fs.writeFileSync(path.join(dest, 'extra.txt'), 'a sync would delete this');
    fs.symlinkSync('/etc', path.join(dest, 'etc-link'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-ws-'));
    const r = await runBundle('mirror-bucket', { source: `${rgw('old').endpoint}/${b}/k credentials=env:OLD`, destination: `file://${dest}`, mode: 'sync', 'report-path': path.join(dir, 'r.txt') }, { env: credentialEnv(), cwd: dir });
    expect(r.code).toBe(1);
    expect(errors(r)[0]).toMatch(/nothing was deleted: .*: 1 entry cannot be objects, so this listing is incomplete: "etc-link" \(a symbolic link, not followed\)/);
    expect(r.outputs).toMatchObject({ deleted: '0', 'in-sync': 'false' });
    expect(fs.readFileSync(path.join(dest, 'extra.txt'), 'utf8')).toBe('a sync would delete this');
    expect(fs.readlinkSync(path.join(dest, 'etc-link'))).toBe('/etc');
  });

  test('check mode between two folders: a file replaced by hand with other bytes of the same size and mtime is reported different', async () => {
    const hand = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-hand-'));
    fs.writeFileSync(path.join(hand, 'image.qcow2'), randomBytes(4096));
    fs.writeFileSync(path.join(hand, 'other.txt'), 'untouched\n');
    // Both sides written through the store, so both have ETag sidecars.
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-a-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-b-'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-ws-'));
    for (const [from, to] of [[hand, a], [a, b]]) {
      const copy = await runBundle('mirror-bucket', { source: `file://${from}`, destination: `file://${to}` }, { env: credentialEnv(), cwd: dir });
      expect([copy.code, copy.outputs.copied]).toEqual([0, '2']);
    }
    const before = await runBundle('mirror-bucket', { source: `file://${a}`, destination: `file://${b}`, mode: 'check' }, { env: credentialEnv(), cwd: dir });
    expect(before.outputs).toMatchObject({ matched: '2', 'in-sync': 'true' });
    // By hand: same size, old modification time put back.
    const target = path.join(b, 'image.qcow2');
    const st = fs.statSync(target);
    fs.writeFileSync(target, randomBytes(4096));
    fs.utimesSync(target, st.atime, st.mtime);
    const report = path.join(dir, 'check.txt');
    const after = await runBundle('mirror-bucket', { source: `file://${a}`, destination: `file://${b}`, mode: 'check', 'report-path': report }, { env: credentialEnv(), cwd: dir });
    expect(after.code).toBe(1);
    expect(after.outputs).toMatchObject({ matched: '1', differ: '1', 'in-sync': 'false' });
    expect(fs.readFileSync(report, 'utf8').split('\n').sort()).toEqual(['', '* image.qcow2', '= other.txt']);
    expect(errors(after)).toEqual([expect.stringMatching(/^the stores differ: 0 only in the source, 0 only in the destination, 1 different;/)]);
  });
});

describe('keys of every class, in both directions, through both wire paths', () => {
  // What the default rules make of each key (the rules are not under test here, the keys are).
  const rules = parseVisibilityRules(DEFAULT_RULES_TEXT);
  const acl = (k: string): ObjectCannedACL => (decideVisibility(rules, k).visibility === 'private' ? 'private' : 'public-read');
  const keys = [...AWKWARD_KEYS].sort(compareKeys);
  const body = (k: string) => Buffer.from(`body of ${JSON.stringify(k)}\n`);
  const mirror = (from: ClusterId, fromBucket: string, fromPrefix: string, to: ClusterId, toBucket: string, toPrefix: string, wire: 'lean' | 'sdk', mode: 'copy' | 'check') =>
    runBundle(
      'mirror-bucket',
      {
        source: `${rgw(from).endpoint}/${fromBucket}/${fromPrefix} credentials=env:${from.toUpperCase()}`,
        destination: `${rgw(to).endpoint}/${toBucket}/${toPrefix} credentials=env:${to.toUpperCase()}`,
        mode,
        'verify-visibility': 'all',
      },
      { env: { ...credentialEnv(), CI_STORES_WIRE: wire } },
    );

  test('old -> new through the lean path and new -> old through the SDK path pair the same keys, byte-exact; check mode agrees across paths', async () => {
    const oldBucket = await bucket('old', 'keys-old');
    const newBucket = await bucket('new', 'keys-new');
    for (const k of keys) await put('old', oldBucket, `src/${k}`, { body: body(k), acl: acl(k) });

    const there = await mirror('old', oldBucket, 'src/', 'new', newBucket, 'there/', 'lean', 'copy');
    expect({ code: there.code, errors: errors(there) }).toEqual({ code: 0, errors: [] });
    expect(there.outputs).toMatchObject({ copied: String(keys.length), failed: '0', 'in-sync': 'true' });
    const back = await mirror('new', newBucket, 'there/', 'old', oldBucket, 'back/', 'sdk', 'copy');
    expect({ code: back.code, errors: errors(back) }).toEqual({ code: 0, errors: [] });
    expect(back.outputs).toMatchObject({ copied: String(keys.length), failed: '0', 'in-sync': 'true' });

    expect(await listKeys('new', newBucket)).toEqual(keys.map((k) => `there/${k}`));
    expect((await listKeys('old', oldBucket)).filter((k) => k.startsWith('back/'))).toEqual(keys.map((k) => `back/${k}`));
    for (const k of keys) {
      expect([k, await content('new', newBucket, `there/${k}`)]).toEqual([k, sha256(body(k))]);
      expect([k, await content('old', oldBucket, `back/${k}`)]).toEqual([k, sha256(body(k))]);
      expect([k, await anonymousStatus('old', oldBucket, `back/${k}`)]).toEqual([k, acl(k) === 'private' ? 403 : 200]);
    }
    // Each path lists both sides of the other's copy, and finds every pair the same.
    for (const [wire, from, fromBucket, fromPrefix, to, toBucket, toPrefix] of [
      ['sdk', 'old', oldBucket, 'src/', 'new', newBucket, 'there/'],
      ['lean', 'new', newBucket, 'there/', 'old', oldBucket, 'back/'],
    ] as const) {
      const check = await mirror(from, fromBucket, fromPrefix, to, toBucket, toPrefix, wire, 'check');
      expect({ wire, code: check.code, errors: errors(check) }).toEqual({ wire, code: 0, errors: [] });
      expect(check.outputs).toMatchObject({ matched: String(keys.length), missing: '0', extra: '0', differ: '0', 'in-sync': 'true' });
    }
  });
});
