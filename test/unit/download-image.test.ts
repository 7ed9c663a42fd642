/**
 * The download-image engine on folder stores: store choice, resume, verification, atomic rename,
 * retries from where a stream broke, and what is left on disk when it fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ConfigurationError } from '../../src/config/configuration-error';
import { downloadImage, DownloadFailedError, type DownloadRequest } from '../../src/download/download-image';
import { writeRecord } from '../../src/download/part-file';
import type { DownloadSource } from '../../src/download/sources';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectStore, ReadRange } from '../../src/storage/object-store';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sha = (b: Buffer) => createHash('sha256').update(b).digest();
const tmp = (stem: string) => fs.mkdtempSync(path.join(os.tmpdir(), `${stem}-`));

const image = randomBytes(300 * 1024 + 7);
const good = hex(image);

async function folderStore(objects: Record<string, { body: Buffer; sha256?: string }> = {}): Promise<LocalStore> {
  const store = new LocalStore(tmp('store'));
  for (const [key, o] of Object.entries(objects)) {
    await store.put(key, o.body, sha(o.body), { visibility: 'private', metadata: o.sha256 ? { sha256: o.sha256 } : {} });
  }
  return store;
}

/** A store whose methods can be replaced; everything else is the folder store's. */
function wrap(inner: ObjectStore, overrides: Partial<ObjectStore>): ObjectStore {
  return Object.assign(Object.create(inner) as ObjectStore, overrides);
}

/** Records every ranged read a store serves. */
function recordGets(inner: ObjectStore, starts: number[]): ObjectStore {
  return wrap(inner, {
    get: (key: string, range?: ReadRange) => {
      starts.push(range?.start ?? 0);
      return inner.get(key, range);
    },
  });
}

function run(over: Partial<DownloadRequest> & Pick<DownloadRequest, 'key' | 'dest' | 'sources'>) {
  const log: string[] = [];
  const req: DownloadRequest = {
    order: 'listed',
    requireSha256: true,
    retries: 2,
    sleep: async () => {},
    events: {
      info: (m) => log.push(`info: ${m}`),
      debug: (m) => log.push(`debug: ${m}`),
      warning: (m) => log.push(`warning: ${m}`),
      progress: () => {},
    },
    ...over,
  };
  return { log, promise: downloadImage(req) };
}

function leftovers(dest: string): string[] {
  return fs.readdirSync(path.dirname(dest)).filter((n) => n.startsWith(path.basename(dest)) && n !== path.basename(dest));
}

