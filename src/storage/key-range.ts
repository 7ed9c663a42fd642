/**
 * Key ranges in the order S3 lists keys (UTF-8 binary), for listing one shard of a store.
 *
 * Shards: contiguous ranges of the key space, so each job of a matrix lists and handles only its
 * own keys. Ranges are half-open, `[from, to)`, in UTF-8 binary order (the order S3 lists in), on
 * keys relative to the store's prefix. Every key falls in exactly one shard of a set.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
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

/** One shard of `count`, numbered from 1. */
export interface Shard {
  readonly index: number;
  readonly count: number;
  readonly range: KeyRange;
}

/** The whole key space: what an action handles without a `shard` input. */
export const ALL_KEYS: Shard = { index: 1, count: 1, range: {} };

export const MAX_SHARDS = 1000;

/**
 * Parses a `shard` input: empty for all keys; `I/N` for the I-th of N fixed ranges; or a JSON
 * object from the shard-planning step (`{"index":I,"count":N,"from":K,"to":K}`), whose ranges are
 * balanced for one bucket.
 */
export function parseShard(value: string): Shard {
  const v = value.trim();
  if (v === '') return ALL_KEYS;
  const fixed = /^(\d+)\s*\/\s*(\d+)$/.exec(v);
  if (fixed) {
    const index = Number(fixed[1]);
    const count = Number(fixed[2]);
    if (count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
      throw new ConfigurationError(`${quote(v)} is out of range; allowed: I/N with 1 <= I <= N <= ${MAX_SHARDS}, such as 2/8`);
    }
    return fixedShard(index, count);
  }
  if (v.startsWith('{')) {
    let o: unknown;
    try {
      o = JSON.parse(v);
    } catch {
      throw new ConfigurationError(`${quote(v)} is not valid JSON; allowed: I/N, or one item of the shard plan's "shards" output`);
    }
    return shardFromJson(o, v);
  }
  throw new ConfigurationError(`${quote(v)} is not allowed; allowed: I/N (such as 2/8), or one item of the shard plan's "shards" output`);
}

function shardFromJson(o: unknown, text: string): Shard {
  const bad = (why: string) =>
    new ConfigurationError(`${quote(text)} ${why}; allowed: an object {"index": I, "count": N, "from": KEY, "to": KEY} as the shard plan writes it`);
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('is not an object');
  const r = o as Record<string, unknown>;
  const { index, count, from, to } = r;
  if (!Number.isInteger(index) || !Number.isInteger(count)) throw bad('needs whole numbers "index" and "count"');
  if ((count as number) < 1 || (count as number) > MAX_SHARDS || (index as number) < 1 || (index as number) > (count as number)) {
    throw bad('has "index" or "count" out of range');
  }
  for (const [name, b] of [['from', from], ['to', to]] as const) {
    if (b !== undefined && b !== null && typeof b !== 'string') throw bad(`has a "${name}" that is not a string`);
  }
  const range: KeyRange = {
    ...(typeof from === 'string' && from !== '' ? { from } : {}),
    ...(typeof to === 'string' ? { to } : {}),
  };
  if (range.from !== undefined && range.to !== undefined && compareKeys(range.from, range.to) > 0) throw bad('has "from" after "to"');
  if (index === 1 && range.from !== undefined) throw bad('is the first shard but does not start at the first key');
  if (index === count && range.to !== undefined) throw bad('is the last shard but does not end at the last key');
  return { index: index as number, count: count as number, range };
}

// Fixed ranges cut the space of two printable ASCII characters evenly: keys that start with
// anything lower fall in the first shard, non-ASCII keys in the last.
const FIRST = 0x20;
const SPAN = 0x7f - FIRST;

function boundary(i: number, count: number): string {
  const point = Math.floor((i * SPAN * SPAN) / count);
  return String.fromCharCode(FIRST + Math.floor(point / SPAN), FIRST + (point % SPAN));
}

/** The I-th of N fixed ranges; the N ranges cover every key exactly once. */
export function fixedShard(index: number, count: number): Shard {
  const range: KeyRange = {
    ...(index > 1 ? { from: boundary(index - 1, count) } : {}),
    ...(index < count ? { to: boundary(index, count) } : {}),
  };
  return { index, count, range };
}

/** The JSON a matrix item carries, as `parseShard` reads it back. */
export function shardToJson(s: Shard): string {
  return JSON.stringify({ index: s.index, count: s.count, from: s.range.from ?? '', ...(s.range.to !== undefined ? { to: s.range.to } : {}) });
}
