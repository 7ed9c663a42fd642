/**
 * The memory promise of streamed copies (the `memory` input: object data held in memory at most,
 * over all transfers): several copies at once, each to one destination or several, share one
 * budget, and the object bytes the destinations hold at any moment (each body counted once however
 * many destinations hold it) never exceed it, nor does what the budget has handed out.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ByteBudget } from '../../src/flow/byte-budget';
import { streamCopy } from '../../src/operations/stream-copy';
import { LocalStore } from '../../src/storage/local-store';
import type { MultipartWrite, ObjectStore } from '../../src/storage/object-store';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'stream-copy-memory-'));

/**
 * Counts the bytes of the bodies held by every destination at once: a body is held from the call
 * that is given it until that call settles, and counted once per distinct memory region (the same
 * Buffer given to three destinations is one copy of the data; a copy made per destination is three).
 */
class HeldBytes {
  private readonly held = new Map<string, { bytes: number; holders: number }>();
  private now = 0;
  peak = 0;

  async hold<T>(body: Buffer, delay: number, then: () => Promise<T>): Promise<T> {
    const region = `${bufferId(body.buffer)}:${body.byteOffset}:${body.byteLength}`;
    const entry = this.held.get(region) ?? { bytes: body.byteLength, holders: 0 };
    if (entry.holders++ === 0) {
      this.held.set(region, entry);
      this.now += entry.bytes;
      this.peak = Math.max(this.peak, this.now);
    }
    try {
      for (let i = 0; i < delay; i++) await new Promise((r) => setImmediate(r));
      return await then();
    } finally {
      if (--entry.holders === 0) {
        this.held.delete(region);
        this.now -= entry.bytes;
      }
    }
  }
}

let buffers = 0;
const ids = new WeakMap<ArrayBufferLike, number>();
/** A name for each memory region a Buffer is a view of. */
function bufferId(b: ArrayBufferLike): number {
  let id = ids.get(b);
  if (id === undefined) ids.set(b, (id = ++buffers));
  return id;
}

/** A destination that takes a while with each body (`delays` ticks, in turn), counts what it holds, and keeps nothing. */
function slowDestination(held: HeldBytes, delays: readonly number[]): ObjectStore {
  let turn = 0;
  const delay = () => delays[turn++ % delays.length]!;
  const done = async () => ({});
  return {
    display: 'slow destination',
    put: (_key: string, body: Buffer) => held.hold(body, delay(), done),
    startMultipart: async (): Promise<MultipartWrite> => ({
      writePart: (_n, body) => held.hold(body, delay(), async () => undefined),
      complete: done,
      abort: async () => undefined,
    }),
  } as Partial<ObjectStore> as ObjectStore;
}

test('copies sharing one budget, to one destination or several, never hold more object bytes than the budget', async () => {
  // Part sizes are whole MiB (streamCopy rounds them up so).
  const partSize = 1024 * 1024;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        destinations: fc.integer({ min: 1, max: 4 }),
        sizes: fc.array(fc.integer({ min: 1, max: 5 * partSize }), { minLength: 1, maxLength: 3 }),
        budgetParts: fc.integer({ min: 1, max: 5 }),
        partsInFlight: fc.integer({ min: 1, max: 4 }),
        delays: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 6 }),
      }),
      async ({ destinations, sizes, budgetParts, partsInFlight, delays }) => {
        const source = new LocalStore(tmp());
        for (const [i, size] of sizes.entries()) {
          const body = Buffer.alloc(size, i + 1);
          await source.put(`k${i}`, body, createHash('sha256').update(body).digest(), { visibility: 'public' });
        }
        const budget = new ByteBudget(budgetParts * partSize);
        let budgetPeak = 0;
        const take = budget.take.bind(budget);
        budget.take = async (n) => {
          const release = await take(n);
          budgetPeak = Math.max(budgetPeak, budget.held);
          return release;
        };
        const held = new HeldBytes();
        const stores = Array.from({ length: destinations }, () => slowDestination(held, delays));
        const results = await Promise.all(
          sizes.map((size, i) => streamCopy(source, stores, `k${i}`, `k${i}`, 'public', size, { partSize, budget, partsInFlight })),
        );
        for (const r of results) expect(r.outcomes.every((o) => o.ok)).toBe(true);
        expect(budgetPeak).toBeLessThanOrEqual(budget.total);
        expect(held.peak).toBeLessThanOrEqual(budget.total);
        expect(budget.held).toBe(0);
      },
    ),
    { numRuns: 40 },
  );
});
