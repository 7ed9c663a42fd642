/**
 * The mirror engine on folder stores: the safety rules that must hold whatever the provider.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectInfo, ObjectStore, WriteOptions } from '../../src/storage/object-store';
import type { KeyRange } from '../../src/storage/key-range';
import { ManifestReader, ManifestWriter } from '../../src/sync/manifest';
import { march } from '../../src/sync/march';
import { mirror, type MirrorOptions } from '../../src/sync/mirror';
import { mirrorOptions } from '../helpers/mirror-options';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-'));

async function store(files: Record<string, string>): Promise<LocalStore> {
  const s = new LocalStore(tmp());
  for (const [k, v] of Object.entries(files)) await s.put(k, Buffer.from(v), sha(Buffer.from(v)), { visibility: 'public' });
  return s;
}

/** A store whose listing fails after `after` entries, as a lost connection on a later page would. */
function failingList(s: ObjectStore, after: number): ObjectStore {
  return Object.assign(Object.create(s) as ObjectStore, {
    async *listPages(prefix?: string, range?: KeyRange): AsyncIterable<readonly ObjectInfo[]> {
      let n = 0;
      for await (const o of s.list(prefix, range)) {
        if (n++ === after) throw new Error('listing page 2: connection reset');
        yield [o];
      }
    },
  });
}

const options = mirrorOptions;

const keys = async (s: ObjectStore) => {
  const out: string[] = [];
  for await (const o of s.list()) out.push(o.key);
  return out;
};

test('march joins two sorted listings across page boundaries, filters, and refuses one out of order', async () => {
  /** Pages of `size` entries, and an empty page now and then, as a server may send. */
  async function* of(size: number, ...k: string[]) {
    for (let i = 0; i < k.length; i += size) {
      yield k.slice(i, i + size).map((key) => ({ key, size: 1 }));
      if (i === 0) yield [];
    }
  }
  const join = async (a: AsyncIterable<readonly ObjectInfo[]>, b: AsyncIterable<readonly ObjectInfo[]>, keep?: (k: string) => boolean) => {
    const out: string[] = [];
    for await (const batch of march(a, b, keep)) for (const p of batch) out.push(`${p.source ? 's' : '-'}${p.destination ? 'd' : '-'} ${p.key}`);
    return out;
  };
  const src = ['a', 'c', 'd', 'f', 'g', 'x'];
  const dst = ['b', 'c', 'e', 'f', 'x', 'y', 'z'];
  const expected = ['s- a', '-d b', 'sd c', 's- d', '-d e', 'sd f', 's- g', 'sd x', '-d y', '-d z'];
  for (const [p, q] of [[1, 1], [2, 3], [5, 1], [10, 10]] as const) expect(await join(of(p, ...src), of(q, ...dst))).toEqual(expected);
  expect(await join(of(2, ...src), of(2, ...dst), (k) => k !== 'c' && k !== 'y')).toEqual(expected.filter((l) => !l.endsWith(' c') && !l.endsWith(' y')));
  expect(await join(of(2), of(3, ...dst))).toEqual(dst.map((k) => `-d ${k}`));
  await expect(join(of(1, 'b', 'a'), of(1))).rejects.toThrow(/not in UTF-8 binary order/);
  await expect(join(of(1), of(3, 'a', 'c', 'b'))).rejects.toThrow(/the destination listing is not in UTF-8 binary order/);
});

test('a listing that fails on the source deletes nothing, and says so', async () => {
  const source = await store({ a: '1', b: '2', c: '3' });
  const destination = await store({ a: '1', x: 'only here', y: 'only here too' });
  const { o } = options(failingList(source, 1), destination);
  const r = await mirror(o);
  expect(r.listingError).toMatch(/connection reset/);
  expect(r.complete).toBe(false);
  expect(r.counts.deleted).toBe(0);
  expect(await keys(destination)).toEqual(['a', 'x', 'y']);
});

test('a listing that fails on the destination deletes nothing either', async () => {
  const source = await store({ a: '1' });
  const destination = await store({ b: 'x', c: 'y', d: 'z' });
  const { o } = options(source, failingList(destination, 2));
  const r = await mirror(o);
  expect(r.listingError).toMatch(/connection reset/);
  expect(r.counts.deleted).toBe(0);
  expect(await keys(destination)).toEqual(expect.arrayContaining(['b', 'c', 'd']));
});

