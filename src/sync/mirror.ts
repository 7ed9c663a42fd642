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
import type { VisibilityRule } from '../acl/visibility';
import { decideVisibility } from '../acl/visibility';
import { guardPrivateWrite } from '../acl/policy-guard';
import { ByteBudget } from '../flow/byte-budget';
import { Semaphore } from '../flow/semaphore';
import type { KeyRange } from '../storage/key-range';
import { StoreError } from '../errors';
import type { ObjectHead, ObjectInfo, ObjectStore, Visibility } from '../storage/object-store';
import { markedPrivate } from '../storage/private-marker';
import { isMd5Etag } from '../storage/etag';
import { checkWritten, type AnonymousProbe } from '../operations/verify-visibility';
import { compareHeads, compareListed, type CompareMethod, type Verdict } from './compare';
import type { ManifestEntry, ManifestReader, ManifestWriter } from './manifest';
import { march, type Pair } from './march';
import { contentSha256, transfer, type Transferred } from './transfer';

export type MirrorMode = 'copy' | 'sync' | 'check';

/** rclone-check marks: same, only in source, only in destination, differ, error. */
export type Mark = '=' | '+' | '-' | '*' | '!';


export interface MirrorEvents {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** One line of the report: what was found (and done) for a key. */
  line(mark: Mark, key: string, detail: string): void;
  /** Called after each pair; for progress lines. */
  progress?(report: MirrorReport): void;
}

export interface MirrorOptions {
  readonly source: ObjectStore;
  readonly destination: ObjectStore;
  readonly mode: MirrorMode;
  readonly dryRun: boolean;
  /** Which keys (relative to the stores' prefixes) take part; others are not looked at. */
  readonly filter: (key: string) => boolean;
  readonly range: KeyRange;
  readonly rules: readonly VisibilityRule[];
  /** `content` reads both objects of every same-size pair and compares their sha256. */
  readonly compare: 'checksum' | 'content';
  readonly maxDelete?: number;
  /** Deleted objects are first copied to this prefix of the destination. */
  readonly backupPrefix?: string;
  readonly transfers: number;
  readonly checkers: number;
  readonly partSize: number;
  readonly partsInFlight: number;
  /** Bytes of object data in memory at most. */
  readonly memory: number;
  readonly manifest?: ManifestReader;
  readonly manifestOut?: ManifestWriter;
  /**
   * Which written objects are checked with an anonymous request: `all`, `private` ones only (a
   * private object must never be readable; public ones are the audit's to check), or `none`.
   */
  readonly verifyVisibility: 'all' | 'private' | 'none';
  readonly probe: AnonymousProbe;
  readonly events: MirrorEvents;
  /** True once the run is interrupted: nothing new starts. */
  readonly stopped?: () => boolean;
  /** Registers cleanup (aborting an open upload) for an interrupt. */
  readonly onInterrupt?: (cleanup: () => Promise<void>) => () => void;
  /**
   * Multipart uploads of a key this run writes that the destination says were initiated before
   * this are aborted first: a killed run's, which nothing else would ever complete or abort.
   * Default: when the run starts.
   */
  readonly staleBefore?: Date;
}

export interface MirrorCounts {
  /** Pairs found equal. */
  matched: number;
  /** Objects copied that the destination lacked (or would be, in a dry run). */
  copied: number;
  /** Objects the destination had with other content, copied again. */
  updated: number;
  deleted: number;
  /** Destination-only objects left alone (copy mode), or deletions not made. */
  skipped: number;
  failed: number;
  /** Check mode: only in the source. */
  missing: number;
  /** Check mode: only in the destination. */
  extra: number;
  /** Check mode: in both, different. */
  differ: number;
}

export interface MirrorReport {
  readonly counts: MirrorCounts;
  readonly bytes: { copied: number; updated: number; deleted: number };
  /** How each compared pair was decided. */
  readonly methods: Record<CompareMethod, number>;
  /** How the bytes of each streamed copy were checked against the source. */
  readonly readChecks: Record<Transferred['readCheck'], number>;
  serverSideCopies: number;
  /** The listing error that stopped the run, if any. */
  listingError?: string;
  /** Why no deletion was made, when some were due. */
  deletionsWithheld?: string;
  /** The first failures, with reasons. */
  readonly failures: { key: string; reason: string }[];
  /** Keys looked at (in range, passing the filter). */
  keys: number;
  /** True when the listings were read to the end and nothing failed. */
  complete: boolean;
}

