/**
 * A token bucket: at most `rate` requests a second on average, with bursts of up to `burst`.
 * Shared by every worker sending to one store, so a per-store cap (a provider's requests-per-second
 * limit) holds whatever the concurrency. Pure: the clock and the sleep are injectable for tests.
 */
export interface RateLimiterOptions {
  /** Requests a second; 0 or Infinity for no cap. */
  readonly rate: number;
  /** Tokens the bucket holds at most; defaults to a tenth of a second's worth, at least 1. */
  readonly burst?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private tokens: number;
  private last: number;
  /** Grants wait in line: the time the next caller may go, so waiters are served in order. */
  private nextFree = 0;

  constructor(o: RateLimiterOptions) {
    this.rate = o.rate > 0 && Number.isFinite(o.rate) ? o.rate : Infinity;
    this.burst = Math.max(1, o.burst ?? Math.ceil(this.rate / 10));
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** True when there is no cap. */
  get unlimited(): boolean {
    return this.rate === Infinity;
  }

  /** Resolves when one request may be sent. */
  async take(): Promise<void> {
    if (this.rate === Infinity) return;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    if (this.tokens >= 1 && this.nextFree <= t) {
      this.tokens -= 1;
      return;
    }
    // Reserve the next token: it is taken now (the balance goes negative) and its time is waited out.
    this.tokens -= 1;
    const wait = Math.max(((-this.tokens) * 1000) / this.rate, this.nextFree - t, 0);
    this.nextFree = t + wait;
    await this.sleep(wait);
  }
}
