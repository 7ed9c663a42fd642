import { Limiter } from './pool';

/**
 * Tasks run concurrently, results delivered in the order the tasks were given: for a producer that
 * walks a sorted listing and must write what it learns (a manifest) in key order. At most `limit`
 * tasks run at once, and at most `window` lie between the oldest result not yet delivered and the
 * newest task started, which bounds the results held back for one slow task.
 */
export class OrderedPool<R> {
  private readonly done = new Map<number, { value: R } | undefined>();
  private readonly running = new Set<Promise<void>>();
  private nextOut = 0;
  private seq = 0;
  private wake: (() => void) | undefined;
  private delivering: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  private deliveryFailure: { error: unknown } | undefined;

  /**
   * @param deliver called with each result in the order the tasks were submitted, one at a time
   *   (each call awaited before the next)
   */
  constructor(
    readonly limit: number,
    readonly window: number,
    private readonly deliver: (result: R) => Promise<void>,
  ) {}

  /**
   * Waits until there is room, then starts `task` (one producer submits; it is the one held
   * back). A task that rejects delivers nothing; {@link OrderedPool.finish} throws its error.
   * Once a delivery has thrown, nothing more is delivered and `submit` throws that error without
   * starting `task` (the producer stops; {@link OrderedPool.finish} still waits for the tasks running).
   */
  async submit(task: () => Promise<R>): Promise<void> {
    while (this.seq - this.nextOut >= this.window || this.running.size >= Math.max(1, this.limit)) {
      if (this.deliveryFailure) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.deliveryFailure) throw this.deliveryFailure.error;
    const n = this.seq++;
    // Through a promise, so that a task that throws before returning one still settles its place.
    const p = Promise.resolve().then(task).then(
      (value) => this.settle(n, { value }),
      (error: unknown) => {
        this.failure ??= { error };
        this.settle(n, undefined);
      },
    );
    this.running.add(p);
    void p.finally(() => {
      this.running.delete(p);
      this.wake?.();
    });
  }

  /** Waits for every task and every delivery; throws the first task failure or delivery failure. */
  async finish(): Promise<void> {
    await Promise.all(this.running);
    await this.delivering;
    if (this.deliveryFailure) throw this.deliveryFailure.error;
    if (this.failure) throw this.failure.error;
  }

  /**
   * Whether `error` is the failed delivery's own, which stopped the walk (what `submit` threw):
   * anything else a walk catches, `undefined` included, is not.
   */
  stoppedBy(error: unknown): boolean {
    return this.deliveryFailure !== undefined && error === this.deliveryFailure.error;
  }

  private settle(n: number, result: { value: R } | undefined): void {
    this.done.set(n, result);
    this.delivering = this.delivering.then(() => this.deliverReady());
  }

  private async deliverReady(): Promise<void> {
    while (this.done.has(this.nextOut)) {
      const r = this.done.get(this.nextOut);
      this.done.delete(this.nextOut);
      this.nextOut++;
      // After a failed delivery the rest are dropped, but the order still advances so no waiter hangs.
      if (!r || this.deliveryFailure) continue;
      try {
        await this.deliver(r.value);
      } catch (error) {
        this.deliveryFailure = { error };
      }
    }
    this.wake?.();
  }
}

/** What an engine walking a listing needs of its key tasks: {@link OrderedPool}'s face. */
export type KeyTasks<R> = Pick<OrderedPool<R>, 'submit' | 'finish' | 'stoppedBy'>;

/**
 * Keys between the oldest one not yet delivered and the newest started, at most, when results are
 * delivered in order: the walk goes this far past one slow key (a 10 GiB image) before it waits
 * for it. Measured behind one held key: 21 MB for the two-way mirror's results with keys of 60
 * characters, 84 MB with keys of 1,024; a fan-out to three destinations 48 and 110 MB (about 150
 * bytes more a result for each further destination). Bounded, beside the `memory` budget.
 */
export const KEY_WINDOW = 65_536;

/**
 * The key tasks of a listing walk, at most `limit` at once: with `deliver` (a manifest to write in
 * key order), an {@link OrderedPool} over {@link KEY_WINDOW} keys; without, a {@link Limiter}, so
 * that nothing waits on one slow key and results are dropped.
 */
export function keyTasks<R>(limit: number, deliver?: (result: R) => Promise<void>): KeyTasks<R> {
  if (deliver) return new OrderedPool<R>(limit, KEY_WINDOW, deliver);
  const limiter = new Limiter(limit);
  return {
    submit: (task) => limiter.launch(async () => void (await task())),
    finish: () => limiter.idle(),
    stoppedBy: () => false,
  };
}