const MAX_FAILURES_KEPT = 100;
/** Pairs between the oldest unfinished one and the newest started, at most: bounds the reorder buffer. */
const WINDOW = 4096;

export async function mirror(o: MirrorOptions): Promise<MirrorReport> {
  const report: MirrorReport = {
    counts: { matched: 0, copied: 0, updated: 0, deleted: 0, skipped: 0, failed: 0, missing: 0, extra: 0, differ: 0 },
    bytes: { copied: 0, updated: 0, deleted: 0 },
    methods: { size: 0, etag: 0, manifest: 0, sha256: 0, content: 0, none: 0 },
    readChecks: { sha256: 0, md5: 0, none: 0 },
    serverSideCopies: 0,
    failures: [],
    keys: 0,
    complete: false,
  };
  const ctx: Ctx = {
    o,
    report,
    checkers: new Semaphore(o.checkers),
    transfers: new Semaphore(o.transfers),
    budget: new ByteBudget(o.memory),
    deletions: [],
    warnedPolicy: false,
    staleBefore: o.staleBefore ?? new Date(),
  };

  // Results come back out of order; the manifest must be written in key order.
  const done = new Map<number, ManifestEntry | null>();
  let nextOut = 0;
  let seq = 0;
  let wake: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();
  const flush = async () => {
    while (done.has(nextOut)) {
      const e = done.get(nextOut)!;
      done.delete(nextOut);
      nextOut++;
      if (e && o.manifestOut) await o.manifestOut.add(e);
    }
    wake?.();
  };
  let flushing = Promise.resolve();

  try {
    for await (const batch of march(o.source.listPages('', o.range), o.destination.listPages('', o.range), o.filter)) {
      for (const pair of batch) {
        if (o.stopped?.()) break;
        report.keys++;
        // Most pairs of a nightly run are decided from the listings alone: no task, no promise.
        if (settledAtOnce(ctx, pair)) continue;
        while (seq - nextOut >= WINDOW || inFlight.size >= o.transfers + o.checkers) {
          await new Promise<void>((r) => (wake = r));
        }
        const n = seq++;
        const p = handle(ctx, pair).then(
          (entry) => {
            done.set(n, entry);
            flushing = flushing.then(flush);
          },
          (e: unknown) => {
            // handle() records its own failures; anything here is a bug, kept as a failure.
            failed(ctx, pair.key, e);
            done.set(n, null);
            flushing = flushing.then(flush);
          },
        );
        inFlight.add(p);
        void p.finally(() => {
          inFlight.delete(p);
          wake?.();
        });
      }
      o.events.progress?.(report);
      if (o.stopped?.()) break;
    }
  } catch (e) {
    report.listingError = e instanceof Error ? e.message : String(e);
    o.events.warning(`listing failed, so nothing will be deleted: ${report.listingError}`);
  }
  await Promise.all(inFlight);
  await flushing;

  const stopped = o.stopped?.() ?? false;
  report.complete = report.listingError === undefined && report.counts.failed === 0 && !stopped;
  if (ctx.deletions.length > 0) await deleteExtra(ctx, stopped);
  return report;
}

interface Ctx {
  readonly o: MirrorOptions;
  readonly report: MirrorReport;
  readonly checkers: Semaphore;
  readonly transfers: Semaphore;
  readonly budget: ByteBudget;
  readonly deletions: ObjectInfo[];
  warnedPolicy: boolean;
  readonly staleBefore: Date;
}

