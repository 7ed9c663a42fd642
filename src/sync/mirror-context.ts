/**
 * What the parts of one mirror run share: its options, its report, its limits, and how a failure
 * is recorded.
 */
import type { Semaphore } from '../flow/semaphore';
import type { ByteBudget } from '../flow/byte-budget';
import { PrivateWriteGuard } from '../operations/private-write-guard';
import { abortStaleUploads } from '../operations/abort-stale';
import type { ObjectInfo } from '../storage/object-store';
import type { MirrorOptions, MirrorReport } from './mirror-types';
import type { PhaseRun } from './phases';

const MAX_FAILURES_KEPT = 100;

export interface Ctx {
  readonly o: MirrorOptions;
  readonly report: MirrorReport;
  readonly checkers: Semaphore;
  readonly transfers: Semaphore;
  readonly budget: ByteBudget;
  readonly deletions: ObjectInfo[];
  readonly guard: PrivateWriteGuard;
  readonly staleBefore: Date;
  /** Ordered publication, when asked (not in check mode). */
  readonly phases?: PhaseRun;
}

/** Counts a failure for `key`, keeps the first ones with their reasons, and reports the line. */
export function failed(ctx: Ctx, key: string, e: unknown, what = 'mirror'): void {
  const reason = e instanceof Error ? e.message : String(e);
  ctx.report.counts.failed++;
  if (ctx.report.failures.length < MAX_FAILURES_KEPT) ctx.report.failures.push({ key, reason: `${what}: ${reason}` });
  ctx.o.events.line('!', key, `${what} failed: ${reason}`);
  ctx.o.events.debug(`${key}: ${what} failed: ${reason}`);
}

/** Aborts what a killed earlier run left open for `key` at the destination; a failure only warns. */
export async function abortStale(ctx: Ctx, key: string): Promise<void> {
  await abortStaleUploads(ctx.o.destination, key, ctx.staleBefore, ctx.o.events);
}

/**
 * The mirror's guard of private writes. A private copy is checked anonymously after writing unless
 * verify-visibility is none: then a destination whose bucket policy cannot be read gets no private copy.
 */
export function mirrorGuard(o: MirrorOptions): PrivateWriteGuard {
  const unchecked = o.verifyVisibility === 'none' ? { because: 'verify-visibility is none (no anonymous check after writing)', change: 'set input "verify-visibility" to private or all' } : undefined;
  return new PrivateWriteGuard((m) => o.events.warning(m), 'writing', unchecked);
}