test('a failed transfer withholds every deletion', async () => {
  const source = await store({ a: '1', b: '2' });
  const destination = await store({ z: 'extra' });
  const broken = Object.assign(Object.create(source) as ObjectStore, {
    get: async (key: string) => {
      if (key === 'b') throw new Error('GET b: 500 InternalError');
      return source.get(key);
    },
  });
  const { o } = options(broken, destination);
  const r = await mirror(o);
  expect(r.counts).toMatchObject({ copied: 1, failed: 1, deleted: 0, skipped: 1 });
  expect(r.deletionsWithheld).toMatch(/1 object\(s\) failed/);
  expect(await keys(destination)).toEqual(['a', 'z']);
});

test('an interrupted run starts nothing new and deletes nothing', async () => {
  const source = await store({ a: '1', b: '2', c: '3' });
  const destination = await store({ z: 'extra' });
  let n = 0;
  const { o } = options(source, destination, { stopped: () => ++n > 2 });
  const r = await mirror(o);
  expect(r.counts.deleted).toBe(0);
  expect(r.complete).toBe(false);
  expect(await keys(destination)).toContain('z');
});

test('a source that changes size between listing and copy is not copied half-known', async () => {
  const source = await store({ a: 'short' });
  const listed = Object.assign(Object.create(source) as ObjectStore, {
    async *listPages(): AsyncIterable<readonly ObjectInfo[]> {
      yield [{ key: 'a', size: 3 }];
    },
  });
  const destination = await store({});
  const { o } = options(listed, destination);
  const r = await mirror(o);
  expect(r.counts.failed).toBe(1);
  expect(r.failures[0]!.reason).toMatch(/changed in the source while mirroring/);
  expect(await keys(destination)).toEqual([]);
});

test('a dry run writes and deletes nothing but reports what it would do', async () => {
  const source = await store({ a: '1', b: 'new' });
  const destination = await store({ b: 'old', z: 'extra' });
  const { o, lines } = options(source, destination, { dryRun: true });
  const r = await mirror(o);
  expect(r.counts).toMatchObject({ copied: 1, updated: 1, deleted: 1 });
  expect(lines.sort()).toEqual([['*', 'b'], ['+', 'a'], ['-', 'z']]);
  expect(await keys(destination)).toEqual(['b', 'z']);
});

test('the manifest written in one run proves pairs in the next, and one for other stores is refused', async () => {
  const dir = tmp();
  const file = path.join(dir, 'm.gz');
  const id = { source: 'S', destination: 'D' };
  const w = new ManifestWriter(file, id);
  for (const k of ['a', 'b/c', 'é', '\u{1F600}']) await w.add({ key: k, sourceEtag: `e-${k}`, size: 3, destinationEtag: `d-${k}` });
  await expect(w.add({ key: 'a', sourceEtag: 'x', size: 1, destinationEtag: 'y' })).rejects.toThrow(/out of order/);
  await w.close();
  const { reader } = await ManifestReader.open(file, id);
  expect(await reader!.lookup('0')).toBeUndefined();
  expect(await reader!.lookup('b/c')).toEqual({ key: 'b/c', sourceEtag: 'e-b/c', size: 3, destinationEtag: 'd-b/c' });
  expect(await reader!.lookup('c')).toBeUndefined();
  expect((await reader!.lookup('\u{1F600}'))?.destinationEtag).toBe('d-\u{1F600}');
  expect((await ManifestReader.open(file, { source: 'S', destination: 'other' })).reason).toMatch(/another pair of stores/);
  fs.writeFileSync(path.join(dir, 'junk.gz'), 'not gzip');
  expect((await ManifestReader.open(path.join(dir, 'junk.gz'), id)).reason).toMatch(/not a readable manifest/);
});

test('private objects are not written where the bucket policy would expose them', async () => {
  const source = await store({ 'rhel-9.qcow2': 'secret', 'fedora.qcow2': 'open' });
  const destination = await store({});
  const exposing = Object.assign(Object.create(destination) as ObjectStore, {
    locate: (key: string) => ({ bucket: 'b', key }),
    policy: async () => ({ kind: 'document', text: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }) }),
  });
  const { o } = options(source, exposing, { mode: 'copy' });
  const r = await mirror(o);
  expect(r.counts).toMatchObject({ copied: 1, failed: 1 });
  expect(r.failures[0]).toMatchObject({ key: 'rhel-9.qcow2' });
  expect(r.failures[0]!.reason).toMatch(/lets anyone read/);
  expect(await keys(destination)).toEqual(['fedora.qcow2']);
});

