import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStore } from '../../src/storage/local-store';
import { StoreError } from '../../src/errors';
import type { MultipartWrite, ObjectStore } from '../../src/storage/object-store';
import { expandFiles } from '../../src/upload/files';
import { hashFile } from '../../src/upload/file-chunks';
import { MIB } from '../../src/config/size';
import { parseRequirement } from '../../src/config/requirement';
import { parseKeyTemplate } from '../../src/upload/plan';
import { ContentMismatchError, uploadImages } from '../../src/upload/upload-images';
import { readObject } from '../helpers/store-contract';
import { uploadImagesOptions } from '../helpers/upload-options';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'upload-'));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function writeFile(dir: string, name: string, size: number): { path: string; content: Buffer } {
  const content = randomBytes(size);
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return { path: p, content };
}

/** Wraps a store to fail part `failPart` of every multipart write, and to count parts in flight. */
class FlakyStore implements ObjectStore {
  inFlight = 0;
  maxInFlight = 0;
  aborted = 0;
  constructor(
    readonly inner: LocalStore,
    private readonly failPart?: number,
  ) {}
  get display() {
    return `flaky ${this.inner.display}`;
  }
  get visibilityMode() {
    return this.inner.visibilityMode;
  }
  preflight() {
    return this.inner.preflight();
  }
  listPages(p?: string) {
    return this.inner.listPages(p);
  }
  read(k: string) {
    return this.inner.read(k);
  }
  list(p?: string) {
    return this.inner.list(p);
  }
  head(k: string) {
    return this.inner.head(k);
  }
  get(k: string) {
    return this.inner.get(k);
  }
  put(...a: Parameters<ObjectStore['put']>) {
    return this.inner.put(...a);
  }
  delete(k: string) {
    return this.inner.delete(k);
  }
  listOpenUploads() {
    return this.inner.listOpenUploads();
  }
  anonymousAddress() {
    return undefined;
  }
  policy() {
    return this.inner.policy();
  }
  locate() {
    return undefined;
  }
  async startMultipart(key: string, o: Parameters<ObjectStore['startMultipart']>[1]): Promise<MultipartWrite> {
    const w = await this.inner.startMultipart(key, o);
    return {
      writePart: async (n, body, digest) => {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          await new Promise((r) => setTimeout(r, 5));
          if (n === this.failPart) throw new StoreError('unavailable', `injected failure on part ${n}`);
          await w.writePart(n, body, digest);
        } finally {
          this.inFlight--;
        }
      },
      complete: () => w.complete(),
      abort: async () => {
        this.aborted++;
        await w.abort();
      },
    };
  }
}

/** Remembers the visibility each key was written with. */
class RecordingStore extends FlakyStore {
  readonly written = new Map<string, string>();
  override put(...a: Parameters<ObjectStore['put']>) {
    this.written.set(a[0], a[3].visibility);
    return super.put(...a);
  }
  override startMultipart(key: string, o: Parameters<ObjectStore['startMultipart']>[1]): Promise<MultipartWrite> {
    this.written.set(key, o.visibility);
    return super.startMultipart(key, o);
  }
}

const options = uploadImagesOptions;

const read = readObject;

