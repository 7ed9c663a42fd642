import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectStore } from '../../src/storage/object-store';
import { describeStoreContract, type BehindTheStore } from '../helpers/store-contract';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest();
const fresh = () => new LocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'store-')));
const rootOf = (s: ObjectStore) => (s as LocalStore).root;

/** A path under `root` whose last name is raw bytes (not necessarily UTF-8). */
const rawPath = (root: string, rel: string, name: Buffer) => Buffer.concat([Buffer.from(path.join(root, rel) + path.sep), name]);
/** `f\xff.bin`: a Latin-1 name, as a file copied from an old system has. */
const LATIN1 = Buffer.from([0x66, 0xff, 0x2e, 0x62, 0x69, 0x6e]);

/** Puts bytes into a file as a person would: in place, then the old modification time put back. */
function replaceKeepingMtime(file: string, body: Buffer): void {
  const st = fs.statSync(file);
  fs.writeFileSync(file, body);
  fs.utimesSync(file, st.atime, st.mtime);
}

const behind: BehindTheStore = {
  plantUncarriable: async (store, prefix) => {
    const dir = path.join(rootOf(store), prefix);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(rawPath(rootOf(store), prefix, LATIN1), 'latin-1 name');
    fs.symlinkSync('1', path.join(dir, '2'));
    execFileSync('mkfifo', [path.join(dir, '4')]);
    return 3;
  },
  replaceContent: async (store, key, body) => replaceKeepingMtime(path.join(rootOf(store), key), body),
};

describeStoreContract('local folder', async () => fresh(), behind);

test('a folder that does not exist fails preflight as no-such-bucket', async () => {
  await expect(new LocalStore('/nonexistent/ci-stores').preflight()).rejects.toMatchObject({ kind: 'no-such-bucket' });
});

test('keys that would leave the folder are refused', async () => {
  const s = fresh();
  await expect(s.put('../x', Buffer.from(''), Buffer.alloc(16), { visibility: 'private' })).rejects.toMatchObject({ kind: 'invalid-request' });
});

async function listAll(s: ObjectStore, prefix?: string): Promise<{ keys: string[]; error?: Error & { kind?: string } }> {
  const keys: string[] = [];
  try {
    for await (const o of s.list(prefix)) keys.push(o.key);
  } catch (e) {
    return { keys, error: e as Error };
  }
  return { keys };
}