test('a destination whose bucket policy cannot be read gets private copies only when they are checked anonymously after writing', async () => {
  const source = await store({ 'rhel-9.qcow2': 'secret', 'fedora.qcow2': 'open' });
  const unreadable = (s: ObjectStore) =>
    Object.assign(Object.create(s) as ObjectStore, {
      locate: (key: string) => ({ bucket: 'b', key }),
      policy: async () => ({ kind: 'unknown', reason: 'AccessDenied' }),
      anonymousAddress: (k: string) => ({ protocol: 'http:', hostname: 'store.invalid', host: 'store.invalid', path: `/${k}` }),
    });
  // verify-visibility none: nothing would catch an exposing policy, so the private copy is refused.
  const unchecked = await store({});
  const none = options(source, unreadable(unchecked), { mode: 'copy', verifyVisibility: 'none', probe: async () => ({ access: 'readable', status: 200 }) });
  const r = await mirror(none.o);
  expect(r.counts).toMatchObject({ copied: 1, failed: 1 });
  expect(r.failures).toEqual([{ key: 'rhel-9.qcow2', reason: expect.stringMatching(/^copy: not written: cannot read the bucket policy \(AccessDenied\) and verify-visibility is none .*; set input "verify-visibility" to private or all, or let these credentials read the bucket policy/) }]);
  expect(await keys(unchecked)).toEqual(['fedora.qcow2']);
  // verify-visibility private: written, then checked anonymously (here shown private); one warning.
  const checked = await store({});
  const warnings: string[] = [];
  const priv = options(source, unreadable(checked), { mode: 'copy', verifyVisibility: 'private', probe: async () => ({ access: 'denied', status: 403 }) });
  const r2 = await mirror({ ...priv.o, events: { ...priv.o.events, warning: (m) => void warnings.push(m) } });
  expect(r2.counts).toMatchObject({ copied: 2, failed: 0 });
  expect(await keys(checked)).toEqual(['fedora.qcow2', 'rhel-9.qcow2']);
  expect(warnings).toEqual([expect.stringMatching(/cannot read the bucket policy \(AccessDenied\); private objects are checked with an anonymous request after writing/)]);
});

/**
 * Copies a private rhel image to an empty store whose objects have an anonymous address
 * (http://store.invalid/KEY), checking private objects with a probe that answers `answer`.
 */
async function copyRhelProbed(answer: Awaited<ReturnType<NonNullable<MirrorOptions['probe']>>>) {
  const source = await store({ 'rhel-9.qcow2': 'secret' });
  const destination = await store({});
  const anonymous = Object.assign(Object.create(destination) as ObjectStore, { anonymousAddress: (k: string) => ({ protocol: 'http:', hostname: 'store.invalid', host: 'store.invalid', path: `/${k}` }) });
  const { o } = options(source, anonymous, { mode: 'copy', verifyVisibility: 'private', probe: async () => answer });
  return mirror(o);
}

test('an object found exposed after writing fails the run', async () => {
  const r = await copyRhelProbed({ access: 'readable', status: 200 });
  expect(r.counts.failed).toBe(1);
  expect(r.failures[0]!.reason).toMatch(/EXPOSED/);
});

test('a 404 to the anonymous check of a private object just written fails the copy: it proves nothing', async () => {
  const r = await copyRhelProbed({ access: 'missing', status: 404 });
  expect(r.counts).toMatchObject({ copied: 0, failed: 1 });
  expect(r.complete).toBe(false);
  expect(r.failures[0]!.reason).toMatch(/answered HTTP 404, yet a signed HEAD finds the object: .*not shown private/);
});

test('a failed anonymous check of a private object just written fails the copy', async () => {
  const r = await copyRhelProbed({ access: 'error', reason: 'ECONNRESET' });
  expect(r.counts.failed).toBe(1);
  expect(r.failures[0]!.reason).toMatch(/anonymous check failed \(ECONNRESET\): not shown private/);
});