describe('choosing the store', () => {
  test('listed: the first store that has the key serves it; one that lacks it is skipped with a line', async () => {
    const empty = await folderStore();
    const full = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    const other = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    const dest = path.join(tmp('dest'), 'img.qcow2');
    const otherGets: number[] = [];
    const { log, promise } = run({ key: 'img.qcow2', dest, sources: [{ name: 'a', store: empty }, { name: 'b', store: full }, { name: 'c', store: recordGets(other, otherGets) }] });
    const r = await promise;
    expect(r).toMatchObject({ outcome: 'downloaded', store: 'b', sha256: good, size: image.length, resumedFrom: 0, received: image.length, verifiedBy: 'metadata' });
    expect(r.attempts).toEqual([{ store: 'a', outcome: 'skipped', reason: 'does not have it' }, { store: 'b', outcome: 'served' }]);
    expect(log).toContain('info: a: skipped, does not have it');
    expect(otherGets).toEqual([]);
    expect(hex(fs.readFileSync(dest))).toBe(good);
    expect(leftovers(dest)).toEqual([]);
  });

  test('fastest: every store is asked at once and the first good HEAD wins; listed keeps the order', async () => {
    const slow = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    const fast = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    const failing = await folderStore();
    const slowHead = wrap(slow, { head: async (k: string) => (await new Promise((r) => setTimeout(r, 300)), slow.head(k)) });
    const broken = wrap(failing, { head: async () => Promise.reject(new Error('connection refused')) });
    const sources: DownloadSource[] = [{ name: 'broken', store: broken }, { name: 'slow', store: slowHead }, { name: 'fast', store: fast }];
    const a = await run({ key: 'img.qcow2', dest: path.join(tmp('dest'), 'x'), sources, order: 'fastest' }).promise;
    expect(a.store).toBe('fast');
    expect(a.attempts).toContainEqual({ store: 'broken', outcome: 'skipped', reason: 'HEAD failed: connection refused' });
    const b = await run({ key: 'img.qcow2', dest: path.join(tmp('dest'), 'x'), sources, order: 'listed' }).promise;
    expect(b.store).toBe('slow');
  });

  test('fastest: a HEAD still out when the file is in place is aborted, so it cannot hold the process', async () => {
    const fast = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    let aborted: (() => void) | undefined;
    const silent = wrap(await folderStore(), {
      head: (_key: string, options?: { signal?: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => {
            aborted?.();
            reject(new Error('aborted'));
          });
        }),
    });
    const wasAborted = new Promise<void>((r) => (aborted = r));
    const r = await run({ key: 'img.qcow2', dest: path.join(tmp('dest'), 'x'), sources: [{ name: 'silent', store: silent }, { name: 'fast', store: fast }], order: 'fastest' }).promise;
    expect(r.store).toBe('fast');
    await wasAborted;
  });

  test('no store has it: fails, naming each store and why, and writes nothing', async () => {
    const dest = path.join(tmp('dest'), 'img.qcow2');
    const p = run({ key: 'img.qcow2', dest, sources: [{ name: 'a', store: await folderStore() }, { name: 'b', store: await folderStore() }] }).promise;
    await expect(p).rejects.toThrow(/no store could serve "img.qcow2": a: does not have it; b: does not have it/);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });
});

