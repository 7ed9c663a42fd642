/**
 * The download-image engine: one object from the first store that can serve it, to a local file.
 *
 * Bytes go to `<dest>.part` (resumed when a `<dest>.part.json` record shows it is the start of the
 * same object), are hashed as they are written (after the part's existing prefix), and the file is
 * renamed into place only once its sha256 matches what the object promises: the sha256 in its name,
 * the sha256 recorded with it (`x-amz-meta-sha256`), or one the caller gives. Memory stays bounded:
 * one stream chunk at a time, written before the next is read. A stream that breaks is asked again
 * from the byte where it stopped, and only while the object still has the same ETag.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigurationError, quote } from '../config/configuration-error';
import { StoreError } from '../errors';
import { sha256FromName } from '../storage/content-address';
import type { ObjectHead } from '../storage/object-store';
import { mismatch, partPaths, readRecord, writeRecord } from './part-file';
import { candidates, type DownloadSource, type StoreOrder } from './sources';
import { backoff, withRetry } from '../flow/retry';

/** Where the sha256 the file was checked against came from; `none` when nothing was checked. */
export type Verification = 'input' | 'name' | 'metadata' | 'none';

export interface DownloadEvents {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** `done` of `total` bytes of the file are on disk (prefix included). */
  progress(done: number, total: number): void;
}

export interface DownloadRequest {
  /** The object key, relative to each store's prefix. */
  readonly key: string;
  /** The file to create or replace. */
  readonly dest: string;
  readonly sources: readonly DownloadSource[];
  readonly order: StoreOrder;
  /** A sha256 (64 lower-case hex digits) the file must have, from the caller. */
  readonly sha256?: string;
  /** When true, a store whose object promises no sha256 (and none was given) is not used. */
  readonly requireSha256: boolean;
  /** Further requests after a stream breaks, per store, counted since the last byte received. */
  readonly retries: number;
  readonly events: DownloadEvents;
  /** Waits between retries; replaced in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What happened at one store. */
export interface StoreAttempt {
  readonly store: string;
  readonly outcome: 'served' | 'skipped' | 'failed';
  readonly reason?: string;
}

export interface DownloadResult {
  readonly key: string;
  readonly path: string;
  /** `present`: the file was already there with the right sha256; nothing was downloaded. */
  readonly outcome: 'downloaded' | 'present';
  /** The store that served the file; `undefined` when it was present. */
  readonly store?: string;
  /** The sha256 of the file now in place, as computed from its bytes. */
  readonly sha256: string;
  readonly size: number;
  /** Bytes taken from an earlier partial download instead of the network. */
  readonly resumedFrom: number;
  /** Bytes received over the network in this run. */
  readonly received: number;
  readonly verifiedBy: Verification;
  readonly attempts: readonly StoreAttempt[];
}

/** No store could serve the object. `attempts` says why for each. */
export class DownloadFailedError extends Error {
  override readonly name = 'DownloadFailedError';
  constructor(
    message: string,
    readonly attempts: readonly StoreAttempt[],
  ) {
    super(message);
  }
}

/** The file did not have the sha256 it had to have. */
class DigestMismatch extends Error {}

interface Expected {
  readonly sha256?: string;
  readonly from: Verification;
}

const SHA256 = /^[0-9a-f]{64}$/;

export async function downloadImage(req: DownloadRequest): Promise<DownloadResult> {
  const { key, dest, events } = req;
  const fixed = fixedExpectation(req);
  const attempts: StoreAttempt[] = [];
  const present = new PresentFile(dest);

  // A content-addressed name (or a given sha256) settles it before any store is asked.
  if (fixed.sha256 !== undefined) {
    const here = await present.matches(fixed.sha256);
    if (here) return presentResult(req, here.size, fixed, attempts);
  }

  const skip = (name: string, reason: string) => {
    events.info(`${name}: skipped, ${reason}`);
    attempts.push({ store: name, outcome: 'skipped', reason });
  };
  for await (const { source, head, headMs } of candidates(key, req.sources, req.order, skip)) {
    events.info(`${source.name}: has ${JSON.stringify(key)} (${head.size} bytes, HEAD ${headMs} ms)`);
    const expected = expectationFor(fixed, head, source.name, events);
    if (expected.sha256 === undefined && req.requireSha256) {
      skip(source.name, 'its object records no sha256 and its name holds none; give the input sha256, or set require-sha256 to false to download unverified');
      continue;
    }
    if (expected.sha256 !== undefined && expected.from === 'metadata') {
      const here = await present.matches(expected.sha256, head.size);
      if (here) return presentResult(req, here.size, expected, attempts);
    }
    try {
      const got = await fetchFrom(req, source, head, expected);
      attempts.push({ store: source.name, outcome: 'served' });
      return { key, path: dest, outcome: 'downloaded', store: source.name, ...got, verifiedBy: expected.from, attempts };
    } catch (e) {
      if (!(e instanceof StoreError || e instanceof DigestMismatch)) throw e;
      events.warning(`${source.name}: ${e.message}`);
      attempts.push({ store: source.name, outcome: 'failed', reason: e.message });
    }
  }
  const why = attempts.map((a) => `${a.store}: ${a.reason}`).join('; ');
  throw new DownloadFailedError(`no store could serve ${JSON.stringify(key)}${why ? `: ${why}` : ''}`, attempts);
}

/** The sha256 known before any store is asked: the caller's, else the name's. They must agree. */
function fixedExpectation(req: DownloadRequest): Expected {
  const fromName = sha256FromName(req.key);
  if (req.sha256 !== undefined) {
    if (fromName !== undefined && fromName !== req.sha256) {
      throw new ConfigurationError(`input "sha256": ${quote(req.sha256)} differs from the sha256 in the key's name (${fromName}); give one that matches, or none`);
    }
    return { sha256: req.sha256, from: 'input' };
  }
  return fromName !== undefined ? { sha256: fromName, from: 'name' } : { from: 'none' };
}

/** Adds what the store recorded. A recorded sha256 that contradicts the name or input is reported, never preferred. */
function expectationFor(fixed: Expected, head: ObjectHead, store: string, events: DownloadEvents): Expected {
  const recorded = head.metadata.sha256?.toLowerCase();
  const valid = recorded !== undefined && SHA256.test(recorded) ? recorded : undefined;
  if (recorded !== undefined && valid === undefined) events.warning(`${store}: the recorded sha256 ${quote(recorded)} is not 64 hex digits; ignored`);
  if (fixed.sha256 !== undefined) {
    if (valid !== undefined && valid !== fixed.sha256) {
      events.warning(`${store}: the object records sha256 ${valid}, but the ${fixed.from === 'input' ? 'input' : 'name'} says ${fixed.sha256}; checking against the ${fixed.from === 'input' ? 'input' : 'name'}`);
    }
    return fixed;
  }
  return valid !== undefined ? { sha256: valid, from: 'metadata' } : fixed;
}

function presentResult(req: DownloadRequest, size: number, expected: Expected, attempts: StoreAttempt[]): DownloadResult {
  req.events.info(`${req.dest} is already there with sha256 ${expected.sha256} (from the ${expected.from}): nothing to download`);
  return { key: req.key, path: req.dest, outcome: 'present', sha256: expected.sha256!, size, resumedFrom: 0, received: 0, verifiedBy: expected.from, attempts };
}

/** The destination as it is before the download, hashed at most once. */
class PresentFile {
  private digest?: Promise<{ sha256: string; size: number } | undefined>;

