/**
 * Bounded concurrency, the one way every engine runs many tasks: {@link forEachLimit} for a known
 * or streamed list of items (worker loops, constant memory), and {@link Limiter} for a producer
 * that makes tasks as it goes (parts read from a file or a stream) and must not run ahead of them.
 */
import { Semaphore } from './semaphore';

/**
 * Runs `fn` on every item with at most `limit` calls in flight (at least one), in constant memory:
 * `limit` workers take the items in order, each the next one when its last is done. After a call
 * fails no new item is taken; the calls still running are waited for, the iterator is closed, and
 * the first failure is thrown.
 */
export async function forEachLimit<T>(items: Iterable<T> | AsyncIterable<T>, limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  const it = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  // Pulls are chained so that concurrent workers never call next() at the same time.
  let pulling: Promise<unknown> = Promise.resolve();
  let failed = false;
  let index = 0;
  const pull = (): Promise<IteratorResult<T>> => {
    const next = pulling.then(() => it.next());
    pulling = next.catch(() => undefined);
    return next;
  };
  const worker = async () => {
    while (!failed) {
      const r = await pull();
      if (r.done) return;
      try {
        await fn(r.value, index++);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, limit) }, worker));
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) {
    await it.return?.();
    throw bad.reason;
  }
}

/**
 * At most `limit` tasks running at once, for a producer that makes them one by one: `launch` waits
 * for a free place, starts the task and returns without waiting for it, so the producer reads the
 * next input only while fewer than `limit` are running. Places are granted first come, first served.
 */
export class Limiter {
  private readonly places: Semaphore;
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(readonly limit: number) {
    this.places = new Semaphore(Math.max(1, limit));
  }

  /** Tasks started and not yet settled. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Waits for a free place, then starts `task`. A task should handle its own failures: one that
   * rejects anyway is not lost, {@link Limiter.idle} throws the first such.
   */
  async launch(task: () => Promise<void>): Promise<void> {
    (await this.reserve()).start(task);
  }

  /**
   * Waits for a free place and holds it for a task the caller is still preparing (a buffer it
   * fills once it knows there is room): `start` runs the task there, `cancel` gives the place back.
   */
  async reserve(): Promise<Place> {
    const release = await this.places.acquire();
    return {
      start: (task) => {
        const p = (async () => {
          try {
            await task();
          } catch (error) {
            this.failure ??= { error };
          } finally {
            release();
          }
        })();
        this.running.add(p);
        void p.then(() => this.running.delete(p));
      },
      cancel: release,
    };
  }

  /** Waits until every task started so far has settled; then throws the first that rejected, if any. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    const f = this.failure;
    this.failure = undefined;
    if (f) throw f.error;
  }
}

/** A place among a {@link Limiter}'s running tasks, held for one task. */
export interface Place {
  /** Starts the task in this place (once). */
  start(task: () => Promise<void>): void;
  /** Gives the place back unused. */
  cancel(): void;
}