/** Aborts what a killed earlier run left open for `key` at the destination; a failure only warns. */
async function abortStale(ctx: Ctx, key: string): Promise<void> {
  const store = ctx.o.destination;
  if (!store.abortStaleUploads) return;
  try {
    const aborted = await store.abortStaleUploads(key, ctx.staleBefore);
    if (aborted.length > 0) {
      ctx.o.events.info(`${key}: aborted ${aborted.length} multipart upload(s) left open by an earlier run (initiated ${aborted.map((u) => u.initiated.toISOString()).join(', ')})`);
    }
  } catch (e) {
    ctx.o.events.warning(`${key}: could not look for multipart uploads left open by an earlier run: ${e instanceof Error ? e.message : String(e)}`);
  }
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
  if (o.compare === 'content' || source.size !== destination.size || !isMd5Etag(source.etag) || source.etag !== destination.etag) return false;
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
  let entry: ManifestEntry | null = null;
  try {
    verdict = await compare(ctx, src, dst);
  } catch (e) {
    failed(ctx, key, e, 'compare');
    return null;
  }
  report.methods[verdict.method]++;
  if (verdict.same) {
    report.counts.matched++;
    o.events.line('=', key, `same (${verdict.method})`);
    if (provenAsListed(src, dst, verdict)) entry = { key, sourceEtag: src.etag!, size: src.size, destinationEtag: dst.etag! };
    return entry;
  }
  if (o.mode === 'check') {
    report.counts.differ++;
    o.events.line('*', key, verdict.method === 'none' ? 'not provably the same: no common checksum (give compare: content to read both)' : `differ (${verdict.method})`);
    return null;
  }
  return copy(ctx, src, 'updated', verdict);
}

/**
 * Whether a pair found the same may be recorded in the manifest under its listed ETags: the next run
 * proves the pair from those alone, so they must be the ETags of what was compared. The manifest
 * re-proves its own entries; a verdict read from HEADs counts only when the HEADs saw the listed
 * ETags (an object rewritten between the listing and the HEAD was compared as its new self); one
 * read from the content gives no ETag, and equal ETags need no entry.
 */
function provenAsListed(src: ObjectInfo, dst: ObjectInfo, verdict: Verdict): boolean {
  if (src.etag === undefined || dst.etag === undefined) return false;
  if (verdict.method === 'manifest') return true;
  return verdict.read !== undefined && verdict.read.sourceEtag === src.etag && verdict.read.destinationEtag === dst.etag;
}


async function compare(ctx: Ctx, src: ObjectInfo, dst: ObjectInfo): Promise<Verdict> {
  const { o } = ctx;
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
      if (o.mode !== 'check') return { same: false, method: 'none' };
    }
    const [a, b] = await Promise.all([contentSha256(o.source, src.key), contentSha256(o.destination, dst.key)]);
    return { same: a === b, method: 'content' };
  });
}

async function copy(ctx: Ctx, src: ObjectInfo, kind: 'copied' | 'updated', why?: Verdict): Promise<ManifestEntry | null> {
  const { o, report } = ctx;
  const key = src.key;
  const visibility: Visibility = decideVisibility(o.rules, key).visibility;
  const reason = kind === 'copied' ? 'only in the source' : `differ (${why?.method ?? '?'})`;
  if (visibility === 'private') {
    const refusal = await guardPrivate(ctx, key);
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
    const refusal = await guardPrivate(ctx, key);
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
      });
      if (o.verifyVisibility === 'all' || (o.verifyVisibility === 'private' && t.visibility === 'private')) await checkVisibility(ctx, key, t.visibility);
      report.counts[kind]++;
      report.bytes[kind] += src.size;
      if (t.how === 'server') report.serverSideCopies++;
      else report.readChecks[t.readCheck]++;
      const marked = t.visibility !== visibility ? ' (marked private in the source)' : '';
      o.events.line(kind === 'copied' ? '+' : '*', key, `${reason}: ${kind} (${t.how === 'server' ? 'server-side' : `streamed, read checked by ${t.readCheck}`}), ${t.visibility}${marked}`);
      // Equal MD5-shaped ETags prove the pair by themselves next time: no entry needed.
      const sourceEtag = t.head.etag ?? src.etag;
      if (t.etag === undefined || sourceEtag === undefined || (isMd5Etag(sourceEtag) && sourceEtag === t.etag)) return null;
      return { key, sourceEtag, size: src.size, destinationEtag: t.etag };
    } catch (e) {
      failed(ctx, key, e, 'copy');
      return null;
    }
  });
}