  constructor(private readonly file: string) {}

  /** The file's size when it exists as a regular file with this sha256 (and size, when given). */
  async matches(sha256: string, size?: number): Promise<{ size: number } | undefined> {
    this.digest ??= (async () => {
      let st;
      try {
        st = await fs.stat(this.file);
      } catch {
        return undefined;
      }
      if (!st.isFile()) throw new ConfigurationError(`input "save-to": ${quote(this.file)} exists and is not a file`);
      const h = createHash('sha256');
      await hashRange(this.file, st.size, h);
      return { sha256: h.digest('hex'), size: st.size };
    })();
    const d = await this.digest;
    if (d === undefined || d.sha256 !== sha256 || (size !== undefined && d.size !== size)) return undefined;
    return { size: d.size };
  }
}

/** Feeds the first `length` bytes of `file` to `hash`. */
async function hashRange(file: string, length: number, hash: Hash): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Downloads from one store into `<dest>.part`, verifies and renames into place. Throws
 * `StoreError` or `DigestMismatch` when this store cannot serve (the caller tries the next);
 * anything else (a local disk error) is not the store's fault and ends the download.
 */
async function fetchFrom(
  req: DownloadRequest,
  source: DownloadSource,
  head: ObjectHead,
  expected: Expected,
): Promise<{ sha256: string; size: number; resumedFrom: number; received: number }> {
  const { key, dest, events } = req;
  const paths = partPaths(dest);
  await fs.mkdir(path.dirname(dest), { recursive: true });

  let start = 0;
  const record = await readRecord(paths.record);
  const partSize = await fileSize(paths.part);
  if (record !== undefined && partSize !== undefined) {
    const why = mismatch(record, key, head, expected.sha256) ?? (partSize > head.size ? `it is longer (${partSize} bytes) than the object` : undefined);
    if (why === undefined) start = partSize;
    else events.info(`discarding the partial download ${paths.part}: ${why}`);
  } else if (partSize !== undefined) {
    events.info(`discarding the partial download ${paths.part}: nothing records which object it is the start of`);
  } else if (record !== undefined) {
    events.debug(`${paths.record} has no ${paths.part} beside it; starting from byte 0`);
  }

  for (;;) {
    const resumedFrom = start;
    if (start === 0) await fs.rm(paths.part, { force: true });
    await writeRecord(paths.record, { version: 1, key, size: head.size, etag: head.etag, sha256: expected.sha256, store: source.name });
    if (start > 0) events.info(`resuming from byte ${start} of ${head.size} (${paths.part})`);

    const hash = createHash('sha256');
    await hashRange(paths.part, start, hash);
    const received = await receive(req, source, head, paths.part, start, hash);
    const sha256 = hash.digest('hex');

    if (expected.sha256 !== undefined && sha256 !== expected.sha256) {
      await fs.rm(paths.part, { force: true });
      await fs.rm(paths.record, { force: true });
      if (resumedFrom > 0) {
        // The earlier partial may be what is wrong, not this store: one more time, all from here.
        events.warning(`${source.name}: sha256 ${sha256} after resuming from byte ${resumedFrom}, expected ${expected.sha256}; downloading again from byte 0`);
        start = 0;
        continue;
      }
      throw new DigestMismatch(
        `the content's sha256 is ${sha256}, but the ${expected.from} says ${expected.sha256}: refused, the partial download was deleted`,
      );
    }
    await fs.rename(paths.part, dest);
    await syncDirectory(path.dirname(dest));
    await fs.rm(paths.record, { force: true });
    events.info(
      expected.sha256 !== undefined
        ? `${dest}: ${head.size} bytes from ${source.name}, sha256 ${sha256} verified (expected from the ${expected.from})`
        : `${dest}: ${head.size} bytes from ${source.name}, sha256 ${sha256} NOT verified (nothing to check it against)`,
    );
    return { sha256, size: head.size, resumedFrom, received };
  }
}

/**
 * Streams the object from byte `start` into `file`, feeding `hash`, until it holds `head.size`
 * bytes; fsyncs it. A broken stream is asked again from where it stopped, while the object keeps
 * its ETag, up to `retries` times in a row without a byte received. Resolves the bytes received.
 */
async function receive(req: DownloadRequest, source: DownloadSource, head: ObjectHead, file: string, start: number, hash: Hash): Promise<number> {
  const handle = await fs.open(file, start > 0 ? 'r+' : 'w');
  let offset = start;
  let before = offset;
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  /** One request from `offset`, written to the file as it comes; throws when the stream ends short. */
  const once = async () => {
    before = offset;
    const stream = await source.store.get(req.key, { start: offset, ifMatch: head.etag });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (offset + chunk.length > head.size) {
          throw new StoreError('changed', `${source.name}: more than the ${head.size} bytes HEAD announced arrived; the object changed`);
        }
        // Written at its place, so a retry after a partial write never duplicates bytes.
        await handle.write(chunk, 0, chunk.length, offset);
        hash.update(chunk);
        offset += chunk.length;
        req.events.progress(offset, head.size);
      }
    } finally {
      stream.destroy();
    }
    if (offset < head.size) throw new StoreError('unavailable', `the stream ended at byte ${offset} of ${head.size}`);
  };
  try {
    req.events.progress(offset, head.size);
    if (offset < head.size) {
      // The wire retries each request; what it cannot do is resume a body that broke mid-way.
      await withRetry(once, {
        retries: req.retries,
        retryable,
        delayMs: backoff(500, 8000),
        progressed: () => offset > before,
        onRetry: (e, failure, wait) =>
          req.events.warning(`${source.name}: the download broke at byte ${offset} of ${head.size} (${message(e)}); resuming from there in ${wait} ms (retry ${failure} of ${req.retries})`),
        exhausted: (e) => new StoreError('unavailable', `the download broke at byte ${offset} of ${head.size} and did not recover after ${req.retries} retries: ${message(e)}`),
        sleep: req.sleep,
      });
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return offset - start;
}

/**
 * Faults worth asking again: the store's passing ones, and a body that broke in transit (socket
 * errors are plain errors from the stream). A disk error is not: it is raised with a syscall.
 */
function retryable(e: unknown): boolean {
  if (e instanceof StoreError) return e.kind === 'unavailable' || e.kind === 'unknown';
  const syscall = (e as NodeJS.ErrnoException | undefined)?.syscall;
  return e instanceof Error && (syscall === undefined || syscall === 'read' || syscall === 'connect');
}

/** Makes a rename durable: the directory entry itself is flushed. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}
