/**
 * The contract every ObjectStore implementation must pass, run against the folder store in unit
 * tests and against a real S3 server (Ceph RGW) in integration tests.
 */
import { createHash } from 'node:crypto';
import { StoreError } from '../../src/errors';
import type { ObjectStore } from '../../src/storage/object-store';
import { multipartEtag } from '../../src/storage/etag';
import type { KeyRange } from '../../src/storage/key-range';
import { fixedShard } from '../../src/storage/key-range';

const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

/** Every byte of a stream, such as an object's body. */
export async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** An object's whole content, read through the store. */
export async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  return readAll(await store.get(key));
}

async function keys(store: ObjectStore, prefix?: string, range?: KeyRange): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix, range)) out.push(o.key);
  return out;
}

/**
 * What a suite can do to a store from outside it, for the parts of the contract about what others
 * change behind its back. A store that cannot be changed so (or not from a test) leaves them out,
 * and those tests are skipped for it.
 */
export interface BehindTheStore {
  /**
   * Puts entries under `prefix` that the store holds but cannot list as objects (for a folder: a
   * name that is not UTF-8, a symbolic link, a FIFO); resolves how many there are.
   */
  readonly plantUncarriable?: (store: ObjectStore, prefix: string) => Promise<number>;
  /** Replaces the content of `key` with `body` without going through the store, keeping what it can of the old object's stamps. */
  readonly replaceContent?: (store: ObjectStore, key: string, body: Buffer) => Promise<void>;
}

/** Registers the contract tests. `open` returns a fresh, empty store for each test. */
export function describeStoreContract(label: string, open: () => Promise<ObjectStore>, behind: BehindTheStore = {}): void {
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

    test('multipart: the headers given at the start are the object\'s; a write over it replaces them', async () => {
      const p1 = Buffer.alloc(5 * 1024 * 1024, 3);
      const p2 = Buffer.from('end');
      const w = await store.startMultipart('img/disk.iso', { visibility: 'private', contentType: 'application/x-iso9660-image', cacheControl: 'public, max-age=86400', metadata: { sha256: 'y' } });
      await w.writePart(1, p1, sha(p1));
      await w.writePart(2, p2, sha(p2));
      await w.complete();
      expect(await store.head('img/disk.iso')).toMatchObject({ size: p1.length + p2.length, contentType: 'application/x-iso9660-image', cacheControl: 'public, max-age=86400', metadata: { sha256: 'y' } });
      // The same content again, with other headers, in one PUT: the old ones do not linger.
      const whole = Buffer.concat([p1, p2]);
      await store.put('img/disk.iso', whole, sha(whole), { visibility: 'private', contentType: 'application/octet-stream', metadata: { sha256: 'y' } });
      const h = await store.head('img/disk.iso');
      expect(h).toMatchObject({ contentType: 'application/octet-stream', metadata: { sha256: 'y' } });
      expect(h!.cacheControl ?? '').toBe('');
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

    (behind.plantUncarriable ? test : test.skip)('a listing that meets entries it cannot carry yields the rest, then throws uncarriable; other prefixes and ranges list whole', async () => {
      for (const k of ['a/1', 'b/1', 'b/3', 'c/1']) await store.put(k, Buffer.from(k), sha(Buffer.from(k)), { visibility: 'private' });
      const planted = await behind.plantUncarriable!(store, 'b/');
      expect(planted).toBeGreaterThan(0);
      const seen: string[] = [];
      let error: unknown;
      try {
        for await (const o of store.list()) seen.push(o.key);
      } catch (e) {
        error = e;
      }
      expect(seen).toEqual(['a/1', 'b/1', 'b/3', 'c/1']);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ kind: 'uncarriable' });
      const pages: string[] = [];
      await expect(
        (async () => {
          for await (const page of store.listPages('b/')) pages.push(...page.map((o) => o.key));
        })(),
      ).rejects.toMatchObject({ kind: 'uncarriable' });
      expect(pages).toEqual(['b/1', 'b/3']);
      expect(await keys(store, 'a/')).toEqual(['a/1']);
      expect(await keys(store, 'c')).toEqual(['c/1']);
      expect(await keys(store, '', { to: 'b/' })).toEqual(['a/1']);
      expect(await keys(store, '', { from: 'c' })).toEqual(['c/1']);
    });

    (behind.replaceContent ? test : test.skip)('content replaced behind the store: head, list and a conditional get answer for the new bytes, never the old ETag', async () => {
      const a = Buffer.from('same size, first');
      const b = Buffer.from('same size, other');
      const { etag } = await store.put('k', a, sha(a), { visibility: 'private', metadata: { sha256: sha(a).toString('hex') } });
      await behind.replaceContent!(store, 'k', b);
      const h = await store.head('k');
      expect(h).toMatchObject({ size: b.length, etag: md5(b).toString('hex') });
      // A recorded sha256 is about content: it follows the content or goes.
      expect([undefined, sha(b).toString('hex')]).toContain(h!.metadata.sha256);
      const listed: (string | undefined)[] = [];
      for await (const o of store.list()) listed.push(o.etag);
      expect(listed).toEqual([md5(b).toString('hex')]);
      await expect(store.get('k', { start: 1, ifMatch: etag! })).rejects.toMatchObject({ kind: 'changed' });
      // Written through the store again: its ETag is the recorded one.
      await store.put('k', a, sha(a), { visibility: 'private' });
      expect((await store.head('k'))!.etag).toBe(md5(a).toString('hex'));
    });
  });
}