/** Whether `key` may be written private to the destination: the reason it may not, if so (warns once when the policy cannot be read). */
async function guardPrivate(ctx: Ctx, key: string): Promise<string | undefined> {
  const guard = await guardPrivateWrite(ctx.o.destination, key);
  if (guard.verdict === 'refuse') return guard.reason;
  if (guard.verdict === 'unknown' && !ctx.warnedPolicy) {
    ctx.warnedPolicy = true;
    ctx.o.events.warning(`${ctx.o.destination.display}: cannot read the bucket policy (${guard.reason}); private objects are checked with an anonymous request after writing`);
  }
  return undefined;
}

async function checkVisibility(ctx: Ctx, key: string, visibility: Visibility): Promise<void> {
  // Fail closed: anything but the answer that shows the visibility (a 404 included) fails the copy.
  const check = await checkWritten(ctx.o.destination, key, visibility, ctx.o.probe);
  if (check.verdict !== 'ok') throw new Error(check.reason);
}

async function deleteExtra(ctx: Ctx, stopped: boolean): Promise<void> {
  const { o, report } = ctx;
  const n = ctx.deletions.length;
  let withheld: string | undefined;
  if (report.listingError !== undefined) withheld = 'a listing failed';
  else if (report.counts.failed > 0) withheld = `${report.counts.failed} object(s) failed`;
  else if (stopped) withheld = 'the run was interrupted';
  else if (o.maxDelete !== undefined && n > o.maxDelete) withheld = `${n} deletion(s) are due, more than max-delete (${o.maxDelete})`;
  if (withheld !== undefined) {
    report.deletionsWithheld = `no object deleted: ${withheld}`;
    report.counts.skipped += n;
    for (const d of ctx.deletions) o.events.line('-', d.key, `only in the destination: NOT deleted (${withheld})`);
    o.events.warning(`${n} object(s) only in the destination were not deleted: ${withheld}`);
    if (o.maxDelete !== undefined && n > o.maxDelete) report.complete = false;
    return;
  }
  // A few workers take the deletions in turn: no promise per deletion waiting at once.
  let next = 0;
  const worker = async () => {
    while (next < ctx.deletions.length) await deleteOne(ctx, ctx.deletions[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(o.transfers, ctx.deletions.length) }, worker));
  report.complete = report.complete && report.counts.failed === 0;
}

async function deleteOne(ctx: Ctx, d: ObjectInfo): Promise<void> {
  const { o, report } = ctx;
  const where = o.backupPrefix !== undefined ? `, kept as ${o.backupPrefix}${d.key}` : '';
  if (o.dryRun) {
    report.counts.deleted++;
    report.bytes.deleted += d.size;
    o.events.line('-', d.key, `only in the destination: would be deleted${where} (dry run)`);
    return;
  }
  try {
    if (o.backupPrefix !== undefined) {
      // A backup is never more visible than the object was meant to be: always private.
      const backedUp = transfer(o.destination, o.destination, d.key, o.backupPrefix + d.key, 'private', d.size, {
        partSize: o.partSize,
        budget: ctx.budget,
        partsInFlight: o.partsInFlight,
        beforeMultipart: (k) => abortStale(ctx, k),
      });
      // Gone already (deleted by someone else since the listing): nothing to keep or delete.
      const kept = await backedUp.then(
        () => true,
        (e: unknown) => {
          if (e instanceof StoreError && e.kind === 'not-found') return false;
          throw e;
        },
      );
      if (!kept) return;
    }
    await o.destination.delete(d.key);
    report.counts.deleted++;
    report.bytes.deleted += d.size;
    o.events.line('-', d.key, `only in the destination: deleted${where}`);
  } catch (e) {
    failed(ctx, d.key, e, 'delete');
  }
}

function failed(ctx: Ctx, key: string, e: unknown, what = 'mirror'): void {
  const reason = e instanceof Error ? e.message : String(e);
  ctx.report.counts.failed++;
  if (ctx.report.failures.length < MAX_FAILURES_KEPT) ctx.report.failures.push({ key, reason: `${what}: ${reason}` });
  ctx.o.events.line('!', key, `${what} failed: ${reason}`);
  ctx.o.events.debug(`${key}: ${what} failed: ${reason}`);
}
