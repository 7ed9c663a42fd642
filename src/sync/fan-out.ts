/**
 * The mirror to several destinations at once (fan-out): one listing of the source merge-joined
 * against every destination's listing (`march-many.ts`), each key decided per destination as the
 * two-way mirror decides it, and one read of each source object feeding every destination that
 * needs it (`fan-out-key.ts`). Each destination has its own report, failures and deletions, under
 * the same safety rules as the two-way mirror (`mirror.ts`):
 * - a failed source listing stops the run and nothing is deleted anywhere;
 * - a failed destination listing leaves that destination out from then on, with nothing deleted in
 *   it; the others go on;
 * - a destination's deletions wait until everything else went right for it, and stay under its
 *   `maxDelete`, else none is made there.
 * Each destination may have its own manifest of verified copies (the one the two-way mirror keeps for
 * that pair of stores): read alongside the listings, and written in key order with what this run
 * proved or copied there, as the two-way mirror writes it.
 */
import { ByteBudget } from '../flow/byte-budget';
import { keyTasks, type KeyTasks } from '../flow/ordered-pool';
import { Semaphore } from '../flow/semaphore';
import type { ObjectStore } from '../storage/object-store';
import { compareListed } from './compare';
import { deleteExtra } from './delete-extra';
import { handleKey, type Need, type Proven } from './fan-out-key';
import type { ManifestReader, ManifestWriter } from './manifest';
import { marchMany, type ManyPair } from './march-many';
import { mirrorGuard, type Ctx } from './mirror-context';
import { emptyMirrorReport, type MirrorEvents, type MirrorOptions, type MirrorReport } from './mirror-types';

/** What a fan-out run is given: a mirror's options, several destinations, copy or sync only. */
export interface FanOutOptions extends Omit<MirrorOptions, 'destination' | 'mode' | 'compare' | 'manifest' | 'manifestOut' | 'digest' | 'publication' | 'events'> {
  readonly destinations: readonly ObjectStore[];
  readonly mode: 'copy' | 'sync';
  /** The events of destination `i` (its report lines, warnings). */
  readonly events: (destination: number) => MirrorEvents;
  /** Events of the run as a whole (progress, the source's listing). */
  readonly run: Pick<MirrorEvents, 'info' | 'warning'> & { progress?(report: FanOutReport): void };
  /** Destination `i`'s manifest of verified copies (none where absent): `reader` proves pairs, `writer` records them. */
  readonly manifests?: readonly (FanOutManifest | undefined)[];
}

/** One destination's manifest: the one read (absent when there is none yet) and the one written (absent in a dry run). */
export interface FanOutManifest {
  readonly reader?: ManifestReader;
  readonly writer?: ManifestWriter;
}

export interface FanOutReport {
  /** One report a destination, in the order given. */
  readonly destinations: readonly MirrorReport[];
  /** Keys looked at (in range, passing the filter), over the source and every destination. */
  keys: number;
  /** Objects read from the source (one GET each, whatever the number of destinations fed from it). */
  sourceReads: number;
  /** HEADs of the source, to compare pairs the listings could not decide (one for every destination). */
  sourceHeads: number;
  /** The source's listing error that stopped the run, if any. */
  listingError?: string;
}

/** A run's shared state: one context a destination (its options, report and deletions) and the shared limits. */
export interface FanOutRun {
  readonly o: FanOutOptions;
  readonly report: FanOutReport;
  readonly ctxs: readonly Ctx[];
}

/** One context a destination: the two-way mirror's, so its deletion and failure rules apply as they are. */
function contexts(o: FanOutOptions): Ctx[] {
  const checkers = new Semaphore(o.checkers);
  const transfers = new Semaphore(o.transfers);
  const budget = new ByteBudget(o.memory);
  const staleBefore = o.staleBefore ?? new Date();
  return o.destinations.map((destination, i) => {
    const mo: MirrorOptions = { ...o, destination, mode: o.mode, compare: 'checksum', events: o.events(i) };
    return { o: mo, report: emptyMirrorReport(), checkers, transfers, budget, deletions: [], guard: mirrorGuard(mo), staleBefore };
  });
}

