/**
 * The march: a merge-join of two listings sorted in UTF-8 binary order, in constant memory. Each
 * key present on either side comes out once, with what each side has under it.
 */
import type { ObjectInfo } from '../storage/object-store';
import { compareKeys } from '../storage/key-range';

export interface Pair {
  readonly key: string;
  readonly source?: ObjectInfo;
  readonly destination?: ObjectInfo;
}

/**
 * Joins two sorted listings given a page at a time, keeping only keys `keep` accepts, and yields
 * the pairs in batches (a batch per page or so: walking a million keys must not cost a promise a
 * key). Throws when either listing throws, and when either is out of order: a listing that is not
 * sorted cannot be joined, and a wrong join could delete.
 */
export async function* march(
  source: AsyncIterable<readonly ObjectInfo[]>,
  destination: AsyncIterable<readonly ObjectInfo[]>,
  keep: (key: string) => boolean = () => true,
): AsyncGenerator<Pair[]> {
  const a = new Side(source, 'source', keep);
  const b = new Side(destination, 'destination', keep);
  await Promise.all([a.fill(), b.fill()]);
  for (;;) {
    const batch: Pair[] = [];
    // Join while both sides have entries in hand (or one side is over).
    while ((a.ready || a.ended) && (b.ready || b.ended) && !(a.ended && b.ended)) {
      const x = a.peek();
      const y = b.peek();
      const order = !x ? 1 : !y ? -1 : compareKeys(x.key, y.key);
      if (order === 0) batch.push({ key: x!.key, source: a.take(), destination: b.take() });
      else if (order < 0) batch.push({ key: x!.key, source: a.take() });
      else batch.push({ key: y!.key, destination: b.take() });
    }
    if (batch.length > 0) yield batch;
    if (a.ended && b.ended) return;
    // A side ran out of entries in hand: fetch its next page (both, when both ran out).
    await Promise.all([a.ready || a.ended ? undefined : a.fill(), b.ready || b.ended ? undefined : b.fill()]);
  }
}

/** One listing: the page in hand, checked for order and filtered (the K-way march uses it too). */
export class Side {
  ended = false;
  private page: readonly ObjectInfo[] = [];
  private at = 0;
  private last?: string;
  private readonly it: AsyncIterator<readonly ObjectInfo[]>;

  constructor(
    pages: AsyncIterable<readonly ObjectInfo[]>,
    private readonly name: string,
    private readonly keep: (key: string) => boolean,
  ) {
    this.it = pages[Symbol.asyncIterator]();
  }

  get ready(): boolean {
    return this.at < this.page.length;
  }

  peek(): ObjectInfo | undefined {
    return this.page[this.at];
  }

  take(): ObjectInfo {
    return this.page[this.at++]!;
  }

  /** Reads pages until one holds a key to keep, or the listing ends. */
  async fill(): Promise<void> {
    while (!this.ready && !this.ended) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return;
      }
      const kept: ObjectInfo[] = [];
      for (const o of r.value) {
        if (this.last !== undefined && compareKeys(o.key, this.last) <= 0) {
          throw new Error(`the ${this.name} listing is not in UTF-8 binary order (${JSON.stringify(o.key)} after ${JSON.stringify(this.last)}); refusing to compare it`);
        }
        this.last = o.key;
        if (this.keep(o.key)) kept.push(o);
      }
      this.page = kept;
      this.at = 0;
    }
  }
}
