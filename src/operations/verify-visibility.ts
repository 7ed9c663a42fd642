/**
 * The check after a write: what a stranger gets for an object just written, judged fail-closed.
 * Only an anonymous 403 (or 401) shows a private object private, and only a 200 shows a public one
 * readable. A 404 for an object just written proves nothing by itself: the request may not have
 * reached the object (an address that is not the key's), so a signed HEAD decides what it means.
 */
import type { ObjectStore, Visibility } from '../storage/object-store';
import { PRIVATE_MARKER } from '../storage/private-marker';
import { formatAddress, type AnonymousAccess, type PublicAddress } from '../storage/anonymous';

/** Sends one unsigned HEAD to an address (with its own retries). */
export type AnonymousProbe = (address: PublicAddress) => Promise<AnonymousAccess>;

/** What the check after a write found. */
export type WrittenCheck =
  /** As it must be; `n/a` when the store has no anonymous address (a folder). */
  | { readonly verdict: 'ok'; readonly access: 'readable' | 'denied' | 'n/a'; readonly url?: string }
  | {
      /**
       * `exposed`: a private object read anonymously. `not-readable`: a public one denied.
       * `unverified`: no answer that shows either (a failed request, or a 404 for an object a
       * signed HEAD still finds). `gone`: 404 to the anonymous request and to a signed HEAD.
       */
      readonly verdict: 'exposed' | 'not-readable' | 'unverified' | 'gone';
      readonly access: AnonymousAccess['access'];
      readonly url: string;
      /** For messages; names the address for `exposed`. */
      readonly reason: string;
    };

/** Checks the object just written at `key` of `store` against the visibility it must have. */
export async function checkWritten(store: ObjectStore, key: string, expected: Visibility, probe: AnonymousProbe): Promise<WrittenCheck> {
  const address = store.anonymousAddress(key);
  if (address === undefined) return { verdict: 'ok', access: 'n/a' };
  const url = formatAddress(address);
  const seen = await probe(address);
  const fail = (verdict: 'exposed' | 'not-readable' | 'unverified' | 'gone', reason: string): WrittenCheck => ({ verdict, access: seen.access, url, reason });
  const shown = expected === 'private' ? 'shown private' : 'shown readable';
  if (seen.access === 'missing') {
    let present: boolean;
    try {
      present = (await store.head(key)) !== undefined;
    } catch (e) {
      return fail('unverified', `the anonymous request answered HTTP 404 and a signed HEAD failed (${e instanceof Error ? e.message : String(e)}): not ${shown}`);
    }
    return present
      ? fail('unverified', `the anonymous request answered HTTP 404, yet a signed HEAD finds the object: its public address (${url}) does not reach it, so it is not ${shown}`)
      : fail('gone', 'gone right after it was written (HTTP 404 to the anonymous request and to a signed HEAD): deleted by someone else?');
  }
  if (expected === 'private') {
    if (seen.access === 'denied') return { verdict: 'ok', access: 'denied', url };
    if (seen.access === 'readable') return fail('exposed', `EXPOSED: private object is readable anonymously at ${url}`);
    return fail('unverified', `anonymous check failed (${seen.access === 'error' ? seen.reason : `HTTP ${seen.status}`}): not ${shown}`);
  }
  if (seen.access === 'readable') {
    // Written public, yet marked private (a copy of an object written private): it was meant private.
    if (seen.markedPrivate) return fail('exposed', `EXPOSED: readable anonymously at ${url}, yet it carries ${PRIVATE_MARKER.header}: ${PRIVATE_MARKER.value} (it was written private)`);
    return { verdict: 'ok', access: 'readable', url };
  }
  return fail('not-readable', `public object is not readable anonymously (${seen.access === 'error' ? seen.reason : `HTTP ${seen.status}`}); check the bucket policy or visibility mode`);
}

/**
 * After the check of an object this run has just written: one found readable although private is
 * deleted again, so that the failure leaves nothing exposed (the source, or the file, still holds
 * it); the reason says whether that worked. Any other verdict is returned as it is.
 */
export async function withdrawExposed(store: ObjectStore, key: string, check: WrittenCheck): Promise<WrittenCheck> {
  if (check.verdict !== 'exposed') return check;
  try {
    await store.delete(key);
    return { ...check, reason: `${check.reason}; the object was deleted again` };
  } catch (e) {
    return { ...check, reason: `${check.reason}; it could NOT be deleted again (${e instanceof Error ? e.message : String(e)}): delete it by hand` };
  }
}
