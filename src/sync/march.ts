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
 * Joins two sorted listings. Throws when either listing throws, and when either is out of order
 * (a listing that is not sorted cannot be joined, and a wrong join could delete).
 */
export async function* march(source: AsyncIterable<ObjectInfo>, destination: AsyncIterable<ObjectInfo>): AsyncGenerator<Pair> {
  const a = sorted(source[Symbol.asyncIterator](), 'source');
  const b = sorted(destination[Symbol.asyncIterator](), 'destination');
  // Both sides are read ahead one entry at a time; the next page of each is fetched concurrently.
  let [x, y] = await Promise.all([a.next(), b.next()]);
  while (!x.done || !y.done) {
    const order = x.done ? 1 : y.done ? -1 : compareKeys(x.value.key, y.value.key);
    if (order === 0) {
      yield { key: x.value!.key, source: x.value!, destination: y.value! };
      [x, y] = await Promise.all([a.next(), b.next()]);
    } else if (order < 0) {
      yield { key: x.value!.key, source: x.value! };
      x = await a.next();
    } else {
      yield { key: y.value!.key, destination: y.value! };
      y = await b.next();
    }
  }
}

async function* sorted(it: AsyncIterator<ObjectInfo>, side: string): AsyncGenerator<ObjectInfo> {
  let last: string | undefined;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    if (last !== undefined && compareKeys(r.value.key, last) <= 0) {
      throw new Error(`the ${side} listing is not in UTF-8 binary order (${JSON.stringify(r.value.key)} after ${JSON.stringify(last)}); refusing to compare it`);
    }
    last = r.value.key;
    yield r.value;
  }
}


/**
 * Reads a listing ahead by up to `depth` entries in the background, so the store's next page is
 * already on its way while the current one is compared. Errors surface at the entry they stopped at.
 */
export async function* readAhead<T>(items: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = items[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  let ended = false;
  const fill = () => {
    while (!ended && queue.length < depth) {
      const p = it.next();
      queue.push(p);
      p.then(
        (r) => {
          if (r.done) ended = true;
        },
        () => {
          ended = true;
        },
      );
    }
  };
  fill();
  for (;;) {
    const r = await queue.shift()!;
    if (r.done) return;
    fill();
    yield r.value;
  }
}