describe('what a folder holds that cannot be an object is a listing failure, never a silent gap (issue 10, item 9)', () => {
  test('a file whose name is not UTF-8: the rest is listed, then the listing fails naming it', async () => {
    const s = fresh();
    await s.put('a.txt', Buffer.from('a'), sha('a'), { visibility: 'private' });
    await s.put('z.txt', Buffer.from('z'), sha('z'), { visibility: 'private' });
    fs.writeFileSync(rawPath(s.root, '', LATIN1), 'bytes');
    const r = await listAll(s);
    expect(r.keys).toEqual(['a.txt', 'z.txt']);
    expect(r.error).toMatchObject({ kind: 'uncarriable' });
    expect(r.error!.message).toBe(
      `file://${s.root}: 1 entry cannot be objects, so this listing is incomplete: "f\\xff.bin" (its name is not valid UTF-8). A folder store carries regular files whose names are valid UTF-8; rename, replace or remove the others`,
    );
  });

  test('a folder whose name is not UTF-8 is one entry, with nothing under it listed', async () => {
    const s = fresh();
    fs.mkdirSync(rawPath(s.root, '', Buffer.from([0x64, 0xe9])));
    fs.writeFileSync(Buffer.concat([rawPath(s.root, '', Buffer.from([0x64, 0xe9])), Buffer.from('/inside.txt')]), 'x');
    const r = await listAll(s);
    expect(r.keys).toEqual([]);
    expect(r.error!.message).toMatch(/: 1 entry cannot be objects, .*"d\\xe9" \(its name is not valid UTF-8; nothing under it is listed\)/);
  });

  test('a symbolic link (to a file, to a folder, dangling) is not followed and fails the listing; HEAD and GET refuse it', async () => {
    const s = fresh();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not in the store');
    await s.put('real.txt', Buffer.from('real'), sha('real'), { visibility: 'private' });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(s.root, 'to-file'));
    fs.symlinkSync(outside, path.join(s.root, 'to-dir'));
    fs.symlinkSync('/nonexistent', path.join(s.root, 'dangling'));
    const r = await listAll(s);
    expect(r.keys).toEqual(['real.txt']);
    expect(r.error!.message).toMatch(/: 3 entries cannot be objects, so this listing is incomplete: "dangling" \(a symbolic link, not followed\), "to-dir" \(a symbolic link, not followed\), "to-file" \(a symbolic link, not followed\)\./);
    await expect(s.head('to-file')).rejects.toMatchObject({ kind: 'uncarriable' });
    await expect(s.get('to-file')).rejects.toMatchObject({ kind: 'uncarriable' });
    await expect(s.read('to-file')).rejects.toMatchObject({ kind: 'uncarriable' });
    // A key under a link to a folder is not listed either; the listing says why.
    expect((await listAll(s, 'to-dir/')).error).toMatchObject({ kind: 'uncarriable' });
  });

  test('a FIFO fails the listing, and HEAD and GET refuse it without waiting for a writer', async () => {
    const s = fresh();
    execFileSync('mkfifo', [path.join(s.root, 'pipe')]);
    const r = await listAll(s);
    expect(r.error!.message).toMatch(/"pipe" \(a FIFO, not a regular file\)/);
    await expect(s.head('pipe')).rejects.toMatchObject({ kind: 'uncarriable' });
    await expect(s.get('pipe')).rejects.toMatchObject({ kind: 'uncarriable' });
  });

  test('an error names five entries at most, in key order, and counts them all; control characters and quotes are escaped', async () => {
    const s = fresh();
    for (const n of ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'q"\n']) fs.symlinkSync('x', path.join(s.root, n));
    const r = await listAll(s);
    expect(r.error!.message).toMatch(/: 7 entries cannot be objects, so this listing is incomplete: "l1" .*"l5" \(a symbolic link, not followed\), \.\.\.\. /);
    fs.rmSync(path.join(s.root, 'l1'));
    const only = await listAll(s, 'q');
    expect(only.error!.message).toContain('"q\\x22\\x0a" (a symbolic link, not followed)');
  });

  test('entries outside the prefix or range do not fail a listing; a link to a folder fails every range that could hold its keys', async () => {
    const s = fresh();
    await s.put('a/1', Buffer.from('1'), sha('1'), { visibility: 'private' });
    await s.put('c/1', Buffer.from('1'), sha('1'), { visibility: 'private' });
    fs.mkdirSync(path.join(s.root, 'b'));
    fs.symlinkSync(os.tmpdir(), path.join(s.root, 'b', 'dir'));
    const keys = async (prefix: string, range: { from?: string; to?: string }) => {
      const out: string[] = [];
      for await (const o of s.list(prefix, range)) out.push(o.key);
      return out;
    };
    expect(await keys('a/', {})).toEqual(['a/1']);
    // The link could be the object b/dir itself, or a folder of objects b/dir/...
    expect(await keys('', { to: 'b/dir' })).toEqual(['a/1']);
    await expect(keys('', { to: 'b/dir/' })).rejects.toMatchObject({ kind: 'uncarriable' });
    expect(await keys('', { from: 'b/dir0' })).toEqual(['c/1']);
    await expect(keys('', { from: 'b/dir/x', to: 'b/dir/y' })).rejects.toMatchObject({ kind: 'uncarriable' });
    await expect(keys('b/dir/sub/', {})).rejects.toMatchObject({ kind: 'uncarriable' });
    await expect(keys('b/', {})).rejects.toMatchObject({ kind: 'uncarriable' });
  });

  test('empty folders are no entries: nothing to carry, nothing to fail', async () => {
    const s = fresh();
    fs.mkdirSync(path.join(s.root, 'empty', 'deeper'), { recursive: true });
    expect(await listAll(s)).toEqual({ keys: [] });
  });
});

