/**
 * The prune over every store of a list: list each store whole, decide one keep set over the union
 * (`plan.ts`), then delete in each store what lies outside it, each object backed up first when
 * asked. Fails closed: when any listing failed or was not whole, or more deletions are due than
 * `maxDelete`, or the run was stopped, no store deletes anything.
 */
import { ByteBudget } from '../flow/byte-budget';
import { forEachLimit } from '../flow/pool';
import { backUpObject, backupRoot } from '../operations/back-up';
import { PrivateWriteGuard } from '../operations/private-write-guard';
import type { ObjectStore } from '../storage/object-store';
import type { KeepRule, KeyMatcher } from './keep-rule';
import { planPrune, type Listed, type PrunePlan, type StoreListing } from './plan';

/** No anonymous check follows a backup of the prune: a policy that cannot be read refuses it (never warns). */
const PRUNE_GUARD = new PrivateWriteGuard(() => undefined, 'writing', { because: 'nothing checks a backup anonymously', change: 'leave input "backup-prefix" empty to delete without a backup' });

export interface PruneTarget {
  readonly name: string;
  readonly store: ObjectStore;
}

/** `-` deleted (or would be, in a dry run), `=` kept, `!` a deletion that failed or was withheld, `?` drift (kept, missing here). */
export type PruneMark = '-' | '=' | '!' | '?';

export interface PruneEvents {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** One line of the report: a key of a store and what happened to it. */
  line(store: string, mark: PruneMark, key: string, detail: string): void;
  /** Deletions done of those due, called after each. */
  progress(done: number, total: number): void;
}

export interface PruneOptions {
  readonly targets: readonly PruneTarget[];
  readonly match: KeyMatcher;
  readonly rule: KeepRule;
  readonly dryRun: boolean;
  /** `undefined`: no limit. */
  readonly maxDelete?: number;
  /** A key prefix (ending in `/`) to copy each object to, privately, before deleting it; no key under its top folder is pruned. */
  readonly backupPrefix?: string;
  /** Deletions (with their backups) in flight per store. */
  readonly concurrency: number;
  readonly partSize: number;
  readonly stopped?: () => boolean;
  readonly events: PruneEvents;
}

export interface StoreResult {
  readonly store: string;
  readonly listed: number;
  readonly unmatched: number;
  readonly kept: number;
  /** Deletions due (a dry run's, or a run's before it started deleting). */
  readonly due: number;
  deleted: number;
  failed: number;
  /** Objects not deleted because they were written again (or deleted) after the listing. */
  changed: number;
  readonly drift: number;
  /** Why this store's listing failed, when it did. */
  readonly listingError?: string;
}

export interface PruneReport {
  readonly stores: StoreResult[];
  /** Keys kept over the union (every store). */
  readonly keep: number;
  readonly groups: number;
  readonly namedMissing: readonly string[];
  /** Why nothing was deleted, when something was due and nothing was. */
  withheld?: string;
  readonly failures: { store: string; key: string; reason: string }[];
}

/** Runs the prune. Resolves its report; per-object failures are in the report, never thrown. */
export async function prune(o: PruneOptions): Promise<PruneReport> {
  const listings = await Promise.all(o.targets.map((t) => listWhole(t, o)));
  const failedListings = listings.filter((l): l is { store: string; error: string } => 'error' in l);
  if (failedListings.length > 0) return listingFailed(o, listings, failedListings);
  const plan = planPrune(listings as StoreListing[], { match: o.match, rule: o.rule, skip: skipOf(o) });
  const report = reportOf(plan);
  for (const s of plan.stores) for (const key of s.drift) o.events.line(s.store, '?', key, 'kept, but this store lacks it (drift)');
  const due = report.stores.reduce((n, s) => n + s.due, 0);
  let withheld: string | undefined;
  if (o.rule.kind === 'list' && plan.keep.size === 0 && plan.candidates > 0) withheld = keepsNothing(plan);
  else if (o.maxDelete !== undefined && due > o.maxDelete) withheld = `${due} deletion(s) are due, more than max-delete (${o.maxDelete})`;
  else if (o.stopped?.()) withheld = 'the run was interrupted';
  if (withheld !== undefined) {
    report.withheld = `no object deleted: ${withheld}`;
    for (const s of plan.stores) for (const d of s.deletions) o.events.line(s.store, '!', d.key, `outside the keep set: NOT deleted (${withheld})`);
    return report;
  }
  await deleteAll(o, plan, report, due);
  return report;
}

/** Why a keep list that keeps nothing refuses the run: it almost always names keys in another form. */
function keepsNothing(plan: PrunePlan): string {
  const missing = plan.namedMissing.length > 0 ? ` (${plan.namedMissing.length} of its exact keys are in no store, first: ${plan.namedMissing[0]}; keys are relative to each store's prefix)` : '';
  return `the keep list keeps none of the ${plan.candidates} candidate key(s), so every one would be deleted${missing}`;
}

/** The whole listing of one store, or why there is none: a listing that throws or lacks a date keep-newest needs. */
async function listWhole(t: PruneTarget, o: PruneOptions): Promise<StoreListing | { store: string; error: string }> {
  const objects: Listed[] = [];
  try {
    for await (const page of t.store.listPages()) {
      for (const { key, size, lastModified, etag } of page) {
        if (o.rule.kind === 'newest' && !skipOf(o)(key) && o.match.groupOf(key) !== undefined && !(lastModified instanceof Date && !Number.isNaN(lastModified.getTime()))) {
          return { store: t.name, error: `the listing gives no LastModified for ${JSON.stringify(key)}, so its age is unknown` };
        }
        objects.push({ key, size, lastModified, etag });
      }
    }
  } catch (e) {
    return { store: t.name, error: e instanceof Error ? e.message : String(e) };
  }
  o.events.info(`${t.name}: ${objects.length} object(s) listed`);
  return { store: t.name, objects };
}

