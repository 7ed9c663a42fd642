/**
 * Copying one object from a store to another (the mirror's copies, and its backups before a
 * delete): inside the provider when the destination can copy from the source (same endpoint and
 * credentials), else streamed from a GET into a PUT or a multipart upload (the fan-out writer), never staged on disk, with memory held to a shared budget. Every body is
 * signed with its SHA-256, so the destination refuses bytes that differ from what was read, and
 * what was read is checked against the source's recorded sha256 or plain MD5 ETag when it has one.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ByteBudget } from '../flow/byte-budget';
import { isMd5Etag } from '../storage/etag';
import { StoreError } from '../errors';
import type { ObjectHead, ObjectStore, Visibility, WriteOptions } from '../storage/object-store';
import { MultipartFanOut, type PartPlace } from './multipart-fan-out';

export interface TransferOptions {
  readonly partSize: number;
  /** Bytes of part buffers held at once, shared by every transfer of the run. */
  readonly budget: ByteBudget;
  /** Parts of one object in flight at once. */
  readonly partsInFlight: number;
  /** Registers the abort of an open multipart upload for an interrupt; returns its unregistration. */
  readonly onInterrupt?: (abort: () => Promise<void>) => () => void;
  /**
   * Called with the destination key before a multipart write to it starts: the place to abort the
   * uploads of that key that an earlier, killed run left open (nobody else would ever abort them).
   */
  readonly beforeMultipart?: (destKey: string) => Promise<void>;
  /**
   * The sha256 the key names (content-addressed keys): the bytes read must hash to it, else nothing
   * is written (a multipart upload is aborted before it completes) and `DigestMismatchError` is
   * thrown. A copy with a digest is always streamed: a provider-side copy moves bytes nobody hashed.
   */
  readonly digest?: string;
  /**
   * The ETag the object was listed with, when the copy must be of that very object (ordered
   * publication writes its later phases from an older listing): a source read with another ETag
   * fails with `SourceMismatchError` before anything is written.
   */
  readonly expectEtag?: string;
}

export interface Transferred {
  readonly etag?: string;
  /** How the bytes read from the source were checked: `sha256`, `md5`, or `none` (nothing to check against). */
  readonly readCheck: 'sha256' | 'md5' | 'none';
  /** `server` when the provider copied it, `stream` when the bytes went through this process. */
  readonly how: 'server' | 'stream';
}

/** The headers and metadata of `head` that a copy must carry, with the visibility it must have. */
export function writeOptionsFrom(head: ObjectHead, visibility: WriteOptions['visibility']): WriteOptions {
  return {
    visibility,
    contentType: head.contentType,
    contentEncoding: head.contentEncoding,
    cacheControl: head.cacheControl,
    contentDisposition: head.contentDisposition,
    metadata: head.metadata,
  };
}

/** A bad read of the source: the bytes did not match what the source says it holds. */
export class SourceMismatchError extends Error {
  override readonly name = 'SourceMismatchError';
}

/** The source's content does not hash to the digest its key names: the source object is corrupt. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
}

function checkDigest(got: string, t: TransferOptions, key: string): void {
  if (t.digest !== undefined && got !== t.digest) throw new DigestMismatchError(`${key}: the content has sha256 ${got}, the key names ${t.digest}`);
}

/** What the copy was made from: the source's HEAD (as its GET or HEAD answered), and the visibility it was given. */
export interface Copied extends Transferred {
  readonly head: ObjectHead;
  readonly visibility: Visibility;
}

/**
 * The visibility a copy gets: a fixed one, or one decided from the source's HEAD before anything is
 * written (the place to make a copy of an object that was written private private too). A decider
 * that throws stops the copy with nothing written.
 */
export type CopyVisibility = Visibility | ((head: ObjectHead) => Promise<Visibility>);

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
  const changed = (size: number) => new SourceMismatchError(`${key}: changed in the source while mirroring (${expectedSize} -> ${size} bytes); the next run copies it`);
  if (t.digest === undefined && destination.copyFrom && destination.canCopyFrom?.(source)) {
    const head = await source.head(key);
    if (!head) throw new StoreError('not-found', `${key}: no longer in the source`);
    if (head.size !== expectedSize) throw changed(head.size);
    if (t.expectEtag !== undefined && head.etag !== t.expectEtag) throw rewritten(key, t.expectEtag, head.etag);
    const visibility = await visibilityOf(head);
    const r = await destination.copyFrom(source, key, destKey, head.size, writeOptionsFrom(head, visibility));
    if (r) return { etag: r.etag, readCheck: 'none', how: 'server', head, visibility };
  }
  const { head, body } = await source.read(key);
  if (head.size !== expectedSize || (t.expectEtag !== undefined && head.etag !== t.expectEtag)) {
    body.destroy();
    throw head.size !== expectedSize ? changed(head.size) : rewritten(key, t.expectEtag!, head.etag);
  }
  let visibility: Visibility;
  try {
    visibility = await visibilityOf(head);
  } catch (e) {
    body.destroy();
    throw e;
  }
  const options = writeOptionsFrom(head, visibility);
  const r = head.size <= t.partSize ? await putWhole(body, destination, key, destKey, head, options, t) : await putParts(body, destination, key, destKey, head, options, t);
  return { ...r, head, visibility };
}

function rewritten(key: string, listed: string, now: string | undefined): SourceMismatchError {
  return new SourceMismatchError(`${key}: rewritten in the source since it was listed (ETag ${listed} -> ${now ?? 'none'}); the next run copies it`);
}

function expectedSha256(head: ObjectHead): string | undefined {
  const v = head.metadata.sha256;
  return v !== undefined && /^[0-9a-f]{64}$/.test(v) ? v : undefined;
}

