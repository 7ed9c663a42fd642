/**
 * The prune's decision, pure: from the listings of every store, one keep set over their union, then
 * for each store what to delete (its objects outside the keep set) and what it lacks (kept keys it
 * does not hold: drift, reported, never an error). One keep set for all stores, so a migration's
 * stores converge rather than each keeping its own newest.
 */
import { compareKeys } from '../storage/key-range';
import { named, type KeepRule, type KeyMatcher } from './keep-rule';

/** What a listing says of one object: no more is held per key. */
export interface Listed {
  readonly key: string;
  readonly size: number;
  readonly lastModified?: Date;
  /** As the listing gave it: the deletion checks the object still has it. */
  readonly etag?: string;
}

/** One store's whole listing. */
export interface StoreListing {
  readonly store: string;
  readonly objects: readonly Listed[];
}

export interface StorePlan {
  readonly store: string;
  /** Objects listed. */
  readonly listed: number;
  /** Objects the match does not take (or under the backup prefix): never touched. */
  readonly unmatched: number;
  /** Objects of this store in the keep set. */
  readonly kept: number;
  /** Objects outside the keep set, in key order: the store's deletions. */
  readonly deletions: readonly Listed[];
  /** Keys in the keep set this store does not hold. */
  readonly drift: readonly string[];
}

export interface PrunePlan {
  /** The keys kept in every store that holds them. */
  readonly keep: ReadonlySet<string>;
  /** Groups seen (keep-newest); 0 for a keep list. */
  readonly groups: number;
  readonly stores: readonly StorePlan[];
  /** Exact keys of a keep list that no store holds (whether or not the match takes them). */
  readonly namedMissing: readonly string[];
  /** Distinct candidate keys over every store. */
  readonly candidates: number;
}

export interface PlanOptions {
  readonly match: KeyMatcher;
  readonly rule: KeepRule;
  /** Keys never to consider (the backup prefix). */
  readonly skip?: (key: string) => boolean;
}

/**
 * Decides over the union of the listings. Newest is by the earliest LastModified among a key's
 * copies (the first upload, which a later mirror copy does not make younger), equal times by key,
 * the greater key in UTF-8 byte order counting as the newer. Throws when keep-newest meets a
 * candidate without LastModified: the caller must refuse such a listing before planning.
 */
export function planPrune(listings: readonly StoreListing[], o: PlanOptions): PrunePlan {
  const candidates = new Map<string, { group: string; time: number }>();
  for (const { store, objects } of listings) {
    for (const object of objects) {
      if (o.skip?.(object.key)) continue;
      const group = o.match.groupOf(object.key);
      if (group === undefined) continue;
      const time = object.lastModified?.getTime();
      if (o.rule.kind === 'newest' && (time === undefined || Number.isNaN(time))) throw new Error(`${store}: ${object.key} has no LastModified`);
      const seen = candidates.get(object.key);
      if (!seen) candidates.set(object.key, { group, time: time ?? 0 });
      else if (time !== undefined && time < seen.time) seen.time = time;
    }
  }
  const { keep, groups } = o.rule.kind === 'newest' ? newestOf(candidates, o.rule.count) : { keep: namedOf(candidates.keys(), o.rule.list), groups: 0 };
  const namedMissing = o.rule.kind === 'list' ? missingOf(o.rule.list.exact, listings) : [];
  return { keep, groups, stores: listings.map((l) => storePlan(l, candidates, keep)), namedMissing, candidates: candidates.size };
}

/** The exact keys no store holds, in key order. */
function missingOf(exact: ReadonlySet<string>, listings: readonly StoreListing[]): string[] {
  const missing = new Set(exact);
  for (const { objects } of listings) for (const { key } of objects) missing.delete(key);
  return [...missing].sort(compareKeys);
}

function newestOf(candidates: ReadonlyMap<string, { group: string; time: number }>, count: number): { keep: Set<string>; groups: number } {
  const byGroup = new Map<string, { key: string; time: number }[]>();
  for (const [key, { group, time }] of candidates) {
    const members = byGroup.get(group) ?? [];
    members.push({ key, time });
    byGroup.set(group, members);
  }
  const keep = new Set<string>();
  for (const members of byGroup.values()) {
    members.sort((a, b) => b.time - a.time || compareKeys(b.key, a.key));
    for (const m of members.slice(0, count)) keep.add(m.key);
  }
  return { keep, groups: byGroup.size };
}

function namedOf(keys: Iterable<string>, list: Parameters<typeof named>[0]): Set<string> {
  const keep = new Set<string>();
  for (const key of keys) if (named(list, key)) keep.add(key);
  return keep;
}

function storePlan({ store, objects }: StoreListing, candidates: ReadonlyMap<string, unknown>, keep: ReadonlySet<string>): StorePlan {
  const held = new Set<string>();
  const deletions: Listed[] = [];
  let unmatched = 0;
  let kept = 0;
  for (const object of objects) {
    held.add(object.key);
    if (!candidates.has(object.key)) unmatched++;
    else if (keep.has(object.key)) kept++;
    else deletions.push(object);
  }
  deletions.sort((a, b) => compareKeys(a.key, b.key));
  const drift = [...keep].filter((k) => !held.has(k)).sort(compareKeys);
  return { store, listed: objects.length, unmatched, kept, deletions, drift };
}
