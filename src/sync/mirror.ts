/**
 * The mirror engine: march two sorted listings, compare each pair, and copy, update or (in sync
 * mode, only after everything else went right) delete, with separate limits for comparing and
 * transferring. It does no I/O of its own beyond the stores and callbacks it is given.
 *
 * Safety rules, in code below:
 * - a listing that fails stops the run and nothing is deleted (it can never look like a short one);
 * - deletions wait until every listing, comparison and transfer has succeeded, and stay under
 *   `maxDelete`, else none is made;
 * - a private object is not written where the bucket policy would expose it, and every copied object
 *   is checked with an anonymous request when asked: only the answer that shows its visibility
 *   passes (a 404 or a failed request does not).
 */
import { decideVisibility } from '../acl/visibility';
import { ByteBudget } from '../flow/byte-budget';
import { keyTasks } from '../flow/ordered-pool';
import { Semaphore } from '../flow/semaphore';
import { StoreError } from '../errors';
import type { ObjectHead, ObjectInfo, Visibility } from '../storage/object-store';
import { markedPrivate } from '../storage/private-marker';
import { isMd5Etag } from '../storage/etag';
import { contentSha256, transfer } from '../operations/copy-object';
import { DigestMismatchError } from '../operations/stream-copy';
import { checkWritten, withdrawExposed } from '../operations/verify-visibility';
import { compareHeads, compareListed, listedEntry, writtenEntry, type Verdict } from './compare';
import { deleteExtra } from './delete-extra';
import { digestNamed, digestVerdict, digestWithheld, newDigestCounts, recordCorrupt, screenDigest } from './digest-verify';
import type { ManifestEntry } from './manifest';
import { march, type Pair } from './march';
import { abortStale, failed, mirrorGuard, type Ctx } from './mirror-context';
import { emptyMirrorReport, type MirrorOptions, type MirrorReport } from './mirror-types';
import { phasesFor } from './phases';

export type { Mark, MirrorCounts, MirrorEvents, MirrorMode, MirrorOptions, MirrorReport } from './mirror-types';
export { emptyMirrorReport } from './mirror-types';

export async function mirror(o: MirrorOptions): Promise<MirrorReport> {
  const report: MirrorReport = { ...emptyMirrorReport(), ...(o.digest ? { digest: newDigestCounts() } : {}) };
  const ctx: Ctx = {
    o,
    report,
    checkers: new Semaphore(o.checkers),
    transfers: new Semaphore(o.transfers),
    budget: new ByteBudget(o.memory),
    deletions: [],
    guard: mirrorGuard(o),
    staleBefore: o.staleBefore ?? new Date(),
    phases: phasesFor(o),
  };

  // Results come back out of order; a manifest must be written in key order (without one, nothing waits on a slow key).
  const out = o.manifestOut;
  const pairs = keyTasks<ManifestEntry | null>(o.transfers + o.checkers, out ? async (entry) => void (entry && (await out.add(entry))) : undefined);
  try {
    for await (const batch of march(o.source.listPages('', o.range), o.destination.listPages('', o.range), o.filter)) {
      for (const pair of batch) {
        if (o.stopped?.()) break;
        report.keys++;
        // Most pairs of a nightly run are decided from the listings alone: no task, no promise.
        if (screenDigest(ctx, pair) || settledAtOnce(ctx, pair)) continue;
        await pairs.submit(() =>
          handle(ctx, pair).catch((e: unknown) => {
            // handle() records its own failures; anything here is a bug, kept as a failure.
            failed(ctx, pair.key, e);
            return null;
          }),
        );
      }
      o.events.progress?.(report);
      if (o.stopped?.()) break;
    }
  } catch (e) {
    // A manifest that could not be written stops the walk too: finish() below throws that, no listing
    // failed. Anything else is a listing failure, whatever was thrown (undefined included).
    if (!pairs.stoppedBy(e)) {
      report.listingError = e instanceof Error ? e.message : String(e);
      o.events.warning(`listing failed, so nothing will be deleted: ${report.listingError}`);
    }
  }
  await pairs.finish();
  // Later phases, each only when everything before it went right; deletions after the last.
  await ctx.phases?.run(ctx, (c, d) => copy(c, d.src, d.kind, d.why, true));
  if (report.phases && o.manifestOut) o.manifestOut.addLate(report.phases.lateEntries);

  const stopped = o.stopped?.() ?? false;
  report.complete = report.listingError === undefined && report.counts.failed === 0 && !stopped && digestWithheld(report) === undefined;
  if (ctx.deletions.length > 0) await deleteExtra(ctx, stopped, ctx.phases && (() => ctx.phases!.grace(ctx)));
  return report;
}