async function putWhole(stream: Readable, destination: ObjectStore, key: string, destKey: string, head: ObjectHead, options: WriteOptions, t: TransferOptions): Promise<Transferred> {
  const release = await t.budget.take(head.size);
  try {
    const body = await readExactly(stream, head.size, key);
    const sha = createHash('sha256').update(body).digest();
    checkDigest(sha.toString('hex'), t, key);
    // The sha256 the source records is checked too: a copy never carries a wrong one on.
    const whole = checkWhole(body, sha, head, key);
    const readCheck = t.digest !== undefined ? 'sha256' : whole;
    const r = await destination.put(destKey, body, sha, options);
    return { etag: r.etag, readCheck, how: 'stream' };
  } finally {
    release();
  }
}

function checkWhole(body: Buffer, sha: Buffer, head: ObjectHead, key: string): Transferred['readCheck'] {
  const want = expectedSha256(head);
  if (want !== undefined) {
    if (sha.toString('hex') !== want) throw new SourceMismatchError(`${key}: the bytes read have sha256 ${sha.toString('hex')}, the source records ${want}`);
    return 'sha256';
  }
  if (isMd5Etag(head.etag) && !head.etag!.includes('-')) {
    const md5 = createHash('md5').update(body).digest('hex');
    if (md5 !== head.etag) throw new SourceMismatchError(`${key}: the bytes read have MD5 ${md5}, the source's ETag is ${head.etag}`);
    return 'md5';
  }
  return 'none';
}

async function readExactly(stream: Readable, size: number, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    got += b.length;
    if (got > size) {
      stream.destroy();
      throw new SourceMismatchError(`${key}: the source sent more than the ${size} bytes it lists`);
    }
    chunks.push(b);
  }
  if (got !== size) throw new SourceMismatchError(`${key}: the source sent ${got} of ${size} bytes`);
  return Buffer.concat(chunks, size);
}

async function putParts(stream: Readable, destination: ObjectStore, key: string, destKey: string, head: ObjectHead, options: WriteOptions, given: TransferOptions): Promise<Transferred> {
  // No more than 10,000 parts: larger objects get larger parts (whole MiB).
  const t = { ...given, partSize: Math.max(given.partSize, Math.ceil(head.size / 10_000 / 1048576) * 1048576) };
  const want = expectedSha256(head);
  const whole = want !== undefined || t.digest !== undefined ? createHash('sha256') : undefined;
  const fan = await MultipartFanOut.start([destination], (d) => d, destKey, options, { partsInFlight: t.partsInFlight, onInterrupt: t.onInterrupt });
  const upload = fan.writes[0]!;
  if (upload.error !== undefined) {
    stream.destroy();
    await fan.close();
    throw upload.error;
  }
  try {
    const got = await streamParts(stream, fan, key, head, t, whole);
    if (got !== head.size) throw new SourceMismatchError(`${key}: the source sent ${got} of ${head.size} bytes`);
    await fan.drain();
    if (upload.error !== undefined) throw upload.error;
    if (whole) {
      const sha = whole.digest('hex');
      checkDigest(sha, t, key);
      if (want !== undefined && sha !== want) throw new SourceMismatchError(`${key}: the bytes read have sha256 ${sha}, the source records ${want}`);
    }
    await fan.complete();
    if (upload.error !== undefined) throw upload.error;
    return { etag: upload.completed!.etag, readCheck: whole ? 'sha256' : 'none', how: 'stream' };
  } catch (e) {
    // Aborted once its parts have settled; an abort that fails is what the caller must hear of.
    const [abortFailure] = await fan.close();
    throw abortFailure ? abortFailure.error : e;
  } finally {
    await fan.close();
  }
}

/**
 * Cuts the stream into parts of `t.partSize` and hands each to the fan-out as soon as it is full,
 * each part's buffer paid for from the budget (given back when the part is done), a place among
 * the parts in flight taken before the buffer is. Resolves the bytes the stream sent.
 */
async function streamParts(stream: Readable, fan: MultipartFanOut<ObjectStore>, key: string, head: ObjectHead, t: TransferOptions, whole: Hash | undefined): Promise<number> {
  const upload = fan.writes[0]!;
  let part = 0;
  let got = 0;
  let next: { buf: Buffer; filled: number; place: PartPlace; release: () => void } | undefined;
  try {
    for await (const c of stream) {
      let chunk = c as Buffer;
      while (chunk.length > 0) {
        if (upload.error !== undefined) throw upload.error;
        if (!next) {
          const size = Math.min(t.partSize, head.size - got);
          if (size <= 0) throw new SourceMismatchError(`${key}: the source sent more than the ${head.size} bytes it lists`);
          const place = await fan.reserve();
          next = { place, release: await t.budget.take(size), buf: Buffer.allocUnsafe(size), filled: 0 };
        }
        const n = Math.min(chunk.length, next.buf.length - next.filled);
        chunk.copy(next.buf, next.filled, 0, n);
        next.filled += n;
        got += n;
        chunk = chunk.subarray(n);
        if (next.filled === next.buf.length) {
          whole?.update(next.buf);
          next.place.send(++part, next.buf, createHash('sha256').update(next.buf).digest(), next.release);
          next = undefined;
        }
      }
    }
  } catch (e) {
    next?.place.cancel();
    next?.release();
    stream.destroy();
    throw e;
  }
  return got;
}

/** Streams an object through SHA-256; for comparing by content. */
export async function contentSha256(store: ObjectStore, key: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of await store.get(key)) h.update(c as Buffer);
  return h.digest('hex');
}
