/**
 * Planning balanced shards from a listing. What a shard is, and the `shard` input's two forms, are
 * in `../storage/key-range`: the audit reads the same input.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import { compareKeys, MAX_SHARDS, type KeyRange, type Shard } from '../storage/key-range';

export type { KeyRange };

/**
 * Balanced shards from a sorted listing, in constant memory: keeps every `stride`-th key and halves
 * the sample (doubling the stride) whenever it is full, then cuts at evenly spaced samples.
 */
export class ShardPlanner {
  private samples: string[] = [];
  private stride = 1;
  private seen = 0;
  private last: string | undefined;

  constructor(private readonly maxSamples = 8192) {}

  /** Feeds the next key of a listing; keys must come in UTF-8 binary order. */
  add(key: string): void {
    if (this.last !== undefined && compareKeys(key, this.last) <= 0) throw new Error(`keys out of order: ${quote(key)} after ${quote(this.last)}`);
    this.last = key;
    if (this.seen % this.stride === 0) {
      this.samples.push(key);
      if (this.samples.length >= this.maxSamples) {
        this.samples = this.samples.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    }
    this.seen++;
  }

  get keys(): number {
    return this.seen;
  }

  /** `count` shards covering every key once, each with about the same number of the keys seen. */
  shards(count: number): Shard[] {
    if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) throw new ConfigurationError(`${count} shards is out of range; allowed: 1 to ${MAX_SHARDS}`);
    const cuts: string[] = [];
    for (let i = 1; i < count; i++) {
      const s = this.samples[Math.floor((i * this.samples.length) / count)];
      if (s !== undefined && compareKeys(s, this.samples[0]!) > 0 && (cuts.length === 0 || compareKeys(s, cuts[cuts.length - 1]!) > 0)) cuts.push(s);
    }
    // Too few keys for this many shards: repeating the last cut leaves the later ranges empty.
    while (cuts.length < count - 1) cuts.push(cuts[cuts.length - 1] ?? '');
    return Array.from({ length: count }, (_, n) => {
      const from = n === 0 ? undefined : cuts[n - 1];
      const to = n === count - 1 ? undefined : cuts[n];
      return { index: n + 1, count, range: { ...(from ? { from } : {}), ...(to !== undefined ? { to } : {}) } };
    });
  }
}
