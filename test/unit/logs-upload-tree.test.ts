import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { globToRegExp } from '../../src/acl/glob';
import { Redactor } from '../../src/logs/redact';
import { putObject, uploadTree, type UploadTreeOptions } from '../../src/logs/upload-tree';
import { walkTree, type LogFile } from '../../src/logs/walk';
import { LocalStore } from '../../src/storage/local-store';
import { StoreError } from '../../src/errors';
import type { ObjectStore } from '../../src/storage/object-store';
import { readObject } from '../helpers/store-contract';

const SECRET = 'sup3r-secret-token-value';

function tmp(stem: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${stem}-`));
}

function tree(files: Record<string, string | Buffer>): string {
  const dir = tmp('logs');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

async function filesOf(dir: string): Promise<readonly LogFile[]> {
  const r = await walkTree(dir, { include: [globToRegExp('**', 's')], exclude: [] });
  if (r.kind !== 'walked') throw new Error('missing');
  return r.files;
}

function options(files: readonly LogFile[], stores: { name: string; store: ObjectStore }[], over: Partial<UploadTreeOptions> = {}): UploadTreeOptions {
  return { files, prefix: 'run-1/', targets: stores, visibility: 'public', concurrency: 8, ...over };
}

const read = readObject;

describe('uploading a logs tree', () => {
  test('every file lands under the prefix with its type and encoding; every file is redacted, in the copy only', async () => {
    const gz = gzipSync(`gz line with ${SECRET}\n`);
    const dir = tree({
      'a.log': `token ${SECRET} and ${SECRET}\n`,
      'sub dir/ünï+%#.txt': 'plain\n',
      'data.json': '{"a":1}',
      'img.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]),
      'journal.log.gz': gz,
      [`bin-${SECRET}`]: Buffer.from([0, 1, 2, ...Buffer.from(SECRET)]),
    });
    const store = new LocalStore(tmp('store'));
    const done: number[] = [];
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'local', store }], { redactor: new Redactor([SECRET]), onFileDone: (n) => done.push(n) }));

    expect(report.files.map((f) => [f.rel, f.outcome, f.redactions, f.scan])).toEqual([
      ['a.log', 'uploaded', 2, 'redacted'],
      [`bin-${SECRET}`, 'uploaded', 1, 'redacted'],
      ['data.json', 'uploaded', 0, 'redacted'],
      ['img.png', 'uploaded', 0, 'redacted'],
      ['journal.log.gz', 'uploaded', 1, 'redacted'],
      ['sub dir/ünï+%#.txt', 'uploaded', 0, 'redacted'],
    ]);
    expect(report.redactions).toBe(4);
    expect(done).toHaveLength(6);
    expect((await read(store, 'run-1/a.log')).toString()).toBe('token *** and ***\n');
    expect(fs.readFileSync(path.join(dir, 'a.log'), 'utf8')).toContain(SECRET);
    expect(gunzipSync(await read(store, 'run-1/journal.log.gz')).toString()).toBe('gz line with ***\n');
    // A file that looks binary (a NUL byte, no known extension) is redacted too, keeping its length.
    expect(await read(store, `run-1/bin-${SECRET}`)).toEqual(Buffer.from([0, 1, 2, ...Buffer.alloc(SECRET.length, '*')]));
    expect(await read(store, 'run-1/img.png')).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));

    const head = (key: string) => store.head(key);
    expect(await head('run-1/a.log')).toMatchObject({ contentType: 'text/plain; charset=utf-8', contentEncoding: undefined });
    expect(await head('run-1/journal.log.gz')).toMatchObject({ contentType: 'text/plain; charset=utf-8', contentEncoding: 'gzip' });
    expect(await head('run-1/img.png')).toMatchObject({ contentType: 'image/png' });
    expect(await head('run-1/sub dir/ünï+%#.txt')).toMatchObject({ contentType: 'text/plain; charset=utf-8' });
    expect(report.bytes).toBe(report.files.reduce((n, f) => n + f.size!, 0));
  });

  test('a gz file without a secret is uploaded byte for byte, not packed again', async () => {
    const gz = gzipSync('nothing secret\n', { level: 1 });
    const dir = tree({ 'x.log.gz': gz });
    const store = new LocalStore(tmp('store'));
    await uploadTree(options(await filesOf(dir), [{ name: 'l', store }], { redactor: new Redactor([SECRET]) }));
    expect((await read(store, 'run-1/x.log.gz')).equals(gz)).toBe(true);
  });

  test('a log with an unknown extension and a NUL byte in its first 8 KiB is redacted, in one PUT and in parts', async () => {
    // A serial console log: NUL bytes where the console was reset, a name no type is known for.
    const console = (n: number) => Buffer.concat([Buffer.from('boot\0\0login: root\n'), Buffer.from(`password=${SECRET}\n`.repeat(n))]);
    const dir = tree({ 'serial-ttyS0.console': console(1), 'big-ttyS0.console': console(4000) });
    const store = new LocalStore(tmp('store'));
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'l', store }], { redactor: new Redactor([SECRET]), singlePutMax: 64 * 1024, partSize: 50 * 1024 }));
    expect(report.files.map((f) => [f.rel, f.outcome, f.redactions, f.scan, f.contentType])).toEqual([
      ['big-ttyS0.console', 'uploaded', 4000, 'redacted', 'application/octet-stream'],
      ['serial-ttyS0.console', 'uploaded', 1, 'redacted', 'application/octet-stream'],
    ]);
    for (const f of report.files) {
      const stored = await read(store, `run-1/${f.rel}`);
      expect(stored.includes(SECRET)).toBe(false);
      expect(stored.length).toBe(f.sourceSize);
      const head = `boot\0\0login: root\npassword=${'*'.repeat(SECRET.length)}\n`;
      expect(stored.subarray(0, head.length).toString()).toBe(head);
    }
  });

  test('gzip content is redacted inside whatever its name (an archive, no .gz), and stays valid', async () => {
    const inner = Buffer.concat([Buffer.from('member header\0\0\0'), Buffer.from(`AWS_SECRET=${SECRET}\n`), Buffer.alloc(100)]);
    const dir = tree({ 'logs.tar.gz': gzipSync(inner), 'journal.bin': gzipSync(inner) });
    const store = new LocalStore(tmp('store'));
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'l', store }], { redactor: new Redactor([SECRET]) }));
    expect(report.files.map((f) => [f.rel, f.redactions, f.scan])).toEqual([
      ['journal.bin', 1, 'redacted'],
      ['logs.tar.gz', 1, 'redacted'],
    ]);
    for (const f of report.files) {
      const unpacked = gunzipSync(await read(store, `run-1/${f.rel}`));
      // Not text: the secret's bytes become `*` each, so an archive's offsets stay right.
      expect(unpacked).toEqual(Buffer.from(inner.toString('latin1').replace(SECRET, '*'.repeat(SECRET.length)), 'latin1'));
    }
  });

  test('gzip too large to unpack here: its raw bytes are still redacted, and it is reported unscanned', async () => {
    const gz = Buffer.concat([gzipSync('x'.repeat(200 * 1024)), Buffer.from(SECRET)]);
    const dir = tree({ 'big.log.gz': gz });
    const store = new LocalStore(tmp('store'));
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'l', store }], { redactor: new Redactor([SECRET]), singlePutMax: 1024, partSize: 1024 }));
    expect(report.files[0]).toMatchObject({ outcome: 'uploaded', scan: 'unscanned-compressed', redactions: 1 });
    expect((await read(store, 'run-1/big.log.gz')).includes(SECRET)).toBe(false);
  });

  test('a file that vanishes is reported and the rest go on', async () => {
    const dir = tree({ 'a.log': 'a', 'b.log': 'b', 'c.log': 'c' });
    const files = await filesOf(dir);
    fs.rmSync(path.join(dir, 'b.log'));
    const store = new LocalStore(tmp('store'));
    const report = await uploadTree(options(files, [{ name: 'l', store }]));
    expect(report.files.map((f) => [f.rel, f.outcome])).toEqual([
      ['a.log', 'uploaded'],
      ['b.log', 'vanished'],
      ['c.log', 'uploaded'],
    ]);
    expect(report.files[1]!.reason).toMatch(/vanished before it could be read/);
    expect(await store.head('run-1/c.log')).toBeDefined();
  });

  test('a pipe that took a file\'s place since the walk is reported, without hanging', async () => {
    const dir = tree({ 'a.log': 'a', 'b.log': 'b' });
    const files = await filesOf(dir);
    fs.rmSync(path.join(dir, 'a.log'));
    execFileSync('mkfifo', [path.join(dir, 'a.log')]);
    const report = await uploadTree(options(files, [{ name: 'l', store: new LocalStore(tmp('store')) }]));
    expect(report.files.map((f) => [f.outcome, f.reason])).toEqual([
      ['failed', 'it is no longer a regular file'],
      ['uploaded', undefined],
    ]);
  });

  test('a large file goes in parts, redacted across part boundaries, and leaves no open upload', async () => {
    const line = (i: number) => `line ${i} ${i % 97 === 0 ? SECRET : 'nothing'}\n`;
    const text = Array.from({ length: 20000 }, (_, i) => line(i)).join('');
    const dir = tree({ 'big.log': text, 'small.log': 'x' });
    const store = new LocalStore(tmp('store'));
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'l', store }], { redactor: new Redactor([SECRET]), singlePutMax: 64 * 1024, partSize: 50 * 1024 }));
    const big = report.files.find((f) => f.rel === 'big.log')!;
    const expected = text.split(SECRET).join('***');
    expect(big).toMatchObject({ outcome: 'uploaded', redactions: text.split(SECRET).length - 1, size: Buffer.byteLength(expected), scan: 'redacted' });
    expect((await read(store, 'run-1/big.log')).toString()).toBe(expected);
    expect(await store.head('run-1/big.log')).toMatchObject({ contentType: 'text/plain; charset=utf-8' });
    expect(await store.listOpenUploads()).toEqual([]);
  });

  test('a file that shrinks while a large upload reads it is reported, and its parts are aborted', async () => {
    const dir = tree({ 'big.log': Buffer.alloc(300 * 1024, 0x61) });
    const files = await filesOf(dir);
    const store = new LocalStore(tmp('store'));
    const slow: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      startMultipart: async (key: string, o: Parameters<ObjectStore['startMultipart']>[1]) => {
        const w = await store.startMultipart(key, o);
        fs.truncateSync(path.join(dir, 'big.log'), 100 * 1024);
        return w;
      },
    });
    const report = await uploadTree(options(files, [{ name: 'l', store: slow }], { singlePutMax: 64 * 1024, partSize: 64 * 1024 }));
    expect(report.files[0]).toMatchObject({ outcome: 'vanished', reason: expect.stringMatching(/shrank while it was read/) });
    expect(await store.head('run-1/big.log')).toBeUndefined();
    expect(await store.listOpenUploads()).toEqual([]);
  });

  test('one store failing a file: the file is failed, named with the store; the other store has it', async () => {
    const dir = tree({ 'a.log': 'a', 'b.log': 'b' });
    const good = new LocalStore(tmp('good'));
    const badBase = new LocalStore(tmp('bad'));
    const bad: ObjectStore = Object.assign(Object.create(badBase) as ObjectStore, {
      put: async (key: string, ...rest: unknown[]) => {
        if (key.endsWith('b.log')) throw new StoreError('access-denied', `PUT bad key ${JSON.stringify(key)}: AccessDenied`);
        return (badBase.put as (...a: unknown[]) => Promise<unknown>)(key, ...rest);
      },
    });
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'good', store: good }, { name: 'bad', store: bad }]));
    expect(report.files[1]).toMatchObject({ rel: 'b.log', outcome: 'failed', stores: ['good'], reason: expect.stringMatching(/^bad: PUT bad key "run-1\/b.log": AccessDenied/) });
    expect(report.files[0]).toMatchObject({ outcome: 'uploaded', stores: ['good', 'bad'] });
    expect(report.bytes).toBe(3);
  });

  test('the engine adds no attempts to the store\'s own: a passing fault the store gives up on fails that file, once', async () => {
    // The wire already retried it (test/integration/retries.test.ts counts those attempts); a
    // loop here multiplied them: 4 engine tries of 6 wire attempts each.
    const dir = tree({ 'a.log': 'a', 'b.log': 'b' });
    const base = new LocalStore(tmp('flaky'));
    let calls = 0;
    const flaky: ObjectStore = Object.assign(Object.create(base) as ObjectStore, {
      put: async (...a: unknown[]) => {
        if ((a[0] as string).endsWith('a.log')) {
          calls++;
          throw new StoreError('unavailable', 'SlowDown');
        }
        return (base.put as (...x: unknown[]) => Promise<unknown>)(...a);
      },
    });
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'f', store: flaky }]));
    expect(report.files.map((f) => [f.rel, f.outcome])).toEqual([['a.log', 'failed'], ['b.log', 'uploaded']]);
    expect(calls).toBe(1);
  });

  test('at most `concurrency` files are in flight', async () => {
    const dir = tree(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.log`, 'x'])));
    const base = new LocalStore(tmp('conc'));
    let inFlight = 0;
    let most = 0;
    const counting: ObjectStore = Object.assign(Object.create(base) as ObjectStore, {
      put: async (...a: unknown[]) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return (base.put as (...x: unknown[]) => Promise<unknown>)(...a);
      },
    });
    await uploadTree(options(await filesOf(dir), [{ name: 'c', store: counting }], { concurrency: 6 }));
    expect(most).toBe(6);
  });

  test('a key longer than S3 allows is a failed file, not a failed run', async () => {
    const dir = tree({ [`${'d'.repeat(200)}/${'n'.repeat(200)}.log`]: 'x', 'ok.log': 'y' });
    const store = new LocalStore(tmp('store'));
    const report = await uploadTree(options(await filesOf(dir), [{ name: 'l', store }], { prefix: `${Array.from({ length: 7 }, () => 'p'.repeat(99)).join('/')}/` }));
    expect(report.files.map((f) => f.outcome)).toEqual(['failed', 'uploaded']);
    expect(report.files[0]!.reason).toMatch(/longer than 1,024 bytes/);
  });

  test('putObject writes a generated page with its type', async () => {
    const store = new LocalStore(tmp('store'));
    await putObject(store, 'run-1/index.html', Buffer.from('<html>'), { contentType: 'text/html; charset=utf-8', visibility: 'public' });
    expect(await store.head('run-1/index.html')).toMatchObject({ size: 6, contentType: 'text/html; charset=utf-8' });
  });
});
