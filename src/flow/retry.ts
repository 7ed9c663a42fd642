/**
 * The one retry loop of the engines, for what the wire does not retry itself. Every S3 request is
 * already retried by the wire (the SDK's attempts, or the lean path's same count): a loop around a
 * store call would multiply them. What is left to an engine is work the wire cannot resume, such
 * as a download whose stream broke, asked again from the byte where it stopped, and calls that go
 * to other services (the GitHub API).
 */

export interface RetryPolicy {
  /** Further tries after the first failure, in a row (see `progressed`). */
  readonly retries: number;
  /** Whether a failure is worth another try; others are thrown at once. */
  readonly retryable: (error: unknown) => boolean;
  /** The wait before retry number `failure` (1 for the first retry). */
  readonly delayMs: (failure: number) => number;
  /**
   * Asked after each failure: true when the failed try still got somewhere (bytes received), which
   * starts the count of failures in a row again at one.
   */
  readonly progressed?: () => boolean;
  /** Told before each wait; for log lines. */
  readonly onRetry?: (error: unknown, failure: number, waitMs: number) => void;
  /** The error thrown once the retries are spent; default: the last failure itself. */
  readonly exhausted?: (error: unknown) => unknown;
  /** Waits between tries; replaced in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Doubling waits from `firstMs`, never above `maxMs`: `firstMs`, `2 x firstMs`, ... */
export function backoff(firstMs: number, maxMs = Infinity): (failure: number) => number {
  return (failure) => Math.min(firstMs * 2 ** (failure - 1), maxMs);
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `attempt` until it resolves, a failure is not retryable, or the retries are spent. */
export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const sleep = policy.sleep ?? sleepFor;
  let failures = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (!policy.retryable(e)) throw e;
      failures = policy.progressed?.() ? 1 : failures + 1;
      if (failures > policy.retries) throw policy.exhausted ? policy.exhausted(e) : e;
      const wait = policy.delayMs(failures);
      policy.onRetry?.(e, failures, wait);
      await sleep(wait);
    }
  }
}
