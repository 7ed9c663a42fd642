/**
 * One key of a fan-out run, for the destinations the listings left undecided: a comparison by HEAD
 * (one HEAD of the source for them all), then one write to every destination that needs it: one
 * read of the source feeding all of them at once, except a destination that can copy from the
 * source inside the provider, which does so. Each destination's failures are its own, and so are
 * the manifest entries it proves: pairs found the same by the manifest or by their recorded sha256,
 * and copies written (as the two-way mirror records them).
 */
import { decideVisibility } from '../acl/visibility';
import { StoreError } from '../errors';
import { transfer } from '../operations/copy-object';
import { streamCopy, type CopyVisibility, type TransferOptions, type Transferred } from '../operations/stream-copy';
import { checkWritten, withdrawExposed } from '../operations/verify-visibility';
import type { ObjectHead, ObjectInfo, Visibility } from '../storage/object-store';
import { markedPrivate } from '../storage/private-marker';
import { compareHeads, compareListed, listedEntry, writtenEntry as entryWritten, type Verdict } from './compare';
import type { ManifestEntry } from './manifest';
import type { FanOutRun } from './fan-out';
import type { ManyPair } from './march-many';
import { abortStale, failed, type Ctx } from './mirror-context';

/** What destination `i` needs for a key: a copy, an update (and why), or a comparison by HEAD first. */
export type Need =
  | { readonly i: number; readonly kind: 'copied' }
  | { readonly i: number; readonly kind: 'updated'; readonly why: Verdict }
  | { readonly i: number; readonly kind: 'compare'; readonly destination: ObjectInfo; readonly entry?: Promise<Looked> };

/** What destination `i`'s manifest holds for the key (or why it could not be read). */
export type Looked = { readonly found: ManifestEntry | undefined } | { readonly error: unknown };

/** An entry for destination `i`'s manifest. */
export interface Proven {
  readonly i: number;
  readonly entry: ManifestEntry;
}

type Write = Exclude<Need, { kind: 'compare' }>;
type Compare = Extract<Need, { kind: 'compare' }>;

/** Compares what must be compared, then writes what must be written. Records its own failures; resolves the manifest entries it proved. */
export async function handleKey(run: FanOutRun, pair: ManyPair, needs: readonly Need[]): Promise<Proven[]> {
  const writes = needs.filter((n): n is Write => n.kind !== 'compare');
  const compares = needs.filter((n): n is Compare => n.kind === 'compare');
  const proven: Proven[] = [];
  if (compares.length > 0) writes.push(...(await compareAll(run, pair.source!, compares, proven)));
  if (writes.length > 0) proven.push(...(await copyAll(run, pair.source!, writes)));
  return proven;
}

/** The pairs each destination's manifest proves; the others are left to compare by HEAD. */
async function byManifest(run: FanOutRun, src: ObjectInfo, compares: readonly Compare[], proven: Proven[]): Promise<Compare[]> {
  const rest: Compare[] = [];
  for (const c of compares) {
    const ctx = run.ctxs[c.i]!;
    const looked = c.entry === undefined ? undefined : await c.entry;
    if (looked !== undefined && 'error' in looked) {
      failed(ctx, src.key, looked.error, 'compare');
      continue;
    }
    const verdict = looked?.found === undefined ? undefined : compareListed(src, c.destination, looked.found, false);
    if (verdict?.same !== true) {
      rest.push(c);
      continue;
    }
    ctx.report.methods[verdict.method]++;
    ctx.report.counts.matched++;
    ctx.o.events.line('=', src.key, `same (${verdict.method})`);
    const entry = listedEntry(src, c.destination, verdict);
    if (entry) proven.push({ i: c.i, entry });
  }
  return rest;
}

