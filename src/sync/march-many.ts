/**
 * The K-way march: one listing of the source merge-joined against the listings of several
 * destinations at once, in constant memory (a page in hand a listing). Each key present anywhere
 * comes out once, with what the source and each destination hold under it, so each destination's
 * decision for the key is the one the two-way march would lead to.
 */
import type { ObjectInfo } from '../storage/object-store';
import { compareKeys } from '../storage/key-range';
import { Side } from './march';

export interface ManyPair {
  readonly key: string;
  readonly source?: ObjectInfo;
  /** What each destination holds under the key; `undefined` for one that lacks it or whose listing failed. */
  readonly destinations: readonly (ObjectInfo | undefined)[];
}

/**
 * Joins the source with every destination, keeping only keys `keep` accepts, yielding pairs in
 * batches. Throws when the source listing throws or is out of order. A destination whose listing
 * throws (or is out of order) is left out from then on: `lost(i, error)` is called before the next
 * batch, and every later pair holds `undefined` for it. The caller must decide nothing more for it.
 */
export async function* marchMany(
  source: AsyncIterable<readonly ObjectInfo[]>,
  destinations: readonly AsyncIterable<readonly ObjectInfo[]>[],
  lost: (index: number, error: unknown) => void,
  keep: (key: string) => boolean = () => true,
): AsyncGenerator<ManyPair[]> {
  const a = new Side(source, 'source', keep);
  const sides = destinations.map((d, i) => new Side(d, destinations.length > 1 ? `destination ${i + 1}` : 'destination', keep));
  const dead = sides.map(() => false);
  const fill = async (i: number): Promise<void> => {
    try {
      await sides[i]!.fill();
    } catch (e) {
      dead[i] = true;
      lost(i, e);
    }
  };
  const inHand = (i: number) => dead[i] || sides[i]!.ready || sides[i]!.ended;
  const over = (i: number) => dead[i] || sides[i]!.ended;
  await Promise.all([a.fill(), ...sides.map((_, i) => fill(i))]);
  for (;;) {
    const batch: ManyPair[] = [];
    // Join while every listing has an entry in hand (or is over).
    while ((a.ready || a.ended) && sides.every((_, i) => inHand(i)) && !(a.ended && sides.every((_, i) => over(i)))) {
      let min = a.peek()?.key;
      for (let i = 0; i < sides.length; i++) {
        const k = over(i) ? undefined : sides[i]!.peek()!.key;
        if (k !== undefined && (min === undefined || compareKeys(k, min) < 0)) min = k;
      }
      const key = min!;
      const src = a.peek()?.key === key ? a.take() : undefined;
      batch.push({ key, source: src, destinations: sides.map((s, i) => (!over(i) && s.peek()!.key === key ? s.take() : undefined)) });
    }
    if (batch.length > 0) yield batch;
    if (a.ended && sides.every((_, i) => over(i))) return;
    // The listings that ran out of entries in hand fetch their next page, together.
    await Promise.all([a.ready || a.ended ? undefined : a.fill(), ...sides.map((_, i) => (inHand(i) ? undefined : fill(i)))]);
  }
}