test('an object written private (its marker) is copied private whatever its key says, whole or in parts, and guarded the same', async () => {
  // Content-addressed keys: the rules see only hex, which they call public.
  const source = new LocalStore(tmp());
  const big = Buffer.alloc(40 * 1024, 7);
  await source.put('img/aa.qcow2', Buffer.from('rhel'), sha(Buffer.from('rhel')), { visibility: 'private' });
  await source.put('img/bb.qcow2', Buffer.from('fedora'), sha(Buffer.from('fedora')), { visibility: 'public' });
  await source.put('img/cc.qcow2', big, sha(big), { visibility: 'private' });
  const written = new Map<string, string>();
  const recording = (s: ObjectStore): ObjectStore =>
    Object.assign(Object.create(s) as ObjectStore, {
      put: (key: string, body: Buffer, digest: Buffer, w: WriteOptions) => (written.set(key, w.visibility), s.put(key, body, digest, w)),
      startMultipart: (key: string, w: WriteOptions) => (written.set(key, w.visibility), s.startMultipart(key, w)),
    });
  const destination = new LocalStore(tmp());
  const { o, lines } = options(source, recording(destination), { mode: 'copy', partSize: 16 * 1024 });
  const r = await mirror(o);
  expect(r.counts).toMatchObject({ copied: 3, failed: 0 });
  expect(Object.fromEntries(written)).toEqual({ 'img/aa.qcow2': 'private', 'img/bb.qcow2': 'public', 'img/cc.qcow2': 'private' });
  // The copies carry the marker on, for the next mirror and the audit.
  expect((await destination.head('img/aa.qcow2'))!.metadata).toMatchObject({ visibility: 'private' });
  expect((await destination.head('img/bb.qcow2'))!.metadata.visibility).toBeUndefined();
  expect(lines.map(([, k]) => k).sort()).toEqual(['img/aa.qcow2', 'img/bb.qcow2', 'img/cc.qcow2']);

  // Where the bucket policy would expose it, the marked object is refused with nothing written.
  written.clear();
  const exposing = Object.assign(recording(new LocalStore(tmp())), {
    locate: (key: string) => ({ bucket: 'b', key }),
    policy: async () => ({ kind: 'document', text: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }) }),
  });
  const refused = await mirror(options(source, exposing, { mode: 'copy', partSize: 16 * 1024 }).o);
  expect(refused.counts).toMatchObject({ copied: 1, failed: 2 });
  expect(refused.failures.map((f) => f.key).sort()).toEqual(['img/aa.qcow2', 'img/cc.qcow2']);
  for (const f of refused.failures) expect(f.reason).toMatch(/lets anyone read/);
  expect([...written.keys()]).toEqual(['img/bb.qcow2']);
});

// ---- What a sync writes and deletes late: backups, the delete delay, later phases ----

