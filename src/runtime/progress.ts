/** Progress lines for long work: at most one every `intervalMs`, with bytes, percent and rate. */
export class Progress {
  private last = 0;
  private current?: string;
  private started = 0;

  constructor(
    private readonly print: (line: string) => void,
    private readonly intervalMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.last = this.now();
  }

  /** Reports `done` of `total` bytes for `what`; prints only when the interval has passed or at the end. */
  bytes(what: string, done: number, total: number): void {
    const t = this.now();
    if (what !== this.current) {
      // A new piece of work: its rate counts from its own first report.
      this.current = what;
      this.started = t;
    }
    if (done < total && t - this.last < this.intervalMs) return;
    this.last = t;
    const secs = Math.max((t - this.started) / 1000, 0.001);
    const pct = total === 0 ? 100 : (done / total) * 100;
    this.print(`${what}: ${mib(done)} of ${mib(total)} MiB (${pct.toFixed(0)}%), ${(done / 1048576 / secs).toFixed(1)} MiB/s`);
  }
}

function mib(n: number): string {
  return (n / 1048576).toFixed(1);
}