describe('the ETag sidecar is trusted only while the file is the one it was written for (issue 10, item 9)', () => {
  const file = (s: LocalStore, key: string) => path.join(s.root, key);
  const sidecar = (s: LocalStore, key: string) => path.join(s.root, '.ci-stores', 'meta', `${key}.json`);

  test('other bytes of the same size, with the old mtime put back: HEAD, list and sha256 follow the new bytes', async () => {
    const s = fresh();
    const a = Buffer.from('first content 1');
    const b = Buffer.from('other content 2');
    await s.put('k', a, sha(a), { visibility: 'private', metadata: { sha256: sha(a).toString('hex'), build: '7' }, contentType: 'text/plain' });
    expect((await s.head('k'))!.etag).toBe(md5(a));
    replaceKeepingMtime(file(s, 'k'), b);
    const h = await s.head('k');
    expect(h).toMatchObject({ etag: md5(b), size: b.length, contentType: 'text/plain', metadata: { sha256: sha(b).toString('hex'), build: '7' } });
    const listed = [];
    for await (const o of s.list()) listed.push(o.etag);
    expect(listed).toEqual([md5(b)]);
  });

  test('other bytes with a new mtime, and a file replaced by rename: hashed again', async () => {
    const s = fresh();
    await s.put('k', Buffer.from('one'), sha('one'), { visibility: 'private' });
    fs.writeFileSync(file(s, 'k'), 'two');
    expect((await s.head('k'))!.etag).toBe(md5('two'));
    const other = path.join(s.root, 'elsewhere');
    fs.writeFileSync(other, 'six');
    fs.renameSync(other, file(s, 'k'));
    expect((await s.head('k'))!.etag).toBe(md5('six'));
  });

  test('the same bytes touched: still the same ETag (hashed, not assumed)', async () => {
    const s = fresh();
    await s.put('k', Buffer.from('same'), sha('same'), { visibility: 'private' });
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file(s, 'k'), later, later);
    expect((await s.head('k'))!.etag).toBe(md5('same'));
  });

  test('a matching stamp is what makes the sidecar trusted; a sidecar without one (written before stamps) is not', async () => {
    const s = fresh();
    await s.put('k', Buffer.from('content'), sha('content'), { visibility: 'private' });
    const recorded = JSON.parse(fs.readFileSync(sidecar(s, 'k'), 'utf8')) as { etag: string; file?: Record<string, unknown> };
    expect(recorded.file).toMatchObject({ size: 7, mtimeNs: expect.stringMatching(/^\d+$/), ctimeNs: expect.stringMatching(/^\d+$/), ino: expect.stringMatching(/^\d+$/) });
    // An ETag no content has: answered while the stamp holds, so the stamp (not a hash) decided.
    fs.writeFileSync(sidecar(s, 'k'), JSON.stringify({ ...recorded, etag: 'f'.repeat(32) }));
    expect((await s.head('k'))!.etag).toBe('f'.repeat(32));
    fs.writeFileSync(sidecar(s, 'k'), JSON.stringify({ ...recorded, etag: 'f'.repeat(32), file: undefined }));
    expect((await s.head('k'))!.etag).toBe(md5('content'));
    fs.writeFileSync(sidecar(s, 'k'), JSON.stringify({ ...recorded, etag: 'f'.repeat(32), file: { ...recorded.file, ctimeNs: undefined } }));
    expect((await s.head('k'))!.etag).toBe(md5('content'));
  });

  test('a conditional read of replaced content fails as changed; a multipart object keeps its multipart ETag until replaced', async () => {
    const s = fresh();
    const part = Buffer.alloc(5 * 1024 * 1024, 3);
    const w = await s.startMultipart('big', { visibility: 'private' });
    await w.writePart(1, part, sha(part));
    await w.writePart(2, Buffer.from('tail'), sha('tail'));
    const { etag } = await w.complete();
    expect((await s.head('big'))!.etag).toBe(etag);
    expect(etag).toMatch(/-2$/);
    const changed = Buffer.concat([part, Buffer.from('TAIL')]);
    replaceKeepingMtime(file(s, 'big'), changed);
    await expect(s.get('big', { start: 5, ifMatch: etag })).rejects.toMatchObject({ kind: 'changed' });
    expect((await s.head('big'))!.etag).toBe(md5(changed));
  });
});