/**
 * Settles a pair that needs no request and leaves no manifest entry: one side only (except a copy
 * to make), or equal MD5-shaped ETags. True when it did.
 */
function settledAtOnce(ctx: Ctx, pair: Pair): boolean {
  const { o, report } = ctx;
  const { key, source, destination } = pair;
  if (!destination) {
    if (o.mode !== 'check') return false;
    report.counts.missing++;
    o.events.line('+', key, 'only in the source');
    return true;
  }
  if (!source) {
    if (o.mode === 'sync') ctx.deletions.push(destination);
    else {
      if (o.mode === 'check') report.counts.extra++;
      else report.counts.skipped++;
      o.events.line('-', key, o.mode === 'check' ? 'only in the destination' : 'only in the destination (left alone in copy mode)');
    }
    return true;
  }
  // Check mode proves an addressed pair by its digest, never by ETags alone.
  if (o.compare === 'content' || (o.mode === 'check' && digestNamed(o, key) !== undefined) || source.size !== destination.size || !isMd5Etag(source.etag) || source.etag !== destination.etag) return false;
  report.methods.etag++;
  report.counts.matched++;
  o.events.line('=', key, 'same (etag)');
  return true;
}

/** Decides and does what one key needs, for the pairs `settledAtOnce` left. Resolves the manifest entry proving the pair equal, if any. */
async function handle(ctx: Ctx, pair: Pair): Promise<ManifestEntry | null> {
  const { o, report } = ctx;
  const { key, source, destination } = pair;
  // One-sided pairs other than a copy to make were settled at once (settledAtOnce).
  if (!destination) return copy(ctx, source!, 'copied');
  const src = source!;
  const dst = destination;
  let verdict: Verdict;
  try {
    verdict = await compare(ctx, src, dst);
  } catch (e) {
    failed(ctx, key, e, 'compare');
    return null;
  }
  report.methods[verdict.method]++;
  if (verdict.corrupt !== undefined) {
    recordCorrupt(ctx, key, verdict.corrupt);
    return null;
  }
  if (verdict.same) {
    report.counts.matched++;
    o.events.line('=', key, `same (${verdict.method})`);
    return listedEntry(src, dst, verdict) ?? null;
  }
  if (o.mode === 'check') {
    report.counts.differ++;
    o.events.line('*', key, verdict.method === 'none' ? 'not provably the same: no common checksum (give compare: content to read both)' : `differ (${verdict.method})`);
    return null;
  }
  return copy(ctx, src, 'updated', verdict);
}

async function compare(ctx: Ctx, src: ObjectInfo, dst: ObjectInfo): Promise<Verdict> {
  const { o } = ctx;
  const sha256 = digestNamed(o, src.key);
  if (sha256 !== undefined && o.mode === 'check') return ctx.checkers.run(() => digestVerdict(ctx, src, dst, sha256));
  const entry = o.manifest ? await o.manifest.lookup(src.key) : undefined;
  const listed = compareListed(src, dst, entry, o.compare === 'content');
  if (listed) return listed;
  return ctx.checkers.run(async () => {
    if (o.compare === 'checksum') {
      const [a, b] = await Promise.all([o.source.head(src.key), o.destination.head(dst.key)]);
      if (!a || !b) throw new StoreError('not-found', `${src.key}: vanished while comparing`);
      const byHead = compareHeads(a, b);
      if (byHead) return byHead;
      // Nothing proves them equal. Check mode reads both; the others copy again (which also
      // leaves a manifest entry, so the next run proves the pair without this).
      // A key that names its digest is proven by reading the destination alone (never in a dry run,
      // which reads no content: it would copy again).
      if (o.mode !== 'check') return sha256 !== undefined && !o.dryRun ? digestVerdict(ctx, src, dst, sha256) : { same: false, method: 'none' };
    }
    const [a, b] = await Promise.all([contentSha256(o.source, src.key), contentSha256(o.destination, dst.key)]);
    // Two equally corrupt copies are not in sync: a source that is not the digest its key names is corrupt.
    if (sha256 !== undefined && a !== sha256) return { same: false, method: 'content', corrupt: `the content has sha256 ${a}, the key names ${sha256}` };
    return { same: a === b, method: 'content' };
  });
}

