/**
 * The listing walk's key tasks (flow keyTasks) and the two engines that use them: the window and
 * the concurrency limit are real bounds; a task that throws before returning its promise, or a
 * listing that throws a value that is not an Error, neither hangs the walk nor passes for a clean
 * run; and a manifest written behind one held key and past one failed key holds every other key's
 * entry, in key order.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KEY_WINDOW, keyTasks, OrderedPool } from '../../src/flow/ordered-pool';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectInfo, ObjectStore } from '../../src/storage/object-store';
import { mirrorFanOut } from '../../src/sync/fan-out';
import { mirror } from '../../src/sync/mirror';
import { ManifestReader, ManifestWriter, type ManifestEntry, type ManifestIdentity } from '../../src/sync/manifest';
import { mirrorOptions } from '../helpers/mirror-options';

const tick = (n: number) => new Promise<void>((r) => setTimeout(r, n));
async function within<T>(ms: number, p: Promise<T>): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
  try {
    return await Promise.race([p, hung]);
  } finally {
    clearTimeout(timer);
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'key-tasks-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let made = 0;
const tmp = () => fs.mkdirSync(path.join(root, String(made++)), { recursive: true })!;
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

describe('keyTasks bounds', () => {
  test('with a delivery, the walk stops at KEY_WINDOW keys: the next submit waits while the oldest is held', async () => {
    const tasks = keyTasks<number>(4, async () => undefined);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let ran = 0;
    let submitted = 0;
    const walk = (async () => {
      await tasks.submit(async () => (await gate, -1));
      submitted++;
      for (let i = 0; i < KEY_WINDOW + 10; i++) {
        await tasks.submit(async () => (ran++, i));
        submitted++;
      }
    })();
    // However slow the machine: wait until the walk reaches the window, then give it a second more.
    for (let waited = 0; submitted < KEY_WINDOW && waited < 120_000; waited += 100) await tick(100);
    expect(await within(1000, walk)).toBe('hung');
    expect(submitted).toBe(KEY_WINDOW);
    expect(ran).toBe(KEY_WINDOW - 1);
    open();
    await walk;
    await tasks.finish();
    expect(ran).toBe(KEY_WINDOW + 10);
  }, 150_000);

  test.each([false, true])('never more than `limit` tasks run at once (a delivery: %s), and the limit is reached', async (withDelivery) => {
    const limit = 3;
    const tasks = keyTasks<number>(limit, withDelivery ? async () => undefined : undefined);
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 300; i++) {
      await tasks.submit(async () => {
        peak = Math.max(peak, ++running);
        await tick(i % 3);
        running--;
        return i;
      });
    }
    await tasks.finish();
    expect(peak).toBe(limit);
  });
});

describe('OrderedPool: a task that throws before returning its promise', () => {
  test('the order still advances: later results are delivered, and the walk does not hang once the window is passed', async () => {
    const delivered: number[] = [];
    const pool = new OrderedPool<number>(2, 4, async (i) => void delivered.push(i));
    await pool.submit(async () => 0);
    // A task written without `async` that throws at once.
    await pool.submit((() => {
      throw new Error('bug');
    }) as unknown as () => Promise<number>).catch(() => undefined);
    const walk = (async () => {
      for (let i = 2; i < 10; i++) await pool.submit(async () => i);
    })();
    expect(await within(2000, walk)).not.toBe('hung');
    await pool.finish().catch(() => undefined);
    expect(delivered).toEqual([0, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

/** A store whose listing yields its first page and then throws `thrown`. */
function listingThrowsAfterFirstPage(s: LocalStore, first: number, thrown: unknown): ObjectStore {
  return Object.assign(Object.create(s) as ObjectStore, {
    listPages: async function* (prefix?: string, range?: Parameters<LocalStore['listPages']>[1]): AsyncIterable<readonly ObjectInfo[]> {
      const all: ObjectInfo[] = [];
      for await (const page of s.listPages(prefix, range)) all.push(...page);
      yield all.slice(0, first);
      throw thrown;
    },
  });
}

async function folder(keys: readonly string[]): Promise<LocalStore> {
  const s = new LocalStore(tmp());
  for (const k of keys) await s.put(k, Buffer.from(k), sha(Buffer.from(k)), { visibility: 'public' });
  return s;
}

