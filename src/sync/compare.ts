/**
 * Comparing a pair of objects that both stores hold. Sizes first; then, without any request, ETags
 * (equal MD5-shaped ETags mean equal content) and the manifest of verified copies; then, with one
 * HEAD a side, the sha256 this project records; and only when asked, the content itself. There is
 * no size-only verdict: a pair nothing can prove equal is treated as different.
 */
import type { ObjectHead, ObjectInfo } from '../storage/object-store';
import { isMd5Etag } from '../storage/etag';
import type { ManifestEntry } from './manifest';

/** How a pair was found equal or different. */
export type CompareMethod = 'size' | 'etag' | 'manifest' | 'sha256' | 'content' | 'digest' | 'none';

export type Verdict = {
  readonly same: boolean;
  readonly method: CompareMethod;
  /** For a verdict read from the objects themselves (HEADs): the ETags they had when read. */
  readonly read?: { readonly sourceEtag?: string; readonly destinationEtag?: string };
  /** The source's content does not match the digest its key names (why): it is corrupt. */
  readonly corrupt?: string;
};

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * What the listings (and the manifest) prove. `undefined`: they prove nothing, ask the objects.
 * With `contentOnly`, only a size difference is taken from the listings.
 */
export function compareListed(source: ObjectInfo, destination: ObjectInfo, entry: ManifestEntry | undefined, contentOnly: boolean): Verdict | undefined {
  if (source.size !== destination.size) return { same: false, method: 'size' };
  if (contentOnly) return undefined;
  if (isMd5Etag(source.etag) && source.etag === destination.etag) return { same: true, method: 'etag' };
  if (
    entry !== undefined &&
    source.etag !== undefined &&
    destination.etag !== undefined &&
    entry.sourceEtag === source.etag &&
    entry.size === source.size &&
    entry.destinationEtag === destination.etag
  ) {
    return { same: true, method: 'manifest' };
  }
  return undefined;
}

/** What the recorded sha256 of both objects proves; `undefined` when either lacks one. */
export function compareHeads(source: ObjectHead, destination: ObjectHead): Verdict | undefined {
  if (source.size !== destination.size) return { same: false, method: 'size' };
  const a = source.metadata.sha256;
  const b = destination.metadata.sha256;
  if (a === undefined || b === undefined || !SHA256.test(a) || !SHA256.test(b)) return undefined;
  return { same: a === b, method: 'sha256', read: { sourceEtag: source.etag, destinationEtag: destination.etag } };
}

/**
 * Whether a pair found the same may be recorded in the manifest under its listed ETags: the next run
 * proves the pair from those alone, so they must be the ETags of what was compared. The manifest
 * re-proves its own entries; a verdict read from HEADs counts only when the HEADs saw the listed
 * ETags (an object rewritten between the listing and the HEAD was compared as its new self); one
 * read from the content gives no ETag, and equal ETags need no entry.
 */
function provenAsListed(src: ObjectInfo, dst: ObjectInfo, verdict: Verdict): boolean {
  if (src.etag === undefined || dst.etag === undefined) return false;
  if (verdict.method === 'manifest') return true;
  return verdict.read !== undefined && verdict.read.sourceEtag === src.etag && verdict.read.destinationEtag === dst.etag;
}

/** The manifest entry of a pair found the same, under its listed ETags: only where {@link provenAsListed}. */
export function listedEntry(src: ObjectInfo, dst: ObjectInfo, verdict: Verdict): ManifestEntry | undefined {
  if (!provenAsListed(src, dst, verdict)) return undefined;
  return { key: src.key, sourceEtag: src.etag!, size: src.size, destinationEtag: dst.etag! };
}

/**
 * The entry a copy leaves in its destination's manifest: the source's ETag as read (else as listed)
 * and the one the destination gave; none when equal MD5-shaped ETags prove the pair by themselves next time.
 */
export function writtenEntry(src: ObjectInfo, readEtag: string | undefined, destinationEtag: string | undefined): ManifestEntry | undefined {
  const sourceEtag = readEtag ?? src.etag;
  if (destinationEtag === undefined || sourceEtag === undefined || (isMd5Etag(sourceEtag) && sourceEtag === destinationEtag)) return undefined;
  return { key: src.key, sourceEtag, size: src.size, destinationEtag };
}
