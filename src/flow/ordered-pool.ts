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
    const p = task().then(
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

  /** The error of the delivery that threw, if one did (the one `submit` and `finish` throw). */
  get deliveryError(): { error: unknown } | undefined {
    return this.deliveryFailure;
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
