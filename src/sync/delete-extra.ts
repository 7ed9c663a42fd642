/**
 * The last step of a sync: the objects only the destination holds, deleted only when it is safe.
 */
import { forEachLimit } from '../flow/pool';
import { transfer } from '../operations/copy-object';
import { StoreError } from '../errors';
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
  let withheld: string | undefined;
  if (report.listingError !== undefined) withheld = 'a listing failed';
  else if (report.counts.failed > 0) withheld = `${report.counts.failed} object(s) failed`;
  else if (digestWithheld(report) !== undefined) withheld = digestWithheld(report)!;
  else if (stopped) withheld = 'the run was interrupted';
  else if (o.maxDelete !== undefined && n > o.maxDelete) withheld = `${n} deletion(s) are due, more than max-delete (${o.maxDelete})`;
  // The delete delay: false when the run was interrupted while waiting.
  if (withheld === undefined && grace && !(await grace())) {
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
  await forEachLimit(ctx.deletions, Math.min(o.transfers, ctx.deletions.length), (d) => deleteOne(ctx, d));
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
