/**
 * A manifest written by one shard keeps what the file proved outside that shard's range, and the
 * cache key of a shard slot does not move when the shards are re-planned.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { manifestCacheKey, ManifestReader, ManifestWriter, type ManifestEntry } from '../../src/sync/manifest';
import { awkwardKey } from '../helpers/awkward-keys';
import { checkProperty } from '../helpers/property';

const id = { source: 'https://old.example/bucket/', destination: 'https://new.example/bucket/' };
/** The oracle's key order: UTF-8 bytes, as S3 lists (written here, not imported). */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const inside = (key: string, from?: string, to?: string) => (from === undefined || byBytes(key, from) >= 0) && (to === undefined || byBytes(key, to) < 0);
const entry = (key: string, tag: string): ManifestEntry => ({ key, sourceEtag: `"${tag}-s"`, size: key.length, destinationEtag: `"${tag}-d"` });

async function readAll(file: string): Promise<ManifestEntry[]> {
  const { reader } = await ManifestReader.open(file, id);
  const out: ManifestEntry[] = [];
  for (let e = await reader!.peek(); e !== undefined; e = await reader!.peek()) {
    out.push(e);
    reader!.take();
  }
  return out;
}

async function write(file: string, entries: ManifestEntry[], range?: { from?: string; to?: string }): Promise<ManifestWriter> {
  const w = new ManifestWriter(file, id, range === undefined ? undefined : (k) => !inside(k, range.from, range.to));
  for (const e of entries) await w.add(e);
  await w.close();
  return w;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-carry-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a shard run keeps the entries outside its range and replaces those inside (oracle: filter and sort by UTF-8 bytes)', async () => {
  let n = 0;
  const arb = fc.record({
    old: fc.uniqueArray(awkwardKey, { maxLength: 40 }),
    fresh: fc.uniqueArray(awkwardKey, { maxLength: 20 }),
    from: fc.option(awkwardKey, { nil: undefined }),
    to: fc.option(awkwardKey, { nil: undefined }),
  });
  await checkProperty(
    'manifest: a shard keeps what it did not see',
    fc.asyncProperty(arb, async ({ old, fresh, from, to }) => {
      fc.pre(from !== undefined || to !== undefined);
      const file = path.join(dir, `m${n++}.gz`);
      await write(file, [...old].sort(byBytes).map((k) => entry(k, 'old')));
      const added = fresh.filter((k) => inside(k, from, to)).sort(byBytes);
      const w = await write(file, added.map((k) => entry(k, 'new')), { from, to });
      const kept = old.filter((k) => !inside(k, from, to));
      const expected = [...kept.map((k) => entry(k, 'old')), ...added.map((k) => entry(k, 'new'))].sort((a, b) => byBytes(a.key, b.key));
      expect(await readAll(file)).toEqual(expected);
      expect([w.entries, w.carriedOver]).toEqual([expected.length, kept.length]);
    }),
    200,
  );
});

test('lookups asked for all at once, in key order (one per pair in flight), each find their entry', async () => {
  const file = path.join(dir, 'concurrent.gz');
  const keys = Array.from({ length: 50 }, (_, i) => `img-${String(i).padStart(2, '0')}.qcow2`);
  await write(file, keys.filter((_, i) => i % 3 !== 0).map((k) => entry(k, 'k')));
  const { reader } = await ManifestReader.open(file, id);
  const found = await Promise.all(keys.map((k) => reader!.lookup(k)));
  expect(found.map((e, i) => [keys[i], e?.key])).toEqual(keys.map((k, i) => [k, i % 3 !== 0 ? k : undefined]));
});

test('an ETag holding a tab or a line break is never written (it would forge a field or a line)', async () => {
  const file = path.join(dir, 'etags.gz');
  const w = new ManifestWriter(file, id);
  await w.add({ key: 'a', sourceEtag: 'x\n"b"\tE\t5\tD', size: 1, destinationEtag: 'y' });
  await w.add({ key: 'c', sourceEtag: 's', size: 1, destinationEtag: 'd\te' });
  await w.add(entry('d', 'ok'));
  await w.close();
  expect((await readAll(file)).map((e) => e.key)).toEqual(['d']);
  expect(w.entries).toBe(1);
});

test('keys holding U+2028 or U+2029 are one line each, and a line cut there in an old file proves nothing', async () => {
  const file = path.join(dir, 'separators.gz');
  const keys = ['a\u2028"b"', 'b', 'c\u2029d', 'e\r\nf'];
  await write(file, keys.map((k) => entry(k, 'k')));
  expect((await readAll(file)).map((e) => e.key)).toEqual(keys);
  // A file as the earlier reader saw one: the U+2028 of a key raw. Only "\n" ends a line now.
  const raw = path.join(dir, 'raw.gz');
  const header = JSON.stringify({ format: 'ci-stores-mirror-manifest/1', ...id });
  fs.writeFileSync(raw, zlib.gzipSync(`${header}\n"a\u2028"b"\t"e"\t1\t"d"\n`));
  const { reader } = await ManifestReader.open(raw, id);
  expect(await reader!.lookup('b')).toBeUndefined();
});

test('a run over all keys carries nothing over; no previous file is no carry; another pair\'s file is not carried', async () => {
  const file = path.join(dir, 'whole.gz');
  await write(file, ['a', 'm', 'z'].map((k) => entry(k, 'old')));
  await write(file, [entry('m', 'new')]);
  expect((await readAll(file)).map((e) => e.key)).toEqual(['m']);
  const none = path.join(dir, 'none.gz');
  expect((await write(none, [entry('m', 'new')], { from: 'b', to: 'n' })).carriedOver).toBe(0);
  const other = path.join(dir, 'other.gz');
  const w = new ManifestWriter(other, { source: 'x', destination: 'y' });
  await w.add(entry('a', 'x'));
  await w.close();
  expect((await write(other, [entry('m', 'new')], { from: 'b' })).carriedOver).toBe(0);
});

test('a shard slot keeps its cache key when the plan moves its cuts; slots and pairs differ', () => {
  const first = { index: 2, count: 4, range: { from: 'fedora-40', to: 'rhel-8' } };
  const replanned = { index: 2, count: 4, range: { from: 'fedora-41', to: 'rhel-9' } };
  expect(manifestCacheKey(id, first)).toBe(manifestCacheKey(id, replanned));
  expect(manifestCacheKey(id, first)).not.toBe(manifestCacheKey(id, { index: 3, count: 4 }));
  expect(manifestCacheKey(id, first)).not.toBe(manifestCacheKey(id, { index: 2, count: 5 }));
  expect(manifestCacheKey(id, first)).not.toBe(manifestCacheKey({ ...id, destination: 'https://other.example/b/' }, first));
  expect(manifestCacheKey(id, first)).toMatch(/^ci-stores-mirror-[0-9a-f]{16}-2of4-$/);
});
