/**
 * Copying one object from a store to another (the mirror's copies, and its backups before a
 * delete): inside the provider when the destination can copy from the source (same endpoint and
 * credentials), else streamed from one GET (`stream-copy.ts`, which also feeds several stores from
 * one read).
 */
import { createHash } from 'node:crypto';
import { StoreError } from '../errors';
import type { ObjectHead, ObjectStore, Visibility } from '../storage/object-store';
import { changedSince, rewrittenSince, streamCopy, writeOptionsFrom, type CopyVisibility, type TransferOptions, type Transferred } from './stream-copy';

/** What the copy was made from: the source's HEAD (as its GET or HEAD answered), and the visibility it was given. */
export interface Copied extends Transferred {
  readonly head: ObjectHead;
  readonly visibility: Visibility;
}

/**
 * Copies `key` of `source` to `destKey` of `destination` with the visibility `decide` gives: inside the provider when
 * it can, else one GET (whose answer carries the headers and metadata to carry over) streamed into a
 * PUT or a multipart upload. `expectedSize` is the size the listing gave: an object that changed
 * since is not copied (the next run copies it whole).
 */
export async function transfer(
  source: ObjectStore,
  destination: ObjectStore,
  key: string,
  destKey: string,
  decide: CopyVisibility,
  expectedSize: number,
  t: TransferOptions,
): Promise<Copied> {
  const visibilityOf = typeof decide === 'function' ? decide : async () => decide;
  // Both the streamed multipart write and a provider-side multipart copy (over 5 GiB) start here.
  if (expectedSize > t.partSize) await t.beforeMultipart?.(destKey);
  if (t.digest === undefined && destination.copyFrom && destination.canCopyFrom?.(source)) {
    const head = await source.head(key);
    if (!head) throw new StoreError('not-found', `${key}: no longer in the source`);
    if (head.size !== expectedSize) throw changedSince(key, expectedSize, head.size);
    if (t.expectEtag !== undefined && head.etag !== t.expectEtag) throw rewrittenSince(key, t.expectEtag, head.etag);
    const visibility = await visibilityOf(head);
    const r = await destination.copyFrom(source, key, destKey, head.size, writeOptionsFrom(head, visibility));
    if (r) return { etag: r.etag, readCheck: 'none', how: 'server', head, visibility };
  }
  const streamed = await streamCopy(source, [destination], key, destKey, decide, expectedSize, t);
  const outcome = streamed.outcomes[0]!;
  if (!outcome.ok) throw outcome.error;
  return { ...outcome.done, head: streamed.head, visibility: streamed.visibility };
}

/** Streams an object through SHA-256; for comparing by content. */
export async function contentSha256(store: ObjectStore, key: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of await store.get(key)) h.update(c as Buffer);
  return h.digest('hex');
}
