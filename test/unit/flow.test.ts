// The concurrency and retry toolkit of src/flow: the pool never runs more than its bound and runs
// every task exactly once; the limiter holds a producer back; the retry loop counts failures in a
// row, resets on progress, and never retries what it is told not to.
import fc from 'fast-check';
import { checkProperty } from '../helpers/property';
import { forEachLimit, Limiter } from '../../src/flow/pool';
import { backoff, withRetry } from '../../src/flow/retry';
import { KEY_WINDOW, keyTasks, OrderedPool } from '../../src/flow/ordered-pool';

const tick = (n: number) => new Promise<void>((r) => setTimeout(r, n));

/** `p`'s outcome (its value or its error), or 'hung' when it has not settled within `ms`. */
async function within<T>(ms: number, p: Promise<T>): Promise<T | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)));
  try {
    return await Promise.race([p.catch((e: unknown) => e), hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function* streamOf<T>(items: readonly T[]): AsyncIterable<T> {
  for (const i of items) {
    await tick(0);
    yield i;
  }
}

describe('forEachLimit', () => {
  test('property: never more than the bound in flight, every item once, items taken in order', async () => {
    await checkProperty(
      'forEachLimit bound and exactly-once',
      fc.asyncProperty(fc.array(fc.nat(3), { maxLength: 40 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), async (delays, limit, streamed) => {
        let running = 0;
        let peak = 0;
        const runs = new Array<number>(delays.length).fill(0);
        const started: number[] = [];
        const items = delays.map((d, i) => ({ d, i }));
        await forEachLimit(streamed ? streamOf(items) : items, limit, async ({ d, i }, index) => {
          expect(index).toBe(i);
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await tick(d);
          runs[i]!++;
          running--;
        });
        expect(peak).toBeLessThanOrEqual(Math.max(1, limit));
        expect(runs.every((n) => n === 1)).toBe(true);
        expect(started).toEqual(items.map((x) => x.i));
      }),
      150,
    );
  });

  test('uses its bound: with slow tasks, `limit` run at once', async () => {
    let running = 0;
    let peak = 0;
    await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async () => {
      peak = Math.max(peak, ++running);
      await tick(5);
      running--;
    });
    expect(peak).toBe(3);
  });

  test('after a failure no new item is taken, the running ones finish, the iterator is closed and the failure thrown', async () => {
    let closed = false;
    async function* gen() {
      try {
        for (let i = 0; i < 100; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    let finished = 0;
    await expect(
      forEachLimit(gen(), 3, async (i) => {
        seen.push(i);
        if (i === 4) throw new Error('boom 4');
        await tick(5);
        finished++;
      }),
    ).rejects.toThrow('boom 4');
    expect(closed).toBe(true);
    expect(Math.max(...seen)).toBeLessThan(8);
    expect(finished).toBe(seen.length - 1);
  });
});

describe('Limiter', () => {
  test('property: launch holds the producer back, never more than the bound run, every task runs once', async () => {
    await checkProperty(
      'Limiter bound and exactly-once',
      fc.asyncProperty(fc.array(fc.nat(3), { maxLength: 30 }), fc.integer({ min: 1, max: 6 }), async (delays, limit) => {
        const limiter = new Limiter(limit);
        let running = 0;
        let peak = 0;
        const runs = new Array<number>(delays.length).fill(0);
        for (const [i, d] of delays.entries()) {
          await limiter.launch(async () => {
            running++;
            peak = Math.max(peak, running);
            await tick(d);
            runs[i]!++;
            running--;
          });
          expect(limiter.size).toBeLessThanOrEqual(limit);
        }
        await limiter.idle();
        expect(limiter.size).toBe(0);
        expect(peak).toBeLessThanOrEqual(limit);
        expect(runs.every((n) => n === 1)).toBe(true);
      }),
      150,
    );
  });

  test('idle() throws the first task that rejected, once; the others still ran', async () => {
    const limiter = new Limiter(2);
    let ran = 0;
    await limiter.launch(async () => {
      await tick(2);
      throw new Error('first');
    });
    await limiter.launch(async () => {
      await tick(4);
      throw new Error('second');
    });
    await limiter.launch(async () => {
      ran++;
    });
    await expect(limiter.idle()).rejects.toThrow('first');
    await expect(limiter.idle()).resolves.toBeUndefined();
    expect(ran).toBe(1);
  });
});

describe('withRetry', () => {
  const never = () => Promise.resolve();

  test('retries up to `retries` times, waiting by the backoff, then throws what `exhausted` makes', async () => {
    const waits: number[] = [];
    const told: string[] = [];
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error(`fail ${calls}`);
        },
        {
          retries: 4,
          retryable: () => true,
          delayMs: backoff(500, 2000),
          onRetry: (e, n, w) => told.push(`${(e as Error).message} #${n} ${w}`),
          exhausted: (e) => new Error(`gave up: ${(e as Error).message}`),
          sleep: async (ms) => void waits.push(ms),
        },
      ),
    ).rejects.toThrow('gave up: fail 5');
    expect(calls).toBe(5);
    expect(waits).toEqual([500, 1000, 2000, 2000]);
    expect(told).toEqual(['fail 1 #1 500', 'fail 2 #2 1000', 'fail 3 #3 2000', 'fail 4 #4 2000']);
  });

  test('a failure that is not retryable is thrown at once; success is returned', async () => {
    let calls = 0;
    const err = new Error('no');
    await expect(withRetry(async () => { calls++; throw err; }, { retries: 5, retryable: () => false, delayMs: () => 0, sleep: never })).rejects.toBe(err);
    expect(calls).toBe(1);
    let n = 0;
    await expect(withRetry(async () => { if (++n < 3) throw new Error('x'); return 'ok'; }, { retries: 2, retryable: () => true, delayMs: () => 0, sleep: never })).resolves.toBe('ok');
    await expect(withRetry(async () => { throw err; }, { retries: 0, retryable: () => true, delayMs: () => 0, sleep: never })).rejects.toBe(err);
  });

  test('property: a try that progressed starts the count again, so only `retries` failures in a row give up', async () => {
    await checkProperty(
      'withRetry counts failures in a row',
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), fc.nat(4), async (progress, retries) => {
        // Each try fails; progress[i] says whether try i got somewhere. The reference: the first try
        // whose run of non-progressing failures (counting a progressing one as 1) passes `retries`.
        let expectedTries = progress.length + 1;
        let run = 0;
        for (const [i, p] of progress.entries()) {
          run = p ? 1 : run + 1;
          if (run > retries) {
            expectedTries = i + 1;
            break;
          }
        }
        let tries = 0;
        let last = false;
        const result = withRetry(
          async () => {
            tries++;
            last = progress[tries - 1] ?? false;
            if (tries > progress.length) return 'done';
            throw new Error('broke');
          },
          { retries, retryable: () => true, delayMs: () => 0, progressed: () => last, sleep: never },
        );
        if (expectedTries > progress.length) await expect(result).resolves.toBe('done');
        else await expect(result).rejects.toThrow('broke');
        expect(tries).toBe(expectedTries);
      }),
      300,
    );
  });
});

describe('OrderedPool', () => {
  test('property: results are delivered in submission order, once each; never more than `limit` run, never more than `window` between the oldest undelivered and the newest', async () => {
    await checkProperty(
      'OrderedPool order, bound and window',
      fc.asyncProperty(fc.array(fc.nat(4), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), async (delays, limit, window) => {
        const delivered: number[] = [];
        let running = 0;
        let peak = 0;
        let started = 0;
        let widest = 0;
        let handed = 0;
        const pool = new OrderedPool<number>(limit, window, async (i) => {
          handed++;
          await tick(0);
          delivered.push(i);
        });
        for (const [i, d] of delays.entries()) {
          await pool.submit(async () => {
            started++;
            widest = Math.max(widest, started - handed);
            peak = Math.max(peak, ++running);
            await tick(d);
            running--;
            return i;
          });
        }
        await pool.finish();
        expect(delivered).toEqual(delays.map((_, i) => i));
        expect(peak).toBeLessThanOrEqual(limit);
        expect(widest).toBeLessThanOrEqual(window);
      }),
      150,
    );
  });

  test('a task that rejects delivers nothing, the others still are, and finish() throws it', async () => {
    const delivered: number[] = [];
    const pool = new OrderedPool<number>(2, 10, async (i) => void delivered.push(i));
    await pool.submit(async () => 1);
    await pool.submit(async () => Promise.reject(new Error('bug')));
    await pool.submit(async () => 3);
    await expect(pool.finish()).rejects.toThrow('bug');
    expect(delivered).toEqual([1, 3]);
  });

  test('property: a delivery that throws ends the run without a hang: nothing later is delivered, submit() and finish() throw it', async () => {
    await checkProperty(
      'OrderedPool delivery failure',
      fc.asyncProperty(fc.array(fc.nat(3), { minLength: 1, maxLength: 60 }), fc.nat(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), async (delays, at, limit, window) => {
        const failAt = at % delays.length;
        const delivered: number[] = [];
        const pool = new OrderedPool<number>(limit, window, async (i) => {
          await tick(0);
          if (i === failAt) throw new Error('disk full');
          delivered.push(i);
        });
        const run = async (): Promise<unknown> => {
          try {
            for (const [i, d] of delays.entries()) {
              await pool.submit(async () => {
                await tick(d);
                return i;
              });
            }
          } catch (e) {
            return e;
          }
          return undefined;
        };
        const fromSubmit = await within(2000, run());
        expect(fromSubmit).not.toBe('hung');
        const fromFinish = await within(2000, pool.finish());
        expect(fromFinish).not.toBe('hung');
        expect((fromFinish as Error).message).toBe('disk full');
        if (fromSubmit !== undefined) expect((fromSubmit as Error).message).toBe('disk full');
        expect(delivered).toEqual(delays.slice(0, failAt).map((_, i) => i));
      }),
      100,
    );
  });

  test('the probe: a delivery throwing on its first call, 100 tasks, limit 4, window 8: no hang, the error comes out', async () => {
    let calls = 0;
    const pool = new OrderedPool<number>(4, 8, async () => {
      if (calls++ === 0) throw new Error('first delivery failed');
    });
    let submitted = 0;
    const walk = (async () => {
      for (let i = 0; i < 100; i++) {
        await pool.submit(async () => i);
        submitted++;
      }
    })();
    const out = await within(1000, walk);
    expect(out).not.toBe('hung');
    await expect(pool.finish()).rejects.toThrow('first delivery failed');
    expect(calls).toBe(1);
    expect(submitted).toBeLessThan(100);
  });
});

describe('keyTasks', () => {
  /** Submits a held task, then `n` quick ones; how many quick ones ran while the first was held. */
  async function pastHeld(n: number, deliver?: (i: number) => Promise<void>) {
    const tasks = keyTasks<number>(4, deliver);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let ran = 0;
    const walk = (async () => {
      await tasks.submit(async () => (await gate, -1));
      for (let i = 0; i < n; i++) await tasks.submit(async () => (ran++, i));
    })();
    expect(await within(5000, walk)).not.toBe('hung');
    const seen = ran;
    open();
    await tasks.finish();
    return seen;
  }

  test('without a delivery, nothing waits on a slow task, however many come after it', async () => {
    expect(await pastHeld(100_000)).toBe(100_000);
  });

  test('with a delivery, the walk starts the KEY_WINDOW - 1 keys after a slow task (the next waits: key-tasks.test.ts), and results come in order', async () => {
    const delivered: number[] = [];
    expect(await pastHeld(KEY_WINDOW - 1, async (i) => void delivered.push(i))).toBe(KEY_WINDOW - 1);
    expect(delivered).toEqual([-1, ...Array.from({ length: KEY_WINDOW - 1 }, (_, i) => i)]);
  });
});
