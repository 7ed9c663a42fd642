/**
 * The contract every ObjectStore implementation must pass, run against the folder store in unit
 * tests and against a real S3 server (Ceph RGW) in integration tests.
 */
import { createHash } from 'node:crypto';
import { StoreError, type ObjectStore } from '../../src/storage/object-store';
import { multipartEtag } from '../../src/storage/etag';
import type { KeyRange } from '../../src/storage/key-range';
import { fixedShard } from '../../src/sync/shard';

const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

async function keys(store: ObjectStore, prefix?: string, range?: KeyRange): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix, range)) out.push(o.key);
  return out;
}

/** Registers the contract tests. `open` returns a fresh, empty store for each test. */
export function describeStoreContract(label: string, open: () => Promise<ObjectStore>): void {
  describe(`ObjectStore contract: ${label}`, () => {
    let store: ObjectStore;
    beforeEach(async () => {
      store = await open();
      await store.preflight();
    });

    test('put, head and get round-trip content, metadata and headers', async () => {
      const body = Buffer.from('hello, stores\n');
      const put = await store.put('a/hello.txt', body, sha(body), {
        visibility: 'private',
        contentType: 'text/plain; charset=utf-8',
        cacheControl: 'max-age=60',
        metadata: { sha256: 'abc', 'build-id': '42' },
      });
      expect(put.etag).toBe(md5(body).toString('hex'));
      const h = await store.head('a/hello.txt');
      expect(h).toMatchObject({ key: 'a/hello.txt', size: body.length, etag: md5(body).toString('hex'), contentType: 'text/plain; charset=utf-8', cacheControl: 'max-age=60' });
      expect(h!.metadata).toMatchObject({ sha256: 'abc', 'build-id': '42' });
      expect(await readAll(await store.get('a/hello.txt'))).toEqual(body);
    });

    test('read streams the object with the same head as HEAD gives; a missing one throws not-found', async () => {
      const body = Buffer.from('read me\n');
      await store.put('r/one.txt', body, sha(body), { visibility: 'private', contentType: 'text/plain', contentEncoding: 'identity', contentDisposition: 'inline', cacheControl: 'no-cache', metadata: { sha256: sha(body).toString('hex'), note: 'x y' } });
      const { head, body: stream } = await store.read('r/one.txt');
      const h = await store.head('r/one.txt');
      expect(await readAll(stream)).toEqual(body);
      expect({ ...head, lastModified: undefined }).toEqual({ ...h, lastModified: undefined });
      expect(head).toMatchObject({ key: 'r/one.txt', size: body.length, contentType: 'text/plain', contentEncoding: 'identity', contentDisposition: 'inline', cacheControl: 'no-cache', metadata: { sha256: sha(body).toString('hex'), note: 'x y' } });
      await expect(store.read('r/none')).rejects.toMatchObject({ kind: 'not-found' });
    });

    test('a missing object: head is undefined, get throws not-found, delete succeeds', async () => {
      expect(await store.head('nope')).toBeUndefined();
      await expect(store.get('nope')).rejects.toMatchObject({ kind: 'not-found' });
      await expect(store.delete('nope')).resolves.toBeUndefined();
    });

    test('a body that does not match its SHA-256 is refused and nothing appears, for PUT and for parts', async () => {
      const body = Buffer.from('content');
      await expect(store.put('bad', body, sha(Buffer.from('other')), { visibility: 'private' })).rejects.toMatchObject({ kind: 'bad-digest' });
      expect(await store.head('bad')).toBeUndefined();
      const part = Buffer.alloc(5 * 1024 * 1024, 9);
      const w = await store.startMultipart('bad-part', { visibility: 'private' });
      await expect(w.writePart(1, part, sha(body))).rejects.toBeInstanceOf(StoreError);
      await w.abort();
      expect(await store.listOpenUploads()).toEqual([]);
    });

    test('listing is sorted in UTF-8 binary order and filtered by prefix', async () => {
      const names = ['b', 'a/x', 'a-c', 'a/y/z', 'Z', 'é', 'a b', 'a+b', 'a%b', 'a#b'];
      for (const k of names) await store.put(k, Buffer.from(k), sha(Buffer.from(k)), { visibility: 'private' });
      const expected = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(await keys(store)).toEqual(expected);
      expect(await keys(store, 'a/')).toEqual(['a/x', 'a/y/z']);
      const sizes: number[] = [];
      for await (const o of store.list('b')) sizes.push(o.size);
      expect(sizes).toEqual([1]);
    });

    test('a key range lists [from, to) only, and shards cover every key exactly once', async () => {
      const names = ['a.txt', 'a/1', 'a/2', 'ab', 'b.txt', 'b/c', 'c', '\u{1F600}x', '\uFFFDy'];
      for (const k of names) await store.put(k, Buffer.from(k), sha(Buffer.from(k)), { visibility: 'private' });
      expect(await keys(store, '', { from: 'a/2', to: 'b/c' })).toEqual(['a/2', 'ab', 'b.txt']);
      expect(await keys(store, 'a/', { from: 'a/2' })).toEqual(['a/2']);
      expect(await keys(store, '', { to: 'a/' })).toEqual(['a.txt']);
      const all = await keys(store);
      for (const count of [1, 2, 3, 7]) {
        const seen: string[] = [];
        for (let i = 1; i <= count; i++) seen.push(...(await keys(store, '', fixedShard(i, count).range)));
        expect(seen).toEqual(all);
      }
    });

    test('a ranged get reads from a byte to the end, and only while the ETag still matches', async () => {
      const body = Buffer.from('0123456789abcdef');
      const { etag } = await store.put('ranged', body, sha(body), { visibility: 'private' });
      expect((await readAll(await store.get('ranged', { start: 10 }))).toString()).toBe('abcdef');
      expect((await readAll(await store.get('ranged', { start: 15 }))).toString()).toBe('f');
      expect((await readAll(await store.get('ranged', { start: 0 }))).toString()).toBe(body.toString());
      expect((await readAll(await store.get('ranged', { start: 4, ifMatch: etag! }))).toString()).toBe('456789abcdef');
      await expect(store.get('ranged', { start: 16 })).rejects.toMatchObject({ kind: 'invalid-request' });
      await expect(store.get('ranged', { start: 99 })).rejects.toMatchObject({ kind: 'invalid-request' });
      await expect(store.get('ranged', { start: 4, ifMatch: md5(Buffer.from('other')).toString('hex') })).rejects.toMatchObject({ kind: 'changed' });
      await expect(store.get('ranged-missing', { start: 4 })).rejects.toMatchObject({ kind: 'not-found' });
      const empty = Buffer.alloc(0);
      await store.put('empty', empty, sha(empty), { visibility: 'private' });
      expect((await readAll(await store.get('empty', { start: 0 }))).length).toBe(0);
    });

    test('multipart: nothing visible until complete, then one object with the multipart ETag', async () => {
      const p1 = Buffer.alloc(5 * 1024 * 1024, 1);
      const p2 = Buffer.from('tail');
      const w = await store.startMultipart('big/object.bin', { visibility: 'private', metadata: { sha256: 'x' } });
      await Promise.all([w.writePart(2, p2, sha(p2)), w.writePart(1, p1, sha(p1))]);
      expect(await store.head('big/object.bin')).toBeUndefined();
      const done = await w.complete();
      expect(done.etag).toBe(multipartEtag([md5(p1), md5(p2)]));
      const h = await store.head('big/object.bin');
      expect(h).toMatchObject({ size: p1.length + p2.length, etag: multipartEtag([md5(p1), md5(p2)]) });
      expect(h!.metadata.sha256).toBe('x');
      // Compare digests: jest's deep equality on MiB-sized buffers takes minutes.
      expect(md5(await readAll(await store.get('big/object.bin'))).toString('hex')).toBe(md5(Buffer.concat([p1, p2])).toString('hex'));
      // A range that starts inside the first part and runs across into the second.
      expect((await readAll(await store.get('big/object.bin', { start: p1.length - 2, ifMatch: done.etag! }))).toString('hex')).toBe('0101' + p2.toString('hex'));
      expect(await store.listOpenUploads()).toEqual([]);
    });

    test('multipart: abort leaves no object and no open upload', async () => {
      const p = Buffer.alloc(5 * 1024 * 1024, 2);
      const w = await store.startMultipart('aborted.bin', { visibility: 'private' });
      await w.writePart(1, p, sha(p));
      expect((await store.listOpenUploads()).length).toBe(1);
      await w.abort();
      await w.abort();
      expect(await store.head('aborted.bin')).toBeUndefined();
      expect(await store.listOpenUploads()).toEqual([]);
    });

    test('overwrite replaces content; delete removes', async () => {
      const a = Buffer.from('one');
      const b = Buffer.from('two!');
      await store.put('k', a, sha(a), { visibility: 'private' });
      await store.put('k', b, sha(b), { visibility: 'private' });
      expect(await readAll(await store.get('k'))).toEqual(b);
      await store.delete('k');
      expect(await store.head('k')).toBeUndefined();
      expect(await keys(store)).toEqual([]);
    });
  });
}