export async function mirrorFanOut(o: FanOutOptions): Promise<FanOutReport> {
  const ctxs = contexts(o);
  const report: FanOutReport = { destinations: ctxs.map((c) => c.report), keys: 0, sourceReads: 0, sourceHeads: 0 };
  const run: FanOutRun = { o, report, ctxs };
  const tasks = pool(o);
  const lost = (i: number, e: unknown) => {
    const ctx = ctxs[i]!;
    ctx.report.listingError = e instanceof Error ? e.message : String(e);
    ctx.o.events.warning(`${ctx.o.destination.display}: listing failed, so this destination is left out and nothing will be deleted in it: ${ctx.report.listingError}`);
  };
  try {
    const listings = o.destinations.map((d) => d.listPages('', o.range));
    for await (const batch of marchMany(o.source.listPages('', o.range), listings, lost, o.filter)) {
      for (const pair of batch) {
        if (o.stopped?.()) break;
        const needs = settle(run, pair);
        if (needs.length > 0) await tasks.submit(() => handleKey(run, pair, needs));
      }
      o.run.progress?.(report);
      if (o.stopped?.()) break;
    }
  } catch (e) {
    // A manifest that could not be written stops the walk too: finish() below throws that, no listing
    // failed. Anything else is a listing failure, whatever was thrown (undefined included).
    if (!tasks.stoppedBy(e)) {
      report.listingError = e instanceof Error ? e.message : String(e);
      o.run.warning(`the source listing failed, so nothing will be deleted in any destination: ${report.listingError}`);
      for (const ctx of ctxs) ctx.report.listingError ??= `source: ${report.listingError}`;
    }
  }
  await tasks.finish();
  const stopped = o.stopped?.() ?? false;
  await Promise.all(
    ctxs.map(async (ctx) => {
      const r = ctx.report;
      r.complete = r.listingError === undefined && r.counts.failed === 0 && !stopped;
      if (ctx.deletions.length > 0) await deleteExtra(ctx, stopped);
    }),
  );
  return report;
}

/** Runs the keys' tasks: in key order only where a manifest is written, so nothing else waits on one slow key. */
function pool(o: FanOutOptions): KeyTasks<readonly Proven[]> {
  const writing = o.manifests?.some((m) => m?.writer) ?? false;
  return keyTasks<readonly Proven[]>(o.transfers + o.checkers, writing ? async (proven) => {
    for (const p of proven) await o.manifests?.[p.i]?.writer?.add(p.entry);
  } : undefined);
}

/**
 * Decides what each destination still in the run needs for one key, settling at once what needs
 * no request (one side only but a copy to make, equal MD5-shaped ETags, different sizes decided to
 * update). Resolves the destinations that need a comparison (by the manifest, else by HEAD) or a write.
 */
function settle(run: FanOutRun, pair: ManyPair): Need[] {
  const { o, ctxs } = run;
  const needs: Need[] = [];
  run.report.keys++;
  ctxs.forEach((ctx, i) => {
    const { report } = ctx;
    if (report.listingError !== undefined) return;
    const dst = pair.destinations[i];
    // A key only other destinations hold is none of this one's business.
    if (!pair.source && !dst) return;
    report.keys++;
    if (!pair.source) {
      if (o.mode === 'sync') ctx.deletions.push(dst!);
      else {
        report.counts.skipped++;
        ctx.o.events.line('-', pair.key, 'only in the destination (left alone in copy mode)');
      }
      return;
    }
    if (!dst) return void needs.push({ i, kind: 'copied' });
    const listed = compareListed(pair.source, dst, undefined, false);
    if (listed?.same) {
      report.methods.etag++;
      report.counts.matched++;
      ctx.o.events.line('=', pair.key, 'same (etag)');
    } else if (listed) {
      report.methods[listed.method]++;
      needs.push({ i, kind: 'updated', why: listed });
    } else {
      // The lookups are asked for in key order (this walk's), answered when the key's task needs them.
      const reader = o.manifests?.[i]?.reader;
      const entry = reader?.lookup(pair.key).then((found) => ({ found }), (error: unknown) => ({ error }));
      needs.push({ i, kind: 'compare', destination: dst, entry });
    }
  });
  return needs;
}
