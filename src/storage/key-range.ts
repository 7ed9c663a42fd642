/**
 * Key ranges in the order S3 lists keys (UTF-8 binary), for listing one shard of a store.
 */
import { compareKeys } from '../s3/key-order';

export { compareKeys };

/** Keys `k` with `from <= k < to`; a missing bound is open. */
export interface KeyRange {
  readonly from?: string;
  readonly to?: string;
}

export function inRange(key: string, range: KeyRange): boolean {
  return (range.from === undefined || compareKeys(key, range.from) >= 0) && (range.to === undefined || compareKeys(key, range.to) < 0);
}

/** True once `key` (and so every later key of a sorted listing) lies past the range. */
export function pastRange(key: string, range: KeyRange): boolean {
  return range.to !== undefined && compareKeys(key, range.to) >= 0;
}

/**
 * A `StartAfter` for listing from `range.from`: a key that sorts before every key of the range
 * (the bound without its last character), so a listing skips most keys before the range and the
 * range test drops the few it does not.
 */
export function listStartAfter(range: KeyRange): string | undefined {
  if (range.from === undefined || range.from === '') return undefined;
  const chars = Array.from(range.from);
  chars.pop();
  return chars.length === 0 ? undefined : chars.join('');
}