/** One HEAD of the source, one of each destination: the recorded sha256 decides, else the object is written again. */
async function compareAll(run: FanOutRun, src: ObjectInfo, all: readonly Compare[], proven: Proven[]): Promise<Write[]> {
  const { o, ctxs } = run;
  const compares = await byManifest(run, src, all, proven);
  if (compares.length === 0) return [];
  return ctxs[0]!.checkers.run(async () => {
    let head: ObjectHead | undefined;
    try {
      run.report.sourceHeads++;
      head = await o.source.head(src.key);
      if (!head) throw new StoreError('not-found', `${src.key}: vanished while comparing`);
    } catch (e) {
      for (const c of compares) failed(ctxs[c.i]!, src.key, e, 'compare');
      return [];
    }
    const a = head;
    const out: Write[] = [];
    await Promise.all(
      compares.map(async (c) => {
        const ctx = ctxs[c.i]!;
        try {
          const b = await ctx.o.destination.head(c.destination.key);
          if (!b) throw new StoreError('not-found', `${src.key}: vanished while comparing`);
          // Nothing proves them equal: written again (as the two-way mirror does outside check mode).
          const verdict: Verdict = compareHeads(a, b) ?? { same: false, method: 'none' };
          ctx.report.methods[verdict.method]++;
          if (!verdict.same) return void out.push({ i: c.i, kind: 'updated', why: verdict });
          ctx.report.counts.matched++;
          ctx.o.events.line('=', src.key, `same (${verdict.method})`);
          const entry = listedEntry(src, c.destination, verdict);
          if (entry) proven.push({ i: c.i, entry });
        } catch (e) {
          failed(ctx, src.key, e, 'compare');
        }
      }),
    );
    return out;
  });
}

function reasonOf(w: Write): string {
  return w.kind === 'copied' ? 'only in the source' : `differ (${w.why.method})`;
}

/**
 * Writes `src` to every destination of `writes`: a private object only where the bucket policy
 * would not expose it; in a dry run only counted. One transfer slot for the key, whatever the
 * number of destinations: their writes share one read.
 */
async function copyAll(run: FanOutRun, src: ObjectInfo, writes: readonly Write[]): Promise<Proven[]> {
  const { o, ctxs } = run;
  const key = src.key;
  const visibility: Visibility = decideVisibility(o.rules, key).visibility;
  const admitted: Write[] = [];
  await Promise.all(
    writes.map(async (w) => {
      const ctx = ctxs[w.i]!;
      const refusal = visibility === 'private' ? await ctx.guard.refusal(ctx.o.destination, key, ctx.o.destination.display) : undefined;
      if (refusal !== undefined) failed(ctx, key, new Error(refusal), 'copy');
      else admitted.push(w);
    }),
  );
  if (o.dryRun) {
    for (const w of admitted) {
      const ctx = ctxs[w.i]!;
      ctx.report.counts[w.kind]++;
      ctx.report.bytes[w.kind] += src.size;
      ctx.o.events.line(w.kind === 'copied' ? '+' : '*', key, `${reasonOf(w)}: would be ${w.kind} (dry run), ${visibility}${visibility === 'public' ? ' by its key (private if the source marks it so)' : ''}`);
    }
    return [];
  }
  if (admitted.length === 0) return [];
  // The rules see the key only; an object the source marks private is copied private, guarded the same.
  const decide = async (head: ObjectHead): Promise<Visibility> => (visibility === 'private' || !markedPrivate(head.metadata) ? visibility : 'private');
  const admit = async (ctx: Ctx, v: Visibility): Promise<void> => {
    if (v !== 'private' || visibility === 'private') return;
    const refusal = await ctx.guard.refusal(ctx.o.destination, key, ctx.o.destination.display);
    if (refusal !== undefined) throw new Error(refusal);
  };
  const inside = admitted.filter((w) => canCopyInside(run, w.i));
  const streamed = admitted.filter((w) => !canCopyInside(run, w.i));
  const done = await ctxs[0]!.transfers.run(() =>
    Promise.all([
      ...inside.map((w) => copyInside(run, src, w, async (head) => {
        const v = await decide(head);
        await admit(ctxs[w.i]!, v);
        return v;
      })),
      streamed.length > 0 ? copyStreamed(run, src, streamed, decide, admit) : [],
    ]),
  );
  return done.flat();
}

function canCopyInside(run: FanOutRun, i: number): boolean {
  const d = run.ctxs[i]!.o.destination;
  return d.copyFrom !== undefined && d.canCopyFrom?.(run.o.source) === true;
}