/**
 * Keys never considered: everything under the backup prefix's top folder (`pruned/` for
 * `pruned/<run>/`), so the backups of earlier runs, made under other run ids, are never candidates.
 */
function skipOf(o: PruneOptions): (key: string) => boolean {
  if (o.backupPrefix === undefined) return () => false;
  const root = backupRoot(o.backupPrefix);
  return (key) => key.startsWith(root);
}

function listingFailed(o: PruneOptions, listings: readonly (StoreListing | { store: string; error: string })[], failed: readonly { store: string; error: string }[]): PruneReport {
  for (const f of failed) o.events.warning(`${f.store}: listing failed: ${f.error}`);
  const stores = listings.map((l): StoreResult => {
    const error = 'error' in l ? l.error : undefined;
    const listed = 'objects' in l ? l.objects.length : 0;
    return { store: l.store, listed, unmatched: 0, kept: 0, due: 0, deleted: 0, failed: 0, changed: 0, drift: 0, listingError: error };
  });
  return { stores, keep: 0, groups: 0, namedMissing: [], failures: [], withheld: `no object deleted in any store: the listing of ${failed.map((f) => f.store).join(', ')} failed, and the keep set is decided over every store` };
}

function reportOf(plan: PrunePlan): PruneReport {
  return {
    stores: plan.stores.map((s) => ({ store: s.store, listed: s.listed, unmatched: s.unmatched, kept: s.kept, due: s.deletions.length, deleted: 0, failed: 0, changed: 0, drift: s.drift.length })),
    keep: plan.keep.size,
    groups: plan.groups,
    namedMissing: plan.namedMissing,
    failures: [],
  };
}

async function deleteAll(o: PruneOptions, plan: PrunePlan, report: PruneReport, due: number): Promise<void> {
  const budget = new ByteBudget(Math.max(o.partSize * 2, 64 * 1024 * 1024));
  let done = 0;
  await Promise.all(
    plan.stores.map((s, i) => {
      const target = o.targets[i]!;
      const result = report.stores[i]!;
      return forEachLimit(s.deletions, Math.max(1, Math.min(o.concurrency, s.deletions.length)), async (d) => {
        // Checked before each deletion: an interrupt stops the run between objects.
        if (o.stopped?.()) return;
        await deleteOne(o, target, d, result, report, budget);
        o.events.progress(++done, due);
      });
    }),
  );
}

async function deleteOne(o: PruneOptions, t: PruneTarget, d: Listed, result: StoreResult, report: PruneReport, budget: ByteBudget): Promise<void> {
  const where = o.backupPrefix !== undefined ? `, kept as ${o.backupPrefix}${d.key}` : '';
  if (o.dryRun) {
    result.deleted++;
    o.events.line(t.name, '-', d.key, `outside the keep set: would be deleted${where} (dry run)`);
    return;
  }
  try {
    if (o.backupPrefix !== undefined && !(await backUp(o, t, d, budget))) return;
    const change = await changedSince(t.store, d);
    if (change !== undefined) {
      result.changed++;
      o.events.line(t.name, '=', d.key, `outside the keep set, but changed during the run (${change}): kept, not deleted`);
      return;
    }
    await t.store.delete(d.key);
    result.deleted++;
    o.events.line(t.name, '-', d.key, `outside the keep set: deleted${where}`);
  } catch (e) {
    result.failed++;
    const reason = e instanceof Error ? e.message : String(e);
    report.failures.push({ store: t.name, key: d.key, reason });
    o.events.line(t.name, '!', d.key, `outside the keep set: NOT deleted (${reason})`);
  }
}

/**
 * How the object differs from its listing (a new image written under the same key, or deleted),
 * or `undefined` when its ETag, LastModified (to the second, as HEAD gives it) and size are the
 * listed ones. Asked just before the deletion: DeleteObject's If-Match is not honoured by every
 * store (Ceph RGW 16 deletes regardless), so it cannot be relied on.
 */
async function changedSince(store: ObjectStore, d: Listed): Promise<string | undefined> {
  const head = await store.head(d.key);
  if (!head) return 'gone';
  if (head.etag !== d.etag) return `ETag ${head.etag ?? 'none'}, listed ${d.etag ?? 'none'}`;
  const seconds = (t?: Date) => (t === undefined ? undefined : Math.floor(t.getTime() / 1000));
  if (seconds(head.lastModified) !== seconds(d.lastModified)) return `LastModified ${head.lastModified?.toISOString() ?? 'none'}, listed ${d.lastModified?.toISOString() ?? 'none'}`;
  if (head.size !== d.size) return `${head.size} bytes, listed ${d.size}`;
  return undefined;
}

/**
 * Copies the object to the backup prefix of its own store, privately (the one backup operation):
 * refused where the bucket policy lets strangers read the backup key or cannot be read (nothing
 * checks a backup anonymously here), and checked to be there with the listed size. Resolves false
 * when the object is gone already (nothing to keep or delete); throws when the copy failed or does
 * not check out, so the object is not deleted.
 */
async function backUp(o: PruneOptions, t: PruneTarget, d: Listed, budget: ByteBudget): Promise<boolean> {
  return backUpObject({
    store: t.store,
    key: d.key,
    size: d.size,
    backupKey: `${o.backupPrefix}${d.key}`,
    guard: PRUNE_GUARD,
    transfer: { partSize: o.partSize, budget, partsInFlight: 4 },
    proof: { size: true },
  });
}