test('a sync backs up an object before deleting it only where strangers cannot read the backup, and checks the backup anonymously', async () => {
  const exposingBackups = (s: ObjectStore, policy: Awaited<ReturnType<ObjectStore['policy']>>) =>
    Object.assign(Object.create(s) as ObjectStore, {
      locate: (key: string) => ({ bucket: 'b', key }),
      policy: async () => policy,
      anonymousAddress: (k: string) => ({ protocol: 'http:', hostname: 'store.invalid', host: 'store.invalid', path: `/${k}` }),
    });
  const source = await store({ 'fedora.qcow2': 'open' });
  // The project's own example policy: everything but rhel* public; a backup prefix it does not cover.
  const notRhel = { kind: 'document', text: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::b/rhel*' }] }) } as const;
  const dest = await store({ 'fedora.qcow2': 'open', 'rhel-9.qcow2': 'secret' });
  const r = await mirror(options(source, exposingBackups(dest, notRhel), { backupPrefix: 'deleted/' }).o);
  expect(r.counts).toMatchObject({ deleted: 0, failed: 1 });
  expect(r.failures[0]!.reason).toMatch(/^delete: backup refused: .*lets anyone read.*; rhel-9\.qcow2 was kept$/);
  expect(await keys(dest)).toEqual(['fedora.qcow2', 'rhel-9.qcow2']);
  // Unreadable policy and verify-visibility none: nothing could show the backup private.
  const dest2 = await store({ 'fedora.qcow2': 'open', 'rhel-9.qcow2': 'secret' });
  const r2 = await mirror(options(source, exposingBackups(dest2, { kind: 'unknown', reason: 'AccessDenied' }), { backupPrefix: 'deleted/' }).o);
  expect(r2.counts).toMatchObject({ deleted: 0, failed: 1 });
  expect(await keys(dest2)).toEqual(['fedora.qcow2', 'rhel-9.qcow2']);
  // Unreadable policy, verify-visibility private: backed up, checked anonymously; readable by a stranger: kept.
  const dest3 = await store({ 'fedora.qcow2': 'open', 'rhel-9.qcow2': 'secret' });
  const r3 = await mirror(options(source, exposingBackups(dest3, { kind: 'unknown', reason: 'AccessDenied' }), { backupPrefix: 'deleted/', verifyVisibility: 'private', probe: async () => ({ access: 'readable', status: 200 }) }).o);
  expect(r3.counts).toMatchObject({ deleted: 0, failed: 1 });
  expect(r3.failures[0]!.reason).toMatch(/^delete: backup deleted\/rhel-9\.qcow2: .*EXPOSED.*; rhel-9\.qcow2 was kept$/);
  expect(await keys(dest3)).toContain('rhel-9.qcow2');
  // Denied to strangers: backed up and deleted.
  const dest4 = await store({ 'fedora.qcow2': 'open', 'rhel-9.qcow2': 'secret' });
  const r4 = await mirror(options(source, exposingBackups(dest4, { kind: 'unknown', reason: 'AccessDenied' }), { backupPrefix: 'deleted/', verifyVisibility: 'private', probe: async () => ({ access: 'denied', status: 403 }) }).o);
  expect(r4.counts).toMatchObject({ deleted: 1, failed: 0 });
  expect(await keys(dest4)).toEqual(['deleted/rhel-9.qcow2', 'fedora.qcow2']);
});

test('after a delete delay an object is deleted only if the destination still holds it as listed and the source still lacks it', async () => {
  const source = await store({ 'a.rpm': 'a' });
  const destination = await store({ 'a.rpm': 'a', 'old.rpm': 'old', 'back.rpm': 'back', 'rewritten.rpm': 'one' });
  const publication = { last: [], deleteDelayMs: 20 };
  // During the wait: back.rpm comes back to the source, rewritten.rpm is written again in the destination.
  const { o, lines } = options(source, destination, { publication });
  const run = mirror(o);
  await new Promise((r) => setTimeout(r, 5));
  await source.put('back.rpm', Buffer.from('back'), sha(Buffer.from('back')), { visibility: 'public' });
  await destination.put('rewritten.rpm', Buffer.from('two'), sha(Buffer.from('two')), { visibility: 'public' });
  const r = await run;
  expect(r.counts).toMatchObject({ deleted: 1, failed: 0 });
  expect(await keys(destination)).toEqual(['a.rpm', 'back.rpm', 'rewritten.rpm']);
  expect(lines.filter(([m]) => m === '-').map(([, k]) => k).sort()).toEqual(['back.rpm', 'old.rpm', 'rewritten.rpm']);
});

test('a later phase copies only the object it listed: one rewritten in the source since (same size) fails, and no later phase starts', async () => {
  const { parsePublishLast } = await import('../../src/steps/mirror-bucket/publication-inputs');
  const source = await store({ 'Packages/a.rpm': 'a', 'repodata/primary.xml': 'p1', 'repodata/repomd.xml': 'r1' });
  const destination = await store({});
  let rewrite = true;
  // The first phase-0 write rewrites repodata/primary.xml in the source (same size): the listing is old now.
  const racing = Object.assign(Object.create(destination) as ObjectStore, {
    put: async (...args: Parameters<ObjectStore['put']>) => {
      if (rewrite && args[0] === 'Packages/a.rpm') {
        rewrite = false;
        await source.put('repodata/primary.xml', Buffer.from('p2'), sha(Buffer.from('p2')), { visibility: 'public' });
      }
      return destination.put(...args);
    },
  });
  const { o } = options(source, racing, { mode: 'copy', publication: { last: parsePublishLast('repodata/**\nrepodata/repomd.xml'), deleteDelayMs: 0 } });
  const r = await mirror(o);
  expect(r.counts.failed).toBe(1);
  expect(r.failures[0]).toMatchObject({ key: 'repodata/primary.xml' });
  expect(r.failures[0]!.reason).toMatch(/rewritten in the source since it was listed/);
  expect(await keys(destination)).toEqual(['Packages/a.rpm']);
});

test('a copy up to part-size checks the sha256 the source records even when its key names its digest', async () => {
  const { parseDigestInKey } = await import('../../src/storage/digest-in-key');
  const body = Buffer.from('blob');
  const digest = sha(body).toString('hex');
  const source = new LocalStore(tmp());
  await source.put(`sha256/${digest.slice(0, 2)}/${digest}`, body, sha(body), { visibility: 'public', metadata: { sha256: 'f'.repeat(64) } });
  const destination = await store({});
  const r = await mirror(options(source, destination, { mode: 'copy', digest: parseDigestInKey('quay') }).o);
  expect(r.counts).toMatchObject({ copied: 0, failed: 1 });
  expect(r.failures[0]!.reason).toMatch(/the source records f{64}/);
  expect(await keys(destination)).toEqual([]);
});
