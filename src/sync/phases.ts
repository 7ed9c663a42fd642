/**
 * Ordered publication: the writes of a copy or sync in phases, so that a reader of the destination
 * never sees an index that names something not written yet (a package repository's metadata before
 * its packages, `repomd.xml` before the files it names).
 *
 * Phase 0 is every key no `publish-last` glob matches; line N's glob is phase N, and a key matching
 * several lines belongs to the last of them. The march compares every pair in key order (so the
 * manifest is read in order, as always) and writes phase 0's objects as it goes; an object of a
 * later phase that must be written is kept aside (its listing entry, in a list per phase: memory in
 * proportion to those objects only, never to the whole tree). Each later phase starts only when every
 * comparison and write before it succeeded and the listings were read to the end; then deletions,
 * after the delete delay.
 *
 * Manifest entries of the later phases come out of key order: they are kept (one per such object)
 * and merged into the manifest after it is closed (`manifest-merge.ts`).
 */
import { forEachLimit } from '../flow/pool';
import { fmtDuration } from '../config/duration';
import { compareKeys } from '../storage/key-range';
import type { ObjectInfo } from '../storage/object-store';
import { digestWithheld } from './digest-verify';
import type { Verdict } from './compare';
import type { ManifestEntry } from './manifest';
import type { Ctx } from './mirror-context';
import type { MirrorOptions } from './mirror-types';

/** One line of `publish-last`: the glob as given and its compiled form. */
export interface PhaseGlob {
  readonly glob: string;
  readonly pattern: RegExp;
}

/** How a run publishes: the later phases, and the wait between the last write and the first deletion. */
export interface Publication {
  /** Phase N is `last[N - 1]`; empty: one phase, as without ordered publication. */
  readonly last: readonly PhaseGlob[];
  /** Milliseconds between the last write and the first deletion (sync mode). */
  readonly deleteDelayMs: number;
}

/** The phase of a key: the number of the last line whose glob matches it, 0 when none does. */
export function phaseOf(last: readonly PhaseGlob[], key: string): number {
  for (let i = last.length - 1; i >= 0; i--) if (last[i]!.pattern.test(key)) return i + 1;
  return 0;
}

/** `corrupt source`: objects of the phase were not written because their content does not hash to the digest their key names. */
export type PhaseState = 'done' | 'failed' | 'corrupt source' | 'interrupted' | 'not started' | 'nothing to write';

/** What one phase did (or, in a dry run, would do). */
export interface PhaseRow {
  readonly phase: number;
  /** The globs of the phase; phase 0: everything else. */
  readonly globs: string;
  /** Objects the phase had to write (phase 0: written plus failed, comparisons of every phase included). */
  due: number;
  written: number;
  bytes: number;
  failed: number;
  /** Objects not written because their content does not hash to the digest their key names. */
  corrupt: number;
  state: PhaseState;
}

export interface PhasesReport {
  readonly rows: PhaseRow[];
  /** The first phase that did not start, and why. */
  stopped?: { readonly phase: number; readonly reason: string };
  /** Manifest entries of the objects the later phases wrote, in key order. */
  readonly lateEntries: ManifestEntry[];
}

/** An object of a later phase to write once its phase starts. */
export interface Deferred {
  readonly src: ObjectInfo;
  readonly kind: 'copied' | 'updated';
  readonly why?: Verdict;
}

/** Writes one deferred object (the engine's copy), with the context whose report lines carry the phase. */
export type WriteDeferred = (ctx: Ctx, d: Deferred) => Promise<ManifestEntry | null>;

/**
 * The phases of one run. Undefined without a publication, and in check mode, which writes nothing
 * (said once in the log).
 */
export function phasesFor(o: MirrorOptions): PhaseRun | undefined {
  if (!o.publication) return undefined;
  if (o.mode === 'check') {
    if (o.publication.last.length > 0) o.events.info('check mode writes nothing: the publish-last phases change nothing here');
    return undefined;
  }
  return new PhaseRun(o.publication);
}

export class PhaseRun {
  private readonly waiting: Deferred[][];
  readonly report: PhasesReport;

  constructor(private readonly publication: Publication) {
    this.waiting = publication.last.map(() => []);
    const row = (phase: number, globs: string): PhaseRow => ({ phase, globs, due: 0, written: 0, bytes: 0, failed: 0, corrupt: 0, state: 'not started' });
    this.report = { rows: [row(0, 'everything else'), ...publication.last.map((g, i) => row(i + 1, g.glob))], lateEntries: [] };
  }

  /** True when `d` belongs to a later phase: it is kept for that phase and not written now. */
  defer(d: Deferred): boolean {
    const phase = phaseOf(this.publication.last, d.src.key);
    if (phase === 0) return false;
    this.waiting[phase - 1]!.push(d);
    return true;
  }

