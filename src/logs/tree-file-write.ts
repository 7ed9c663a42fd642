/**
 * One file of a logs tree to every store: read whole into one buffer, redacted and written with
 * one PUT when small; streamed through multipart parts (the fan-out writer), redacted on the way,
 * when large. Every buffer is paid for from the run's {@link ByteBudget}.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { ByteBudget } from '../flow/byte-budget';
import { MultipartFanOut } from '../operations/multipart-fan-out';
import type { Visibility, WriteOptions } from '../storage/object-store';
import { chooseContent, isGzip, SNIFF_BYTES, type ContentChoice } from './content-type';
import type { RedactionMode, Redactor } from './redact';
import type { FileReport, ScanState, TreeTarget } from './tree-types';

const gunzip = promisify(zlib.gunzip);
const gzip = promisify(zlib.gzip);
const read = promisify(fs.read);
const MIB = 1024 * 1024;
/**
 * Files up to this size are opened, read and closed synchronously. From the page cache that takes
 * microseconds, while the four thread-pool round trips and promises of `fs/promises` cost more CPU
 * than the read itself: with thousands of small logs, that is a good part of the client's time.
 */
const SYNC_READ_MAX = 256 * 1024;

/** What every file of one tree upload shares. */
export interface FileWriteContext {
  readonly targets: readonly TreeTarget[];
  readonly visibility: Visibility;
  readonly redactor?: Redactor;
  readonly budget: ByteBudget;
  readonly partSize: number;
  readonly onInterrupt?: (cleanup: () => Promise<void>) => () => void;
}

/** A file that could not be read as it was walked: gone, or shorter than when it was opened. */
export class VanishedError extends Error {}

function writeOptions(c: FileWriteContext, choice: ContentChoice): WriteOptions {
  return { contentType: choice.contentType, contentEncoding: choice.contentEncoding, visibility: c.visibility };
}

/** One buffer, one PUT per store. Resolves the bytes written, summed over stores. */
export async function putSmall(c: FileWriteContext, fd: number, size: number, key: string, report: FileReport): Promise<number> {
  // Any file that starts as gzip does, whatever its name, is unpacked to be redacted inside.
  const magic = Buffer.alloc(2);
  const gz = c.redactor?.active === true && fs.readSync(fd, magic, 0, 2, 0) === 2 && isGzip(magic);
  const release = await c.budget.take(size + (gz ? GZ_INFLATE_MAX : 0));
  try {
    const data = size <= SYNC_READ_MAX ? readExactlySync(fd, size) : await readExactly(fd, size, 0);
    const choice = chooseContent(report.rel, data.subarray(0, SNIFF_BYTES));
    const { body, count, scan } = await redactWhole(data, choice, c.redactor);
    Object.assign(report, { size: body.length, contentType: choice.contentType, contentEncoding: choice.contentEncoding, redactions: count, scan });
    const sha256 = createHash('sha256').update(body).digest();
    const options = writeOptions(c, choice);
    const results = await Promise.allSettled(c.targets.map((t) => t.store.put(key, body, sha256, options)));
    return settle(c, report, results, body.length);
  } finally {
    release();
  }
}

/** Parts of `partSize`, each to every store that is still going, one part at a time. */
export async function putLarge(c: FileWriteContext, fd: number, size: number, key: string, report: FileReport): Promise<number> {
  // The chunk read, the parts pending (under two parts) and their concatenation.
  const release = await c.budget.take(4 * c.partSize + (c.redactor?.longest ?? 0));
  let fan: MultipartFanOut<TreeTarget> | undefined;
  try {
    const parts = new PendingParts(c.partSize);
    let offset = 0;
    let stream: ReturnType<Redactor['stream']> | undefined;
    while (offset < size) {
      const chunk = await readExactly(fd, Math.min(c.partSize, size - offset), offset);
      if (offset === 0) {
        const choice = chooseContent(report.rel, chunk.subarray(0, SNIFF_BYTES));
        // Too large to unpack in memory: gzip content is redacted only as raw bytes.
        const gz = isGzip(chunk);
        const scan: ScanState = !c.redactor?.active ? 'off' : gz ? 'unscanned-compressed' : 'redacted';
        if (scan !== 'off') stream = c.redactor!.stream(gz ? 'bytes' : modeOf(choice));
        Object.assign(report, { contentType: choice.contentType, contentEncoding: choice.contentEncoding, scan });
        fan = await MultipartFanOut.start(c.targets, (t) => t.store, key, writeOptions(c, choice), { partsInFlight: 1, onInterrupt: c.onInterrupt });
      }
      offset += chunk.length;
      parts.push(stream ? stream.push(chunk) : chunk);
      await parts.flush(fan!, false);
      if (!fan!.live) break;
    }
    if (stream) {
      parts.push(stream.end());
      report.redactions = stream.count;
    }
    await parts.flush(fan!, true);
    report.size = parts.written;
    await fan!.complete();
    return settle(
      c,
      report,
      fan!.writes.map((w) => (w.error === undefined ? { status: 'fulfilled', value: undefined } : { status: 'rejected', reason: w.error })),
      parts.written,
    );
  } finally {
    // Anything not completed is aborted, so no part is left behind (and billed) on any store.
    await fan?.close();
    release();
  }
}

