/**
 * Planning memory, bounded: a mirror of many pages holds the entries of a few pages at a time, plus
 * the destination's extra keys it must keep until the listing ends (a sync deletes only after the
 * whole listing was read). bench/tools/plan-memory.js measures the process; this holds the shape.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ObjectInfo, ObjectStore } from '../../src/storage/object-store';
import { mirror } from '../../src/sync/mirror';
import { mirrorOptions } from '../helpers/mirror-options';

const PAGES = 60;
const PAGE = 500;

/** A full garbage collection (the flag is set for this process only, the function taken from a fresh context). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Keys a side lists: every 50th is only in the destination, every 50th (offset 1) only in the source. */
const listed = (side: 'source' | 'destination', i: number) => !((side === 'source' && i % 50 === 0) || (side === 'destination' && i % 50 === 1));

/** A store listing generated entries, each watched by a WeakRef (`extra` marks the destination-only ones). */
function generated(side: 'source' | 'destination', watched: { ref: WeakRef<ObjectInfo>; extra: boolean }[]): ObjectStore {
  const none = () => Promise.reject(new Error('not in a dry run'));
  return {
    display: `generated ${side}`,
    visibilityMode: 'acl',
    async preflight() {},
    async *listPages() {
      for (let p = 0; p < PAGES; p++) {
        const page: ObjectInfo[] = [];
        for (let i = p * PAGE; i < (p + 1) * PAGE; i++) {
          if (!listed(side, i)) continue;
          // A fresh flat string, as a listing reader gives (not one that shares storage with others).
          const o: ObjectInfo = { key: `k/${String(i).padStart(8, '0')}`.split('').join(''), size: 1, etag: i.toString(16).padStart(32, '0') };
          watched.push({ ref: new WeakRef(o), extra: side === 'destination' && !listed('source', i) });
          page.push(o);
        }
        // Between pages, as a network listing would.
        await new Promise((r) => setImmediate(r));
        yield page;
      }
    },
    head: async () => undefined,
    get: none,
    put: none,
    startMultipart: none,
    delete: none,
    listOpenUploads: async () => [],
    anonymousUrl: () => undefined,
    policy: async () => ({ kind: 'none' }),
    locate: () => undefined,
  } as unknown as ObjectStore;
}

test('a sync plan holds the entries of a few pages at once, and the extra keys it must delete', async () => {
  const watched: { ref: WeakRef<ObjectInfo>; extra: boolean }[] = [];
  let most = 0;
  let checks = 0;
  let batches = 0;
  const { o } = mirrorOptions(generated('source', watched), generated('destination', watched), {
    dryRun: true,
    transfers: 8,
    checkers: 8,
    events: {
      info: () => undefined,
      debug: () => undefined,
      warning: () => undefined,
      line: () => undefined,
      progress: () => {
        // Every 5th batch: a collection, then the entries still alive that the plan need not keep.
        if (batches++ % 5 !== 0) return;
        collect();
        checks++;
        most = Math.max(most, watched.filter((w) => !w.extra && w.ref.deref() !== undefined).length);
      },
    },
  });
  const report = await mirror(o);
  expect(report.keys).toBe(PAGES * PAGE);
  expect(report.counts.deleted).toBe(PAGES * (PAGE / 50));
  expect(checks).toBeGreaterThan(10);
  // Both sides' page in hand and the one read ahead: at most 4 pages of entries (2,000 of 60,000).
  expect(most).toBeLessThanOrEqual(4 * PAGE);
  console.log(`[plan-memory] at most ${most} of ${2 * PAGES * PAGE} listed entries alive at ${checks} checks`);
});