function transferOptions(ctx: Ctx): TransferOptions {
  const { o } = ctx;
  return { partSize: o.partSize, budget: ctx.budget, partsInFlight: o.partsInFlight, onInterrupt: o.onInterrupt, beforeMultipart: (k) => abortStale(ctx, k) };
}

/** A destination on the source's own provider and credentials: the copy is made there, as the two-way mirror makes it. */
async function copyInside(run: FanOutRun, src: ObjectInfo, w: Write, decide: CopyVisibility): Promise<Proven[]> {
  const ctx = run.ctxs[w.i]!;
  try {
    const t = await transfer(run.o.source, ctx.o.destination, src.key, src.key, decide, src.size, transferOptions(ctx));
    if (t.how === 'stream') run.report.sourceReads++;
    await written(ctx, src, w, t, t.visibility, 1);
    return writtenEntry(w.i, src, t.head.etag, t.etag);
  } catch (e) {
    failed(ctx, src.key, e, 'copy');
    return [];
  }
}

/** A copy's manifest entry for destination `i`, if it needs one. */
function writtenEntry(i: number, src: ObjectInfo, readEtag: string | undefined, destinationEtag: string | undefined): Proven[] {
  const entry = entryWritten(src, readEtag, destinationEtag);
  return entry ? [{ i, entry }] : [];
}

/** One read of the source for every destination of `writes`. */
async function copyStreamed(run: FanOutRun, src: ObjectInfo, writes: readonly Write[], decide: CopyVisibility, admit: (ctx: Ctx, v: Visibility) => Promise<void>): Promise<Proven[]> {
  const { o, ctxs } = run;
  const targets = writes.map((w) => ctxs[w.i]!);
  try {
    // What a killed run left open for the key is aborted first, in each destination written in parts.
    if (src.size > o.partSize) await Promise.all(targets.map((ctx) => abortStale(ctx, src.key)));
    run.report.sourceReads++;
    const r = await streamCopy(o.source, targets.map((c) => c.o.destination), src.key, src.key, decide, src.size, transferOptions(targets[0]!), (n, v) => admit(targets[n]!, v));
    const proven = await Promise.all(
      writes.map(async (w, n): Promise<Proven[]> => {
        const outcome = r.outcomes[n]!;
        if (!outcome.ok) return (failed(targets[n]!, src.key, outcome.error, 'copy'), []);
        try {
          await written(targets[n]!, src, w, outcome.done, r.visibility, writes.length);
          return writtenEntry(w.i, src, r.head.etag, outcome.done.etag);
        } catch (e) {
          failed(targets[n]!, src.key, e, 'copy');
          return [];
        }
      }),
    );
    return proven.flat();
  } catch (e) {
    // A fault of the source: no destination got the object.
    for (const ctx of targets) failed(ctx, src.key, e, 'copy');
    return [];
  }
}

/** After a write to one destination: its anonymous check when asked, then its counts and report line. */
async function written(ctx: Ctx, src: ObjectInfo, w: Write, t: Transferred, visibility: Visibility, fed: number): Promise<void> {
  const { o, report } = ctx;
  if (o.verifyVisibility === 'all' || (o.verifyVisibility === 'private' && visibility === 'private')) {
    // Fail closed: anything but the answer that shows the visibility (a 404 included) fails the copy.
    const check = await withdrawExposed(o.destination, src.key, await checkWritten(o.destination, src.key, visibility, o.probe));
    if (check.verdict !== 'ok') throw new Error(check.reason);
  }
  report.counts[w.kind]++;
  report.bytes[w.kind] += src.size;
  if (t.how === 'server') report.serverSideCopies++;
  else report.readChecks[t.readCheck]++;
  const how = t.how === 'server' ? 'server-side' : `streamed${fed > 1 ? ` (one read for ${fed} destinations)` : ''}, read checked by ${t.readCheck}`;
  o.events.line(w.kind === 'copied' ? '+' : '*', src.key, `${reasonOf(w)}: ${w.kind} (${how}), ${visibility}`);
}