/** Writes one object, or (unless `now`) keeps it for its publication phase when that is a later one. */
async function copy(ctx: Ctx, src: ObjectInfo, kind: 'copied' | 'updated', why?: Verdict, now = false): Promise<ManifestEntry | null> {
  if (!now && ctx.phases?.defer({ src, kind, why })) return null;
  const { o, report } = ctx;
  const key = src.key;
  const visibility: Visibility = decideVisibility(o.rules, key).visibility;
  const reason = kind === 'copied' ? 'only in the source' : `differ (${why?.method ?? '?'})`;
  const sha256 = digestNamed(o, key);
  if (visibility === 'private') {
    const refusal = await ctx.guard.refusal(o.destination, key, o.destination.display);
    if (refusal !== undefined) {
      failed(ctx, key, new Error(refusal), 'copy');
      return null;
    }
  }
  if (o.dryRun) {
    report.counts[kind]++;
    report.bytes[kind] += src.size;
    o.events.line(kind === 'copied' ? '+' : '*', key, `${reason}: would be ${kind} (dry run), ${visibility}${visibility === 'public' ? ' by its key (private if the source marks it so)' : ''}`);
    return null;
  }
  // The rules see the key only; an object written private from its file name (a rhel image under a
  // content-addressed key) carries the private marker, and its copy is private too, guarded the same.
  const decide = async (head: ObjectHead): Promise<Visibility> => {
    if (visibility === 'private' || !markedPrivate(head.metadata)) return visibility;
    const refusal = await ctx.guard.refusal(o.destination, key, o.destination.display);
    if (refusal !== undefined) throw new Error(refusal);
    return 'private';
  };
  return ctx.transfers.run(async () => {
    try {
      const t = await transfer(o.source, o.destination, key, key, decide, src.size, {
        partSize: o.partSize,
        budget: ctx.budget,
        partsInFlight: o.partsInFlight,
        onInterrupt: o.onInterrupt,
        beforeMultipart: (k) => abortStale(ctx, k),
        digest: sha256,
        // A later phase writes from the listing the march read long before: only that object.
        expectEtag: now ? src.etag : undefined,
      });
      if (o.verifyVisibility === 'all' || (o.verifyVisibility === 'private' && t.visibility === 'private')) await checkVisibility(ctx, key, t.visibility);
      report.counts[kind]++;
      report.bytes[kind] += src.size;
      if (sha256 !== undefined) report.digest!.verified++;
      if (t.how === 'server') report.serverSideCopies++;
      else report.readChecks[t.readCheck]++;
      const marked = t.visibility !== visibility ? ' (marked private in the source)' : '';
      o.events.line(kind === 'copied' ? '+' : '*', key, `${reason}: ${kind} (${t.how === 'server' ? 'server-side' : `streamed, read checked by ${sha256 !== undefined ? 'the sha256 its key names' : t.readCheck}`}), ${t.visibility}${marked}`);
      return writtenEntry(src, t.head.etag, t.etag) ?? null;
    } catch (e) {
      if (e instanceof DigestMismatchError) recordCorrupt(ctx, key, e.message);
      else failed(ctx, key, e, 'copy');
      return null;
    }
  });
}

async function checkVisibility(ctx: Ctx, key: string, visibility: Visibility): Promise<void> {
  // Fail closed: anything but the answer that shows the visibility (a 404 included) fails the copy.
  const check = await withdrawExposed(ctx.o.destination, key, await checkWritten(ctx.o.destination, key, visibility, ctx.o.probe));
  if (check.verdict !== 'ok') throw new Error(check.reason);
}