/** Redacted bytes waiting to make up a part; each part is sent, and settled, before the next is read. */
class PendingParts {
  private pending: Buffer[] = [];
  private bytes = 0;
  private partNumber = 0;
  /** Bytes sent in parts so far. */
  written = 0;

  constructor(private readonly partSize: number) {}

  push(b: Buffer): void {
    this.pending.push(b);
    this.bytes += b.length;
  }

  /** Sends what is pending as one part once it reaches the part size, or whatever there is when `last`. */
  async flush(fan: MultipartFanOut<TreeTarget>, last: boolean): Promise<void> {
    if (this.bytes === 0 || (!last && this.bytes < this.partSize)) return;
    const body = Buffer.concat(this.pending, this.bytes);
    this.pending = [];
    this.bytes = 0;
    await fan.send(++this.partNumber, body, createHash('sha256').update(body).digest());
    await fan.drain();
    this.written += body.length;
  }
}

/** Records per-store results; resolves the bytes written, summed over the stores that took them. */
function settle(c: FileWriteContext, report: FileReport, results: readonly PromiseSettledResult<unknown>[], size: number): number {
  const failures: string[] = [];
  results.forEach((r, i) => {
    const name = c.targets[i]!.name;
    if (r.status === 'fulfilled') report.stores.push(name);
    else failures.push(`${name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
  });
  if (failures.length > 0) {
    report.outcome = 'failed';
    report.reason = failures.join('; ');
  }
  return size * report.stores.length;
}

/** Inflated size up to which a small `.gz` text file is unpacked to be redacted. */
export const GZ_INFLATE_MAX = 64 * MIB;

/**
 * Text loses each secret to `***`; anything else keeps its length (a secret's bytes become `*`
 * each), so that an archive or an image stays readable around the redacted stretch.
 */
function modeOf(choice: ContentChoice): RedactionMode {
  return choice.text ? 'text' : 'bytes';
}

/**
 * Redacts a whole small file, whatever its content: gzip content unpacked, redacted and packed
 * again when something was found; anything else as it is.
 */
async function redactWhole(data: Buffer, choice: ContentChoice, redactor: Redactor | undefined): Promise<{ body: Buffer; count: number; scan: ScanState }> {
  if (redactor === undefined || !redactor.active) return { body: data, count: 0, scan: 'off' };
  if (!isGzip(data)) return { ...redactor.redact(data, modeOf(choice)), scan: 'redacted' };
  let inflated: Buffer | undefined;
  try {
    inflated = await gunzip(data, { maxOutputLength: GZ_INFLATE_MAX });
  } catch {
    // Too large to unpack here, or not whole: its raw bytes are still redacted, and it is reported.
  }
  if (inflated === undefined) return { ...redactor.redact(data, 'bytes'), scan: 'unscanned-compressed' };
  const r = redactor.redact(inflated, modeOf(choice));
  // The raw bytes too: a secret could sit in a gzip header's name or comment field.
  const raw = redactor.redact(r.count === 0 ? data : await gzip(r.body), 'bytes');
  return { body: raw.body, count: r.count + raw.count, scan: 'redacted' };
}

/** Reads exactly `length` bytes at `position`, or throws {@link VanishedError} when the file is shorter now. */
async function readExactly(fd: number, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await read(fd, buf, filled, length - filled, position + filled);
    if (bytesRead === 0) throw shrank(position + filled, position + length);
    filled += bytesRead;
  }
  return buf;
}

/** {@link readExactly} for a small file from the start, without leaving the thread. */
function readExactlySync(fd: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const bytesRead = fs.readSync(fd, buf, filled, length - filled, filled);
    if (bytesRead === 0) throw shrank(filled, length);
    filled += bytesRead;
  }
  return buf;
}

function shrank(at: number, of: number): VanishedError {
  return new VanishedError(`it shrank while it was read (${at} of ${of} bytes)`);
}