describe('a source listing that fails by throwing a value that is not an Error', () => {
  test.each([new Error('reset'), undefined])('two-way sync, thrown %p: called a listing failure, nothing deleted', async (thrown) => {
    const src = await folder(['k1', 'k2', 'k3']);
    const dst = await folder(['a-extra', 'k1', 'z-extra']);
    const { o } = mirrorOptions(listingThrowsAfterFirstPage(src, 2, thrown), dst, { mode: 'sync' });
    const r = await mirror(o);
    const left: string[] = [];
    for await (const x of dst.list()) left.push(x.key);
    expect({ listingError: r.listingError !== undefined, complete: r.complete, deleted: r.counts.deleted, left }).toEqual({
      listingError: true,
      complete: false,
      deleted: 0,
      left: ['a-extra', 'k1', 'k2', 'z-extra'],
    });
  });

  test.each([new Error('reset'), undefined])('fan-out sync, thrown %p: called a listing failure, nothing deleted', async (thrown) => {
    const src = await folder(['k1', 'k2', 'k3']);
    const dst = await folder(['a-extra', 'k1', 'z-extra']);
    const { o: base } = mirrorOptions(src, dst, { mode: 'sync' });
    const { destination: _d, compare: _c, events, ...rest } = base;
    const r = await mirrorFanOut({
      ...rest,
      source: listingThrowsAfterFirstPage(src, 2, thrown),
      mode: 'sync',
      destinations: [dst],
      events: () => events,
      run: { info: () => undefined, warning: () => undefined },
    });
    const left: string[] = [];
    for await (const x of dst.list()) left.push(x.key);
    expect({ listingError: r.listingError !== undefined, complete: r.destinations[0]!.complete, deleted: r.destinations[0]!.counts.deleted, left }).toEqual({
      listingError: true,
      complete: false,
      deleted: 0,
      left: ['a-extra', 'k1', 'k2', 'z-extra'],
    });
  });
});

describe('the manifest under a held key, with a failed key: every other entry, in key order', () => {
  const KEYS = Array.from({ length: 300 }, (_, i) => `k${String(i).padStart(5, '0')}`);
  const SLOW = 'k00100';
  const BAD = 'k00200';

  /** Holds SLOW until `gate`, refuses BAD, and answers every other write with an ETag unlike the source's (so each copy leaves an entry). */
  function destination(s: LocalStore, gate: Promise<void>): ObjectStore {
    return Object.assign(Object.create(s) as ObjectStore, {
      put: async (...args: Parameters<LocalStore['put']>) => {
        if (args[0] === SLOW) await gate;
        if (args[0] === BAD) throw new Error('refused');
        const r = await s.put(...args);
        return { etag: `${r.etag}-1` };
      },
      canCopyFrom: () => false,
    });
  }

  async function entries(file: string, identity: ManifestIdentity): Promise<string[]> {
    const { reader } = await ManifestReader.open(file, identity);
    const out: string[] = [];
    for (let e: ManifestEntry | undefined = await reader!.peek(); e !== undefined; e = await reader!.peek()) {
      out.push(e.key);
      reader!.take();
    }
    return out;
  }

  test('two-way', async () => {
    const src = await folder(KEYS);
    const identity = { source: 's', destination: 'd' } as ManifestIdentity;
    const file = path.join(tmp(), 'm.gz');
    const writer = new ManifestWriter(file, identity);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { o } = mirrorOptions(src, destination(new LocalStore(tmp()), gate), { mode: 'copy' });
    const run = mirror({ ...o, manifestOut: writer });
    await tick(1500);
    open();
    const r = await run;
    await writer.close();
    expect(r.counts.failed).toBe(1);
    expect(await entries(file, identity)).toEqual(KEYS.filter((k) => k !== BAD));
  }, 60_000);

  test('fan-out, two destinations', async () => {
    const src = await folder(KEYS);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const ids = [0, 1].map((i) => ({ source: 's', destination: `d${i}` }) as ManifestIdentity);
    const files = [0, 1].map(() => path.join(tmp(), 'm.gz'));
    const writers = files.map((f, i) => new ManifestWriter(f, ids[i]!));
    const { o: base } = mirrorOptions(src, src, { mode: 'copy' });
    const { destination: _d, compare: _c, events, ...rest } = base;
    const run = mirrorFanOut({
      ...rest,
      mode: 'copy',
      destinations: [destination(new LocalStore(tmp()), gate), destination(new LocalStore(tmp()), gate)],
      events: () => events,
      run: { info: () => undefined, warning: () => undefined },
      manifests: writers.map((writer) => ({ writer })),
    });
    await tick(1500);
    open();
    const r = await run;
    for (const w of writers) await w.close();
    expect(r.destinations.map((d) => d.counts.failed)).toEqual([1, 1]);
    for (const [i, f] of files.entries()) expect(await entries(f, ids[i]!)).toEqual(KEYS.filter((k) => k !== BAD));
  }, 60_000);
});
