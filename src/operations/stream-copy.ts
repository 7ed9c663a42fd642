/**
 * A streamed copy: one GET of the source feeding one store or several at once (a mirror to several
 * destinations reads each object once), never staged on disk, with memory held to a shared budget.
 * A whole object is read into one buffer and PUT to each store; a larger one is cut into parts that
 * the multipart fan-out writer sends to every store still going. Every body is signed with its
 * SHA-256, so a store refuses bytes that differ from what was read, and what was read is checked
 * against the source's recorded sha256 or plain MD5 ETag when it has one.
 *
 * A fault of the source (a short read, bytes that do not match) fails the copy to every store; a
 * fault of one store fails that store only.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ByteBudget } from '../flow/byte-budget';
import { isMd5Etag } from '../storage/etag';
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

/** The source object's size is no longer the one its listing gave. */
export function changedSince(key: string, listed: number, now: number): SourceMismatchError {
  return new SourceMismatchError(`${key}: changed in the source while mirroring (${listed} -> ${now} bytes); the next run copies it`);
}

/** The source object's ETag is no longer the one its listing gave. */
export function rewrittenSince(key: string, listed: string, now: string | undefined): SourceMismatchError {
  return new SourceMismatchError(`${key}: rewritten in the source since it was listed (ETag ${listed} -> ${now ?? 'none'}); the next run copies it`);
}

/** The source's content does not hash to the digest its key names: the source object is corrupt. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
}

/**
 * The visibility a copy gets: a fixed one, or one decided from the source's HEAD before anything is
 * written (the place to make a copy of an object that was written private private too). A decider
 * that throws stops the copy with nothing written.
 */
export type CopyVisibility = Visibility | ((head: ObjectHead) => Promise<Visibility>);

/** One store's outcome of a streamed copy: what it holds now, or why it got nothing. */
export type StreamOutcome = { readonly ok: true; readonly done: Transferred } | { readonly ok: false; readonly error: unknown };

export interface Streamed {
  /** The source's HEAD, as its GET answered. */
  readonly head: ObjectHead;
  readonly visibility: Visibility;
  /** One outcome a store, in the order given. */
  readonly outcomes: readonly StreamOutcome[];
}

/**
 * Copies `key` of `source` to `destKey` of every store of `destinations` from one GET (whose answer
 * carries the headers and metadata to carry over). `expectedSize` is the size the listing gave: an
 * object that changed since is not copied (the next run copies it whole). `admit(i, visibility)`,
 * once the visibility is known, may refuse store `i` (by throwing) before anything is written to
 * it. Throws for a fault of the source, which no store got; a store's own fault is its outcome.
 */
export async function streamCopy(
  source: ObjectStore,
  destinations: readonly ObjectStore[],
  key: string,
  destKey: string,
  decide: CopyVisibility,
  expectedSize: number,
  t: TransferOptions,
  admit?: (index: number, visibility: Visibility) => Promise<void>,
): Promise<Streamed> {
  const { head, body } = await source.read(key);
  if (head.size !== expectedSize || (t.expectEtag !== undefined && head.etag !== t.expectEtag)) {
    body.destroy();
    throw head.size !== expectedSize ? changedSince(key, expectedSize, head.size) : rewrittenSince(key, t.expectEtag!, head.etag);
  }
  const outcomes: (StreamOutcome | undefined)[] = destinations.map(() => undefined);
  let visibility: Visibility;
  try {
    visibility = typeof decide === 'function' ? await decide(head) : decide;
    await Promise.all(destinations.map(async (_, i) => admit?.(i, visibility).catch((error: unknown) => void (outcomes[i] = { ok: false, error }))));
  } catch (e) {
    body.destroy();
    throw e;
  }
  const live = destinations.flatMap((store, i) => (outcomes[i] === undefined ? [{ store, i }] : []));
  if (live.length === 0) {
    body.destroy();
    return { head, visibility, outcomes: outcomes as StreamOutcome[] };
  }
  const options = writeOptionsFrom(head, visibility);
  const stores = live.map((l) => l.store);
  const got = head.size <= t.partSize ? await putWhole(body, stores, key, destKey, head, options, t) : await putParts(body, stores, key, destKey, head, options, t);
  live.forEach((l, n) => (outcomes[l.i] = got[n]!));
  return { head, visibility, outcomes: outcomes as StreamOutcome[] };
}