describe('verification', () => {
  test('a content-addressed name is the sha256 to check; a file already there with it means no store is asked', async () => {
    const key = `fedora-42-${good}.qcow2`;
    const store = await folderStore({ [key]: { body: image } });
    const dest = path.join(tmp('dest'), key);
    const first = await run({ key, dest, sources: [{ name: 's', store }] }).promise;
    expect(first).toMatchObject({ outcome: 'downloaded', verifiedBy: 'name', sha256: good });
    const untouchable = wrap(store, { head: () => Promise.reject(new Error('must not be asked')) });
    const again = await run({ key, dest, sources: [{ name: 's', store: untouchable }] }).promise;
    expect(again).toMatchObject({ outcome: 'present', verifiedBy: 'name', sha256: good, size: image.length, received: 0 });
  });

  test('with only recorded metadata, a file already there with that sha256 and size is kept as it is', async () => {
    const store = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    const dest = path.join(tmp('dest'), 'img.qcow2');
    fs.writeFileSync(dest, image);
    const gets: number[] = [];
    const r = await run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: recordGets(store, gets) }] }).promise;
    expect(r).toMatchObject({ outcome: 'present', verifiedBy: 'metadata' });
    expect(gets).toEqual([]);
  });

  test('content that does not match its recorded sha256 is refused: the old file stays, no partial is left', async () => {
    const corrupt = Buffer.from(image);
    corrupt[1000] ^= 1;
    const store = await folderStore({ 'img.qcow2': { body: corrupt, sha256: good } });
    const dest = path.join(tmp('dest'), 'img.qcow2');
    fs.writeFileSync(dest, 'the previous image');
    const p = run({ key: 'img.qcow2', dest, sources: [{ name: 's', store }] }).promise;
    await expect(p).rejects.toThrow(new RegExp(`sha256 is ${hex(corrupt)}, but the metadata says ${good}`));
    expect(fs.readFileSync(dest, 'utf8')).toBe('the previous image');
    expect(leftovers(dest)).toEqual([]);
  });

  test('a corrupt copy on one store: the next store serves a good one', async () => {
    const corrupt = Buffer.from(image);
    corrupt[5] ^= 0xff;
    const bad = await folderStore({ 'img.qcow2': { body: corrupt, sha256: good } });
    const fine = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    const dest = path.join(tmp('dest'), 'img.qcow2');
    const r = await run({ key: 'img.qcow2', dest, sources: [{ name: 'bad', store: bad }, { name: 'fine', store: fine }] }).promise;
    expect(r.store).toBe('fine');
    expect(r.attempts.map((a) => a.outcome)).toEqual(['failed', 'served']);
    expect(hex(fs.readFileSync(dest))).toBe(good);
  });

  test('no sha256 anywhere: refused unless require-sha256 is false, and then said to be unverified', async () => {
    const store = await folderStore({ 'img.qcow2': { body: image } });
    const dest = path.join(tmp('dest'), 'img.qcow2');
    await expect(run({ key: 'img.qcow2', dest, sources: [{ name: 's', store }] }).promise).rejects.toThrow(/records no sha256.*require-sha256 to false/);
    expect(fs.existsSync(dest)).toBe(false);
    const { log, promise } = run({ key: 'img.qcow2', dest, sources: [{ name: 's', store }], requireSha256: false });
    expect(await promise).toMatchObject({ outcome: 'downloaded', verifiedBy: 'none', sha256: good });
    expect(log.join('\n')).toMatch(/NOT verified/);
    const given = await run({ key: 'img.qcow2', dest: path.join(tmp('dest'), 'x'), sources: [{ name: 's', store }], sha256: good }).promise;
    expect(given.verifiedBy).toBe('input');
  });

  test('a given sha256 that contradicts the name is a configuration error', async () => {
    const key = `img-${good}.qcow2`;
    const p = run({ key, dest: path.join(tmp('dest'), 'x'), sources: [{ name: 's', store: await folderStore() }], sha256: 'a'.repeat(64) }).promise;
    await expect(p).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('resuming', () => {
  async function setup(body = image) {
    const store = await folderStore({ 'img.qcow2': { body, sha256: hex(body) } });
    const head = (await store.head('img.qcow2'))!;
    const dest = path.join(tmp('dest'), 'img.qcow2');
    return { store, head, dest };
  }

  test('a part of the same object is resumed: its prefix is hashed, only the rest is fetched', async () => {
    const { store, head, dest } = await setup();
    fs.writeFileSync(`${dest}.part`, image.subarray(0, 100_000));
    await writeRecord(`${dest}.part.json`, { version: 1, key: 'img.qcow2', size: image.length, etag: head.etag, sha256: good, store: 'elsewhere' });
    const gets: number[] = [];
    const { log, promise } = run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: recordGets(store, gets) }] });
    const r = await promise;
    expect(r).toMatchObject({ resumedFrom: 100_000, received: image.length - 100_000, sha256: good });
    expect(gets).toEqual([100_000]);
    expect(log).toContain(`info: resuming from byte 100000 of ${image.length} (${dest}.part)`);
    expect(leftovers(dest)).toEqual([]);
  });

  test('a complete part left before the rename is verified and renamed without a GET', async () => {
    const { store, head, dest } = await setup();
    fs.writeFileSync(`${dest}.part`, image);
    await writeRecord(`${dest}.part.json`, { version: 1, key: 'img.qcow2', size: image.length, etag: head.etag, sha256: good, store: 's' });
    const gets: number[] = [];
    const r = await run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: recordGets(store, gets) }] }).promise;
    expect(r).toMatchObject({ outcome: 'downloaded', resumedFrom: image.length, received: 0 });
    expect(gets).toEqual([]);
  });

  test('a part of another version of the object starts again from byte 0', async () => {
    const { store, dest } = await setup();
    fs.writeFileSync(`${dest}.part`, Buffer.alloc(5000, 7));
    await writeRecord(`${dest}.part.json`, { version: 1, key: 'img.qcow2', size: image.length, etag: 'b'.repeat(32), sha256: 'c'.repeat(64), store: 's' });
    const gets: number[] = [];
    const { log, promise } = run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: recordGets(store, gets) }] });
    expect(await promise).toMatchObject({ resumedFrom: 0, sha256: good });
    expect(gets).toEqual([0]);
    expect(log.join('\n')).toMatch(/discarding the partial download .*sha256 is now/);
  });

  test('a part with no record, or a record whose part vanished, starts again from byte 0', async () => {
    const { store, head, dest } = await setup();
    fs.writeFileSync(`${dest}.part`, image.subarray(0, 5000));
    const gets: number[] = [];
    const r1 = await run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: recordGets(store, gets) }] }).promise;
    expect(r1.resumedFrom).toBe(0);
    fs.rmSync(dest);
    await writeRecord(`${dest}.part.json`, { version: 1, key: 'img.qcow2', size: image.length, etag: head.etag, sha256: good, store: 's' });
    const r2 = await run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: recordGets(store, gets) }] }).promise;
    expect(r2.resumedFrom).toBe(0);
    expect(gets).toEqual([0, 0]);
    expect(hex(fs.readFileSync(dest))).toBe(good);
    expect(leftovers(dest)).toEqual([]);
  });

  test('a resumed part whose bytes were damaged fails the check once, then is fetched again whole', async () => {
    const { store, head, dest } = await setup();
    const damaged = Buffer.from(image.subarray(0, 50_000));
    damaged[10] ^= 1;
    fs.writeFileSync(`${dest}.part`, damaged);
    await writeRecord(`${dest}.part.json`, { version: 1, key: 'img.qcow2', size: image.length, etag: head.etag, sha256: good, store: 's' });
    const gets: number[] = [];
    const r = await run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: recordGets(store, gets) }] }).promise;
    expect(gets).toEqual([50_000, 0]);
    expect(r).toMatchObject({ resumedFrom: 0, sha256: good, store: 's' });
  });

  test('a stream that breaks is asked again from the byte where it stopped', async () => {
    const { store, dest } = await setup();
    const gets: number[] = [];
    let breaks = 2;
    const flaky = wrap(store, {
      get: async (key: string, range?: ReadRange) => {
        const start = range?.start ?? 0;
        gets.push(start);
        const body = await store.get(key, range);
        if (breaks-- <= 0) return body;
        body.destroy();
        // 64 KiB of the real bytes, then the socket goes away.
        return Readable.from((async function* () {
          yield image.subarray(start, start + 65536);
          throw new Error('socket hang up');
        })());
      },
    });
    const { log, promise } = run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: flaky }] });
    const r = await promise;
    expect(gets).toEqual([0, 65536, 131072]);
    expect(r).toMatchObject({ sha256: good, received: image.length, resumedFrom: 0 });
    expect(log.filter((l) => l.includes('socket hang up'))).toHaveLength(2);
  });

  test('a store that keeps failing without progress gives up; the part stays for the next run to resume', async () => {
    const { store, dest } = await setup();
    let served = false;
    const dying = wrap(store, {
      get: async () => {
        if (served) throw Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' });
        served = true;
        return Readable.from((async function* () {
          yield image.subarray(0, 40_000);
          throw new Error('socket hang up');
        })());
      },
    });
    const p = run({ key: 'img.qcow2', dest, sources: [{ name: 's', store: dying }], retries: 2 }).promise;
    await expect(p).rejects.toBeInstanceOf(DownloadFailedError);
    expect(fs.statSync(`${dest}.part`).size).toBe(40_000);
    const r = await run({ key: 'img.qcow2', dest, sources: [{ name: 's', store }] }).promise;
    expect(r).toMatchObject({ resumedFrom: 40_000, sha256: good });
  });

  test('an object replaced between HEAD and GET is not stitched together: that store fails, the next serves', async () => {
    const { store, dest } = await setup();
    const replaced = wrap(store, {
      get: async (key: string, range?: ReadRange) => {
        const other = Buffer.from('replaced');
        await store.put(key, other, sha(other), { visibility: 'private' });
        return store.get(key, range);
      },
    });
    const fine = await folderStore({ 'img.qcow2': { body: image, sha256: good } });
    const r = await run({ key: 'img.qcow2', dest, sources: [{ name: 'moving', store: replaced }, { name: 'fine', store: fine }], requireSha256: false }).promise;
    expect(r.store).toBe('fine');
    expect(r.attempts[0]).toMatchObject({ store: 'moving', outcome: 'failed', reason: expect.stringMatching(/no longer ETag/) });
  });
});
