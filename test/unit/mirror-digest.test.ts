/**
 * The mirror engine with `digest-in-key` on folder stores: copies hashed to the digest their key
 * names, corrupt sources reported and never copied (whole or multipart), the destination proven by
 * its digest in check mode without reading the source, and nothing deleted after a corrupt find.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectStore } from '../../src/storage/object-store';
import { parseDigestInKey } from '../../src/storage/digest-in-key';
import { mirror, type MirrorOptions } from '../../src/sync/mirror';
import { mirrorOptions } from '../helpers/mirror-options';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;
const quay = parseDigestInKey('quay')!;
const blobKey = (digest: string) => `registry/sha256/${digest.slice(0, 2)}/${digest}`;

async function store(objects: Record<string, Buffer>): Promise<LocalStore> {
  const s = new LocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-digest-')));
  for (const [k, v] of Object.entries(objects)) await s.put(k, v, createHash('sha256').update(v).digest(), { visibility: 'public' });
  return s;
}

async function keys(s: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of s.list()) out.push(o.key);
  return out;
}

async function bytes(s: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await s.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `s`, counting the objects read through it. */
function counted(s: ObjectStore): { store: ObjectStore; reads: string[] } {
  const reads: string[] = [];
  const store = Object.assign(Object.create(s) as ObjectStore, {
    read: (key: string) => (reads.push(key), s.read(key)),
    get: (key: string, range?: Parameters<ObjectStore['get']>[1]) => (reads.push(key), s.get(key, range)),
  });
  return { store, reads };
}

/** A good blob, a corrupt one (its content is not the digest its key names), a malformed key, and one the rule does not address. */
function tree() {
  const good = randomBytes(3000);
  const bad = randomBytes(2000);
  const claimed = hex(randomBytes(8));
  const wrongShard = hex(randomBytes(9));
  const stray = randomBytes(100);
  return {
    good: { key: blobKey(hex(good)), body: good },
    corrupt: { key: blobKey(claimed), body: bad },
    malformed: { key: `registry/sha256/${wrongShard.slice(0, 2) === '00' ? '11' : '00'}/${wrongShard}`, body: stray },
    unaddressed: { key: 'registry/_verify', body: Buffer.from('verified\n') },
  };
}

const run = (source: ObjectStore, destination: ObjectStore, extra: Partial<MirrorOptions>) => {
  const { o, lines } = mirrorOptions(source, destination, { digest: quay, ...extra });
  return mirror(o).then((r) => ({ r, lines }));
};

test('a copy verifies each addressed object; a corrupt or malformed one is reported, never copied, and sync deletes nothing', async () => {
  const t = tree();
  const source = await store(Object.fromEntries(Object.values(t).map((o) => [o.key, o.body])));
  const destination = await store({ 'registry/old-only': Buffer.from('x') });
  const { r, lines } = await run(source, destination, { mode: 'sync' });
  expect(r.digest).toMatchObject({ verified: 1, corrupt: 1, malformed: 1, unaddressed: 1, proven: 0 });
  expect(r.counts).toMatchObject({ copied: 2, failed: 0, deleted: 0 });
  expect(r.complete).toBe(false);
  expect(r.deletionsWithheld).toMatch(/1 corrupt source object\(s\) and 1 malformed/);
  expect((await keys(destination)).sort()).toEqual([t.good.key, 'registry/old-only', t.unaddressed.key].sort());
  expect(lines).toEqual(expect.arrayContaining([['#', t.corrupt.key], ['!', t.malformed.key], ['+', t.good.key], ['+', t.unaddressed.key]]));
  expect(r.digest!.found.map((f) => [f.kind, f.key])).toEqual(expect.arrayContaining([['corrupt', t.corrupt.key], ['malformed', t.malformed.key]]));
  expect(await bytes(destination, t.good.key)).toEqual(t.good.body);
});

test('through multipart sizes: a corrupt source is aborted before it completes, with no upload left; a good one is copied whole', async () => {
  const good = randomBytes(11 * MiB + 7);
  const bad = randomBytes(11 * MiB + 7);
  const claimed = hex(randomBytes(8));
  const source = await store({ [blobKey(hex(good))]: good, [blobKey(claimed)]: bad });
  const destination = await store({});
  const { r } = await run(source, destination, { mode: 'copy', partSize: 5 * MiB });
  expect(r.digest).toMatchObject({ verified: 1, corrupt: 1 });
  expect(await keys(destination)).toEqual([blobKey(hex(good))]);
  expect(await destination.listOpenUploads()).toEqual([]);
  expect(hex(await bytes(destination, blobKey(hex(good))))).toBe(hex(good));
});

