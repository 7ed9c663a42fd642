/**
 * A budget of bytes in memory, shared by concurrent file uploads: each takes what its buffers need
 * before reading, and gives it back when its requests are done. Memory then stays under the budget
 * whatever the mix of small and large files, instead of `concurrency x largest file`.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { n: number; grant: () => void }[] = [];

  constructor(readonly total: number) {}

  /**
   * Waits until `n` bytes are free, takes them, and resolves a function that gives them back.
   * A request larger than the whole budget is granted alone, when nothing else is held.
   */
  async take(n: number): Promise<() => void> {
    const want = Math.min(Math.max(0, n), this.total);
    if (this.waiting.length === 0 && this.used + want <= this.total) this.used += want;
    else await new Promise<void>((grant) => this.waiting.push({ n: want, grant }));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.used -= want;
      this.wake();
    };
  }

  /** Bytes held now; for tests. */
  get held(): number {
    return this.used;
  }

  // First come, first served: a large request is not starved by a stream of small ones.
  private wake(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.n <= this.total) {
      const next = this.waiting.shift()!;
      this.used += next.n;
      next.grant();
    }
  }
}