  /**
   * After the march and phase 0's writes: runs each later phase in turn while everything before it
   * succeeded; a phase that cannot start leaves its objects and every later phase's unwritten, each
   * said in a report line.
   */
  async run(ctx: Ctx, write: WriteDeferred): Promise<void> {
    const { o, report } = ctx;
    if (this.publication.last.length === 0) return;
    report.phases = this.report;
    const first = this.report.rows[0]!;
    first.written = report.counts.copied + report.counts.updated;
    first.bytes = report.bytes.copied + report.bytes.updated;
    first.failed = report.counts.failed;
    first.due = first.written + first.failed;
    // Corrupt sources found so far: in phase 0's copies, or in the comparisons of every phase.
    first.corrupt = report.digest?.corrupt ?? 0;
    first.due += first.corrupt;
    first.state = first.failed > 0 ? 'failed' : first.corrupt > 0 ? 'corrupt source' : first.due === 0 ? 'nothing to write' : 'done';
    for (let phase = 1; phase <= this.waiting.length; phase++) {
      const list = this.waiting[phase - 1]!.sort((a, b) => compareKeys(a.src.key, b.src.key));
      this.waiting[phase - 1] = [];
      const row = this.report.rows[phase]!;
      row.due = list.length;
      const blocked = this.blocker(ctx);
      if (blocked !== undefined) {
        this.report.stopped ??= { phase, reason: blocked };
        for (const d of list) o.events.line(d.kind === 'copied' ? '+' : '*', d.src.key, `${d.kind === 'copied' ? 'only in the source' : 'differ'}: NOT written (phase ${phase} did not start: ${blocked})`);
        continue;
      }
      if (list.length === 0) {
        row.state = 'nothing to write';
        continue;
      }
      o.events.info(`phase ${phase} (${row.globs}): ${list.length} object(s) to write${o.dryRun ? ' (dry run: none is written)' : ''}, after every object of the phases before it`);
      const before = { done: report.counts.copied + report.counts.updated, bytes: report.bytes.copied + report.bytes.updated, failed: report.counts.failed, corrupt: report.digest?.corrupt ?? 0 };
      const tagged: Ctx = { ...ctx, o: { ...o, events: { ...o.events, line: (mark, key, detail) => o.events.line(mark, key, `${detail} [phase ${phase}]`) } } };
      await forEachLimit(list, Math.min(o.transfers, list.length), async (d) => {
        // An interrupt starts nothing new, here as in the march.
        if (o.stopped?.()) {
          o.events.line(d.kind === 'copied' ? '+' : '*', d.src.key, `NOT written (the run was interrupted) [phase ${phase}]`);
          return;
        }
        const entry = await write(tagged, d);
        if (entry) this.report.lateEntries.push(entry);
      });
      row.written = report.counts.copied + report.counts.updated - before.done;
      row.bytes = report.bytes.copied + report.bytes.updated - before.bytes;
      row.failed = report.counts.failed - before.failed;
      row.corrupt = (report.digest?.corrupt ?? 0) - before.corrupt;
      row.state = row.failed > 0 ? 'failed' : row.corrupt > 0 ? 'corrupt source' : row.written < row.due ? 'interrupted' : 'done';
    }
    this.report.lateEntries.sort((a, b) => compareKeys(a.key, b.key));
    if (this.report.stopped) o.events.warning(`publication stopped before phase ${this.report.stopped.phase}: ${this.report.stopped.reason}; no object of it or of a later phase was written, and nothing was deleted`);
  }

  /** Why the next phase may not start, or undefined when it may. */
  private blocker(ctx: Ctx): string | undefined {
    const { o, report } = ctx;
    if (report.listingError !== undefined) return 'a listing failed';
    if (o.stopped?.()) return 'the run was interrupted';
    if (report.counts.failed === 0) return digestWithheld(report);
    const failedRow = this.report.rows.find((r) => r.failed > 0);
    const first = report.failures[0];
    return `phase ${failedRow?.phase ?? 0} had ${failedRow?.failed ?? report.counts.failed} failure(s)${first ? ` (first: ${first.key}: ${first.reason})` : ''}`;
  }

  /**
   * The wait before the first deletion: a reader that fetched the previous index just before the
   * new one landed may still ask for what it names. False when the run was interrupted meanwhile.
   */
  async grace(ctx: Ctx): Promise<boolean> {
    const { o } = ctx;
    const ms = this.publication.deleteDelayMs;
    if (ms === 0) return true;
    if (o.dryRun) {
      o.events.info(`delete-delay: would wait ${fmtDuration(ms)} between the last write and the first deletion (dry run)`);
      return true;
    }
    o.events.info(`delete-delay: waiting ${fmtDuration(ms)} before the first deletion, so that readers holding the previous index can still fetch what it names`);
    const end = Date.now() + ms;
    for (let left = ms; left > 0; left = end - Date.now()) {
      if (o.stopped?.()) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 250)));
    }
    return !(o.stopped?.() ?? false);
  }
}