test('with verification on, a copy the provider could make itself is streamed and hashed instead', async () => {
  const t = tree();
  const source = await store({ [t.good.key]: t.good.body, [t.corrupt.key]: t.corrupt.body });
  const destination = await store({});
  const serverSide: string[] = [];
  const canCopy = Object.assign(Object.create(destination) as ObjectStore, {
    canCopyFrom: () => true,
    copyFrom: async (from: ObjectStore, key: string, to: string, _size: number, options: Parameters<ObjectStore['put']>[3]) => {
      serverSide.push(key);
      const body = await bytes(from, key);
      return destination.put(to, body, createHash('sha256').update(body).digest(), options);
    },
  });
  // Without a rule the provider copies both, the corrupt one included.
  const plain = mirrorOptions(source, canCopy, { mode: 'copy' });
  expect((await mirror(plain.o)).serverSideCopies).toBe(2);
  for (const k of await keys(destination)) await destination.delete(k);
  serverSide.length = 0;
  const { r } = await run(source, canCopy, { mode: 'copy' });
  expect(serverSide).toEqual([]);
  expect(r.serverSideCopies).toBe(0);
  expect(r.digest).toMatchObject({ verified: 1, corrupt: 1 });
  expect(await keys(destination)).toEqual([t.good.key]);
});

test('check mode proves a pair by reading the destination alone; a wrong destination differs; a corrupt source is named', async () => {
  const t = tree();
  const wrong = Buffer.from(t.good.body);
  wrong[100] ^= 1;
  const good2 = randomBytes(500);
  const k2 = blobKey(hex(good2));
  const src = counted(await store({ [t.good.key]: t.good.body, [k2]: good2, [t.corrupt.key]: t.corrupt.body }));
  // The destination: one right, one with a flipped bit (same size, so no listing tells), and the corrupt source's bytes copied as they were.
  const destination = await store({ [t.good.key]: t.good.body, [k2]: wrong.subarray(0, 500), [t.corrupt.key]: t.corrupt.body });
  const { r, lines } = await run(src.store, destination, { mode: 'check' });
  expect(r.methods).toMatchObject({ digest: 3, etag: 0 });
  expect(r.digest).toMatchObject({ proven: 1, corrupt: 1 });
  expect(r.counts).toMatchObject({ matched: 1, differ: 1, copied: 0 });
  expect(lines).toEqual(expect.arrayContaining([['=', t.good.key], ['*', k2], ['#', t.corrupt.key]]));
  // The proven pair's source was never read; the others' were, to tell a wrong copy from a corrupt source.
  expect(src.reads.sort()).toEqual([k2, t.corrupt.key].sort());
  expect(r.complete).toBe(false);
});

test('copy mode replaces a destination that does not match its digest, and keeps one that does without reading the source', async () => {
  const a = randomBytes(4000);
  const b = randomBytes(4000);
  const wrong = Buffer.from(b);
  wrong[0] ^= 0xff;
  const src = counted(await store({ [blobKey(hex(a))]: a, [blobKey(hex(b))]: b }));
  const destination = await store({ [blobKey(hex(b))]: wrong });
  // `a` written in parts: its ETag is not its MD5, so no listing proves the pair.
  const upload = await destination.startMultipart(blobKey(hex(a)), { visibility: 'public' });
  await upload.writePart(1, a, createHash('sha256').update(a).digest());
  await upload.complete();
  const { r } = await run(src.store, destination, { mode: 'copy' });
  expect(r.counts).toMatchObject({ matched: 1, updated: 1, failed: 0 });
  expect(r.digest).toMatchObject({ verified: 1, proven: 1 });
  expect(r.methods).toMatchObject({ etag: 0, digest: 2 });
  expect(await bytes(destination, blobKey(hex(b)))).toEqual(b);
  // Only `b` was read from the source, to copy it.
  expect(src.reads).toEqual([blobKey(hex(b))]);
  expect(r.complete).toBe(true);
});

test('the name-hex preset verifies content-addressed file names the same way', async () => {
  const img = randomBytes(1000);
  const bad = randomBytes(1000);
  const source = await store({ [`fedora-42-${hex(img)}.qcow2`]: img, [`fedora-41-${hex(randomBytes(4))}.qcow2`]: bad, 'README.txt': Buffer.from('hi') });
  const destination = await store({});
  const { r } = await run(source, destination, { mode: 'copy', digest: parseDigestInKey('name-hex') });
  expect(r.digest).toMatchObject({ verified: 1, corrupt: 1, unaddressed: 1 });
  expect((await keys(destination)).sort()).toEqual(['README.txt', `fedora-42-${hex(img)}.qcow2`]);
});
