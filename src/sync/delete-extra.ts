/**
 * The last step of a sync: the objects only the destination holds, deleted only when it is safe.
 */
import { forEachLimit } from '../flow/pool';
import { backUpObject } from '../operations/back-up';
import type { ObjectInfo } from '../storage/object-store';
import { digestWithheld } from './digest-verify';
import { abortStale, failed, type Ctx } from './mirror-context';

/**
 * Sync mode, once everything else went right: deletes what only the destination holds (each backed
 * up first, private, when asked), unless a listing or an object failed, the run was interrupted, or
 * more are due than `maxDelete`; then none is deleted and the report says why. `grace` (the delete
 * delay) is waited for just before the first deletion.
 */
export async function deleteExtra(ctx: Ctx, stopped: boolean, grace?: () => Promise<boolean>): Promise<void> {
  const { o, report } = ctx;
  const n = ctx.deletions.length;
  let withheld = whyWithheld(ctx, stopped);
  // The delete delay: false when the run was interrupted while waiting.
  const waited = withheld === undefined && grace !== undefined;
  if (waited && !(await grace())) {
    withheld = 'the run was interrupted during the delete delay';
    report.complete = false;
  }
  if (withheld !== undefined) {
    report.deletionsWithheld = `no object deleted: ${withheld}`;
    report.counts.skipped += n;
    for (const d of ctx.deletions) o.events.line('-', d.key, `only in the destination: NOT deleted (${withheld})`);
    o.events.warning(`${n} object(s) only in the destination were not deleted: ${withheld}`);
    if (o.maxDelete !== undefined && n > o.maxDelete) report.complete = false;
    return;
  }
  // A few workers take the deletions in turn: no promise per deletion waiting at once.
  await forEachLimit(ctx.deletions, Math.min(o.transfers, ctx.deletions.length), (d) => deleteOne(ctx, d, waited));
  report.complete = report.complete && report.counts.failed === 0;
}

/** Why no deletion may be made, in the order the reasons are told; undefined when they may. */
function whyWithheld(ctx: Ctx, stopped: boolean): string | undefined {
  const { o, report } = ctx;
  const n = ctx.deletions.length;
  if (report.listingError !== undefined) return 'a listing failed';
  if (report.counts.failed > 0) return `${report.counts.failed} object(s) failed`;
  const digests = digestWithheld(report);
  if (digests !== undefined) return digests;
  if (stopped) return 'the run was interrupted';
  if (o.maxDelete !== undefined && n > o.maxDelete) return `${n} deletion(s) are due, more than max-delete (${o.maxDelete})`;
  return undefined;
}

/**
 * After a delete delay the listing is old: an object is deleted only if the destination still
 * holds it as listed and the source still lacks it. Resolves why not, or undefined.
 */
async function changedSinceListing(ctx: Ctx, d: ObjectInfo): Promise<string | undefined> {
  const [now, source] = await Promise.all([ctx.o.destination.head(d.key), ctx.o.source.head(d.key)]);
  if (!now) return 'gone from the destination during the delete delay';
  if (now.size !== d.size || (d.etag !== undefined && now.etag !== undefined && now.etag !== d.etag)) return 'written again in the destination during the delete delay';
  if (source) return 'written to the source during the delete delay';
  return undefined;
}

/**
 * Copies `d` privately to the backup prefix (the one backup operation): checked anonymously after
 * writing unless verify-visibility is none, where a policy that cannot be read refuses it. Resolves
 * false when the object is gone already.
 */
async function backUp(ctx: Ctx, d: ObjectInfo): Promise<boolean> {
  const { o } = ctx;
  return backUpObject({
    store: o.destination,
    key: d.key,
    size: d.size,
    backupKey: o.backupPrefix + d.key,
    guard: ctx.guard,
    transfer: { partSize: o.partSize, budget: ctx.budget, partsInFlight: o.partsInFlight, beforeMultipart: (k) => abortStale(ctx, k) },
    proof: { probe: o.verifyVisibility !== 'none' ? o.probe : undefined },
  });
}

async function deleteOne(ctx: Ctx, d: ObjectInfo, waited: boolean): Promise<void> {
  const { o, report } = ctx;
  const where = o.backupPrefix !== undefined ? `, kept as ${o.backupPrefix}${d.key}` : '';
  if (o.dryRun) {
    report.counts.deleted++;
    report.bytes.deleted += d.size;
    o.events.line('-', d.key, `only in the destination: would be deleted${where} (dry run)`);
    return;
  }
  try {
    if (waited) {
      const changed = await changedSinceListing(ctx, d);
      if (changed !== undefined) {
        report.counts.skipped++;
        o.events.line('-', d.key, `only in the destination when listed: NOT deleted (${changed})`);
        return;
      }
    }
    if (o.backupPrefix !== undefined && !(await backUp(ctx, d))) return;
    await o.destination.delete(d.key);
    report.counts.deleted++;
    report.bytes.deleted += d.size;
    o.events.line('-', d.key, `only in the destination: deleted${where}`);
  } catch (e) {
    failed(ctx, d.key, e, 'delete');
  }
}