function checkDigest(got: string, t: TransferOptions, key: string): void {
  if (t.digest !== undefined && got !== t.digest) throw new DigestMismatchError(`${key}: the content has sha256 ${got}, the key names ${t.digest}`);
}

function expectedSha256(head: ObjectHead): string | undefined {
  const v = head.metadata.sha256;
  return v !== undefined && /^[0-9a-f]{64}$/.test(v) ? v : undefined;
}

async function putWhole(stream: Readable, stores: readonly ObjectStore[], key: string, destKey: string, head: ObjectHead, options: WriteOptions, t: TransferOptions): Promise<StreamOutcome[]> {
  const release = await t.budget.take(head.size);
  try {
    const body = await readExactly(stream, head.size, key);
    const sha = createHash('sha256').update(body).digest();
    checkDigest(sha.toString('hex'), t, key);
    // The sha256 the source records is checked too: a copy never carries a wrong one on.
    const whole = checkWhole(body, sha, head, key);
    const readCheck = t.digest !== undefined ? 'sha256' : whole;
    return await Promise.all(
      stores.map(async (store): Promise<StreamOutcome> => {
        try {
          const r = await store.put(destKey, body, sha, options);
          return { ok: true, done: { etag: r.etag, readCheck, how: 'stream' } };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
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

/** Thrown inside the part loop once no store is still going: the stores' own errors say why. */
class NoStoreLeft extends Error {}

async function putParts(stream: Readable, stores: readonly ObjectStore[], key: string, destKey: string, head: ObjectHead, options: WriteOptions, given: TransferOptions): Promise<StreamOutcome[]> {
  // No more than 10,000 parts: larger objects get larger parts (whole MiB).
  const t = { ...given, partSize: Math.max(given.partSize, Math.ceil(head.size / 10_000 / 1048576) * 1048576) };
  const want = expectedSha256(head);
  const whole = want !== undefined || t.digest !== undefined ? createHash('sha256') : undefined;
  const fan = await MultipartFanOut.start(stores, (d) => d, destKey, options, { partsInFlight: t.partsInFlight, onInterrupt: t.onInterrupt });
  const outcomes = () => fan.writes.map((w): StreamOutcome => (w.completed ? { ok: true, done: { etag: w.completed.etag, readCheck: whole ? 'sha256' : 'none', how: 'stream' } } : { ok: false, error: w.error }));
  try {
    if (!fan.live) {
      // No store started an upload: nothing to abort, but the interrupt handler goes all the same.
      stream.destroy();
      await fan.close();
      return outcomes();
    }
    const got = await streamParts(stream, fan, key, head, t, whole);
    if (got !== head.size) throw new SourceMismatchError(`${key}: the source sent ${got} of ${head.size} bytes`);
    await fan.drain();
    if (whole) {
      const sha = whole.digest('hex');
      checkDigest(sha, t, key);
      if (want !== undefined && sha !== want) throw new SourceMismatchError(`${key}: the bytes read have sha256 ${sha}, the source records ${want}`);
    }
    await fan.complete();
  } catch (e) {
    if (!(e instanceof NoStoreLeft)) {
      // A fault of the source: every upload is aborted once its parts have settled; an abort that
      // fails is what the caller must hear of.
      const [abortFailure] = await fan.close();
      throw abortFailure ? abortFailure.error : e;
    }
  }
  // Each store not completed is aborted; one whose abort fails has that as its outcome.
  for (const f of await fan.close()) {
    const w = fan.writes.find((x) => x.target === f.target);
    if (w) w.error = f.error;
  }
  return outcomes();
}

/**
 * Cuts the stream into parts of `t.partSize` and hands each to the fan-out as soon as it is full,
 * each part's buffer paid for from the budget (given back when the part is done), a place among
 * the parts in flight taken before the buffer is. Resolves the bytes the stream sent; throws
 * `NoStoreLeft` once every store failed.
 */
async function streamParts(stream: Readable, fan: MultipartFanOut<ObjectStore>, key: string, head: ObjectHead, t: TransferOptions, whole: Hash | undefined): Promise<number> {
  let part = 0;
  let got = 0;
  let next: { buf: Buffer; filled: number; place: PartPlace; release: () => void } | undefined;
  try {
    for await (const c of stream) {
      let chunk = c as Buffer;
      while (chunk.length > 0) {
        if (!fan.live) throw new NoStoreLeft();
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