describe('uploadImages on folder stores', () => {
  test('dual-write: each store gets the same verified content and sha256 metadata; a re-run skips', async () => {
    const src = tmp();
    const big = writeFile(src, 'fedora-42.qcow2', 17 * MIB + 123);
    const small = writeFile(src, 'rhel-9.qcow2', 1000);
    const files = await expandFiles(['*.qcow2'], src);
    const a = new LocalStore(tmp());
    const b = new LocalStore(tmp());
    const targets = [{ name: 'a', store: a }, { name: 'b', store: b }];

    const report = await uploadImages(options(files, targets));
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => [f.key, f.visibility, f.parts])).toEqual([
      ['fedora-42.qcow2', 'public', 4],
      ['rhel-9.qcow2', 'private', 1],
    ]);
    for (const store of [a, b]) {
      for (const f of [big, small]) {
        const key = path.basename(f.path);
        expect(sha256(await read(store, key))).toBe(sha256(f.content));
        expect((await store.head(key))!.metadata.sha256).toBe(sha256(f.content));
      }
      expect(await store.listOpenUploads()).toEqual([]);
    }
    expect(report.bytesUploaded).toBe(2 * (big.content.length + small.content.length));

    const again = await uploadImages(options(files, targets));
    expect(again.files.flatMap((f) => f.stores.map((s) => s.outcome))).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(again.bytesUploaded).toBe(0);
  });

  test('headers: Content-Type by name unless given, Cache-Control on PUT and multipart; a copy with other headers is written again, saying why', async () => {
    const src = tmp();
    writeFile(src, 'boot.iso', 1000);
    writeFile(src, 'fedora-42.qcow2', 6 * MIB);
    const files = await expandFiles(['boot.iso', 'fedora-42.qcow2'], src);
    const a = new LocalStore(tmp());
    const b = new LocalStore(tmp());
    const targets = [{ name: 'a', store: a }, { name: 'b', store: b }];
    const heads = async () => {
      const out: unknown[] = [];
      for (const s of [a, b]) for (const k of ['boot.iso', 'fedora-42.qcow2']) out.push([k, (await s.head(k))?.contentType, (await s.head(k))?.cacheControl]);
      return out;
    };

    const first = await uploadImages(options(files, targets, { contentType: undefined, cacheControl: 'public, max-age=60' }));
    expect(first.ok).toBe(true);
    expect(first.files.map((f) => f.parts)).toEqual([1, 2]);
    expect(await heads()).toEqual([
      ['boot.iso', 'application/x-iso9660-image', 'public, max-age=60'],
      ['fedora-42.qcow2', 'application/octet-stream', 'public, max-age=60'],
      ['boot.iso', 'application/x-iso9660-image', 'public, max-age=60'],
      ['fedora-42.qcow2', 'application/octet-stream', 'public, max-age=60'],
    ]);

    const same = await uploadImages(options(files, targets, { contentType: undefined, cacheControl: 'public, max-age=60' }));
    expect(same.files.flatMap((f) => f.stores.map((s) => s.outcome))).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);

    const log: string[] = [];
    const events = { info: (m: string) => log.push(m), debug: () => undefined, warning: (m: string) => log.push(`warning: ${m}`), progress: () => undefined };
    const changed = await uploadImages(options(files, targets, { contentType: 'application/x-qemu-disk', cacheControl: undefined, events }));
    expect(changed.ok).toBe(true);
    expect(changed.files.flatMap((f) => f.stores.map((s) => [s.outcome, s.reason]))).toEqual([
      ['uploaded', 'written again: same sha256, but Content-Type is "application/x-iso9660-image", not "application/x-qemu-disk", Cache-Control is "public, max-age=60", not none'],
      ['uploaded', 'written again: same sha256, but Content-Type is "application/x-iso9660-image", not "application/x-qemu-disk", Cache-Control is "public, max-age=60", not none'],
      ['uploaded', 'written again: same sha256, but Content-Type is "application/octet-stream", not "application/x-qemu-disk", Cache-Control is "public, max-age=60", not none'],
      ['uploaded', 'written again: same sha256, but Content-Type is "application/octet-stream", not "application/x-qemu-disk", Cache-Control is "public, max-age=60", not none'],
    ]);
    expect(log).toContain('a: boot.iso already there with the same sha256, but Content-Type is "application/x-iso9660-image", not "application/x-qemu-disk", Cache-Control is "public, max-age=60", not none: written again');
    expect(log.filter((l) => l.startsWith('warning:'))).toEqual([]);
    expect((await heads()).map((h) => (h as unknown[]).slice(1))).toEqual(Array(4).fill(['application/x-qemu-disk', undefined]));
    for (const s of [a, b]) expect(await s.listOpenUploads()).toEqual([]);
  });

  test('a store that does not keep a header as sent: written and verified, with a warning that later runs will write it again', async () => {
    class DropsCacheControl extends FlakyStore {
      override async head(k: string) {
        const h = await super.head(k);
        return h && { ...h, cacheControl: undefined };
      }
    }
    const src = tmp();
    writeFile(src, 'disk.raw', 100);
    const store = new DropsCacheControl(new LocalStore(tmp()));
    const log: string[] = [];
    const events = { info: (m: string) => log.push(m), debug: () => undefined, warning: (m: string) => log.push(`warning: ${m}`), progress: () => undefined };
    const r = await uploadImages(options(await expandFiles(['disk.raw'], src), [{ name: 'x', store }], { contentType: undefined, cacheControl: 'no-store', events }));
    expect(r.files[0]!.stores.map((s) => s.outcome)).toEqual(['uploaded']);
    expect(log.filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: x: disk.raw: written, but the store serves it with other headers: Cache-Control is none, not "no-store"; later runs will write it again',
    ]);
  });

  test('parts in flight never exceed the concurrency, so memory stays bounded', async () => {
    const src = tmp();
    writeFile(src, 'img.qcow2', 40 * MIB);
    const a = new FlakyStore(new LocalStore(tmp()));
    const report = await uploadImages(options(await expandFiles(['img.qcow2'], src), [{ name: 'a', store: a }], { concurrency: 2 }));
    expect(report.ok).toBe(true);
    expect(a.maxInFlight).toBeLessThanOrEqual(2);
    expect(a.maxInFlight).toBeGreaterThan(0);
  });

  test('one store failing mid-upload is aborted, the other completes; require decides', async () => {
    const src = tmp();
    writeFile(src, 'img.qcow2', 23 * MIB);
    const files = await expandFiles(['img.qcow2'], src);
    const good = new LocalStore(tmp());
    const bad = new FlakyStore(new LocalStore(tmp()), 3);
    const targets = [{ name: 'good', store: good }, { name: 'bad', store: bad }];

    const all = await uploadImages(options(files, targets));
    expect(all.ok).toBe(false);
    expect(all.files[0]!.stores).toEqual([
      expect.objectContaining({ store: 'good', outcome: 'uploaded' }),
      expect.objectContaining({ store: 'bad', outcome: 'failed', reason: expect.stringContaining('injected failure on part 3') }),
    ]);
    expect(bad.aborted).toBe(1);
    expect(await bad.listOpenUploads()).toEqual([]);
    expect(await bad.head('img.qcow2')).toBeUndefined();

    const any = await uploadImages(options(files, targets, { requirement: parseRequirement('any', 2) }));
    expect(any.ok).toBe(true);
    expect(any.files[0]!.stores.map((s) => s.outcome)).toEqual(['skipped', 'failed']);
  });

  test('when every store fails mid-file, the store errors are reported, not a false content mismatch', async () => {
    const src = tmp();
    const content = randomBytes(20 * MIB);
    const name = `img-${sha256(content)}.qcow2`;
    fs.writeFileSync(path.join(src, name), content);
    const bad = new FlakyStore(new LocalStore(tmp()), 2);
    const report = await uploadImages(options(await expandFiles([name], src), [{ name: 'bad', store: bad }]));
    expect(report.ok).toBe(false);
    expect(report.files[0]!.stores[0]).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('injected failure on part 2') });
    expect(await bad.listOpenUploads()).toEqual([]);
  });

  test.each([
    ['small', 1000],
    ['multipart', 12 * MIB],
  ])('a content-addressed name that lies is refused and nothing is written (%s)', async (_, size) => {
    const src = tmp();
    const wrong = 'f'.repeat(64);
    const f = writeFile(src, `fedora-42-${wrong}.qcow2`, size);
    const a = new LocalStore(tmp());
    const run = uploadImages(options(await expandFiles(['*.qcow2'], src), [{ name: 'a', store: a }]));
    await expect(run).rejects.toThrow(ContentMismatchError);
    await expect(run).rejects.toThrow(`promises sha256 ${wrong} but the content's sha256 is ${sha256(f.content)}`);
    const keys: string[] = [];
    for await (const o of a.list()) keys.push(o.key);
    expect(keys).toEqual([]);
    expect(await a.listOpenUploads()).toEqual([]);
  });

  test('a content-addressed name that is right is stored under that name, with no hashing pass', async () => {
    const src = tmp();
    const content = randomBytes(12 * MIB);
    const name = `fedora-42-${sha256(content)}.qcow2`;
    fs.writeFileSync(path.join(src, name), content);
    const a = new LocalStore(tmp());
    let hashed = 0;
    const report = await uploadImages(
      options(await expandFiles([name], src), [{ name: 'a', store: a }], {
        hashFile: async (p, s, ps) => {
          hashed++;
          return hashFile(p, s, ps);
        },
      }),
    );
    expect(report.ok).toBe(true);
    expect(hashed).toBe(0);
    expect((await a.head(name))!.metadata.sha256).toBe(sha256(content));
  });

  test('{sha256} in the key template names the object by its content', async () => {
    const src = tmp();
    const f = writeFile(src, 'img.qcow2', 7 * MIB);
    const a = new LocalStore(tmp());
    const report = await uploadImages(options(await expandFiles(['img.qcow2'], src), [{ name: 'a', store: a }], { keyTemplate: parseKeyTemplate('images/{stem}-{sha256}{ext}') }));
    expect(report.files[0]!.key).toBe(`images/img-${sha256(f.content)}.qcow2`);
    expect(await a.head(report.files[0]!.key)).toBeDefined();
  });

  test.each([
    ['images/{sha256}{ext}', 'name', /^images\/[0-9a-f]{64}\.qcow2$/],
    ['{sha256}', 'name', /^[0-9a-f]{64}$/],
    ['{stem}/disk.qcow2', 'both', /^rhel-9\.6-x86_64\/disk\.qcow2$/],
  ])('key template %s: the rhel image is written private because its file name (%s) says so', async (template, decidedBy, keyPattern) => {
    const src = tmp();
    writeFile(src, 'rhel-9.6-x86_64.qcow2', 1000);
    writeFile(src, 'fedora-42.qcow2', 1000);
    const a = new RecordingStore(new LocalStore(tmp()));
    const report = await uploadImages(options(await expandFiles(['*.qcow2'], src), [{ name: 'a', store: a }], { keyTemplate: parseKeyTemplate(template) }));
    expect(report.ok).toBe(true);
    const [fedora, rhel] = report.files;
    expect(rhel!.key).toMatch(keyPattern);
    expect(rhel).toMatchObject({ visibility: 'private', decidedBy, rule: 'rhel* private (rule 1)' });
    expect(rhel!.visibilityReason).toContain('file name "rhel-9.6-x86_64.qcow2" matches rhel* private (rule 1)');
    expect(a.written.get(rhel!.key)).toBe('private');
    expect(fedora).toMatchObject({ visibility: 'public', decidedBy: 'both' });
    expect(a.written.get(fedora!.key)).toBe('public');
  });

  test('dry run writes nothing and reports the plan', async () => {
    const src = tmp();
    writeFile(src, 'rhel-10.qcow2', 11 * MIB);
    const a = new LocalStore(tmp());
    const report = await uploadImages(options(await expandFiles(['*'], src), [{ name: 'a', store: a }], { dryRun: true }));
    expect(report.files[0]).toMatchObject({ key: 'rhel-10.qcow2', visibility: 'private', parts: 3, stores: [{ outcome: 'planned' }] });
    expect(await a.head('rhel-10.qcow2')).toBeUndefined();
  });
});

describe('files input', () => {
  test.each([
    [['missing.qcow2'], /"missing.qcow2": no such file/],
    [['*.nothing'], /"\*.nothing" matches no file/],
    [['.'], /is not a regular file/],
  ])('%p is refused', async (patterns, message) => {
    await expect(expandFiles(patterns, tmp())).rejects.toThrow(message);
  });

  // Root reads every file whatever its mode, so this case can only be shown as another user.
  (process.getuid?.() === 0 ? test.skip : test)('an unreadable file is refused', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'x'), 'x');
    fs.chmodSync(path.join(dir, 'x'), 0);
    await expect(expandFiles(['x'], dir)).rejects.toThrow(/is not readable/);
  });
});
