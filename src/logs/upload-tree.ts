/**
 * The `upload-logs` engine: many files, mostly small, to one or more stores under one prefix.
 *
 * `concurrency` files are in flight at once, each sent to every store at the same time, so each
 * store has at most `concurrency` requests open. Small files (the usual case) are read whole into
 * one buffer, redacted, and written with one PUT; large ones stream through multipart parts,
 * redacted on the way.
 *
 * Every file is redacted, whatever its name or content: what looks binary (a serial console log
 * with a NUL byte, a file of an unknown kind) is redacted byte for byte, keeping its length, so
 * nothing is exempt because of a guess about its content. gzip content is unpacked and redacted
 * inside (then packed again, only when something was found) when it is small enough to unpack in
 * memory; otherwise only its raw bytes are, and the file is reported `unscanned-compressed`.
 * The cost was measured before deciding (a loaded 2-core machine): about 30 us of CPU per 4 KiB
 * file with one secret (a few per cent of what uploading a small file costs), and 20 to 35 MB/s of
 * large content with nine secrets (about 70 forms, one native search each). Logs are mostly small
 * files, and a large binary in a logs tree is rare; leaking a secret from one is worse than a
 * slower upload of it, so no type is exempt. Every buffer is paid for from a {@link ByteBudget}, so
 * memory stays bounded whatever the tree holds. A file that vanishes, shrinks or fails on a store
 * is reported and the rest go on; passing faults are retried per object.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { MultipartWrite, ObjectStore, Visibility, WriteOptions } from '../storage/object-store';
import { ByteBudget } from '../flow/byte-budget';
import { chooseContent, isGzip, SNIFF_BYTES, type ContentChoice } from './content-type';
import type { RedactionMode, Redactor } from './redact';
import type { LogFile } from './walk';

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

/** One store written to, by the name the results use. */
export interface TreeTarget {
  readonly name: string;
  readonly store: ObjectStore;
}

export interface UploadTreeOptions {
  readonly files: readonly LogFile[];
  /** The run's prefix relative to each store's own, ending in `/`. */
  readonly prefix: string;
  readonly targets: readonly TreeTarget[];
  readonly visibility: Visibility;
  /** Files in flight at once (each to every store). */
  readonly concurrency: number;
  /** Redacts every file when given and active. */
  readonly redactor?: Redactor;
  /** Bytes of file content held in memory at most (default 256 MiB). */
  readonly memoryBytes?: number;
  /** Files up to this size go in one PUT (default 8 MiB); larger ones in parts. */
  readonly singlePutMax?: number;
  /** Part size for large files (default 8 MiB; S3 needs at least 5 MiB). */
  readonly partSize?: number;
  /** Called once per file, whatever its outcome, with its size when walked. */
  readonly onFileDone?: (size: number) => void;
  readonly debug?: (message: string) => void;
  /** Registers work to do if the process is interrupted; returns an unregister function. */
  readonly onInterrupt?: (cleanup: () => Promise<void>) => () => void;
}

/**
 * How far a file's content was checked for secrets: `redacted` (every byte, and inside gzip),
 * `off` (redaction off, or no secret known), `unscanned-compressed` (gzip content too large to
 * unpack here, or not whole: only its raw bytes were redacted).
 */
export type ScanState = 'redacted' | 'off' | 'unscanned-compressed';

/** What became of one file. */
export interface FileReport {
  readonly rel: string;
  /** Size when the directory was walked. */
  readonly sourceSize: number;
  /** Size of the uploaded copy (after redaction). */
  size?: number;
  contentType?: string;
  contentEncoding?: string;
  redactions: number;
  scan?: ScanState;
  /** `uploaded` to every store, `failed` on at least one, or `vanished` before it could be read. */
  outcome: 'uploaded' | 'failed' | 'vanished';
  reason?: string;
  /** Names of the stores that hold it. */
  readonly stores: string[];
}

export interface TreeReport {
  readonly files: readonly FileReport[];
  /** Bytes written, summed over stores. */
  readonly bytes: number;
  readonly redactions: number;
}

/** A file that could not be read as it was walked: gone, or shorter than when it was opened. */
class VanishedError extends Error {}

/** Uploads every file to every target. Never throws for one file's failure: it is in the report. */
export async function uploadTree(o: UploadTreeOptions): Promise<TreeReport> {
  const budget = new ByteBudget(o.memoryBytes ?? 256 * MIB);
  const singlePutMax = o.singlePutMax ?? 8 * MIB;
  const partSize = o.partSize ?? 8 * MIB;
  const open = new Set<MultipartWrite>();
  const unregister = o.onInterrupt?.(async () => {
    await Promise.allSettled([...open].map((m) => m.abort()));
  });
  const reports: FileReport[] = new Array(o.files.length);
  let bytes = 0;
  let next = 0;

  const uploadOne = async (file: LogFile): Promise<FileReport> => {
    const report: FileReport = { rel: file.rel, sourceSize: file.size, redactions: 0, outcome: 'uploaded', stores: [] };
    const key = o.prefix + file.rel;
    const tooLong = o.targets.find((t) => Buffer.byteLength(t.store.locate(key)?.key ?? key) > 1024);
    if (tooLong) return fail(report, `its key is longer than 1,024 bytes on ${tooLong.name}`);
    let fd: number;
    try {
      // O_NONBLOCK: should a pipe have taken the file's place since the walk, opening it must not
      // hang the process waiting for a writer. It changes nothing for a regular file.
      fd = fs.openSync(file.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return vanish(report, 'it vanished before it could be read');
      return fail(report, `it could not be opened: ${code ?? String(e)}`);
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return fail(report, 'it is no longer a regular file');
      const size = st.size;
      const written = size <= singlePutMax ? await putSmall(fd, size, key, report) : await putLarge(fd, size, key, report);
      bytes += written;
    } catch (e) {
      if (e instanceof VanishedError) return vanish(report, e.message);
      return fail(report, e instanceof Error ? e.message : String(e));
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // Closing a file that was only read cannot lose anything.
      }
    }
    return report;
  };

  const writeOptions = (choice: ContentChoice): WriteOptions => ({
    contentType: choice.contentType,
    contentEncoding: choice.contentEncoding,
    visibility: o.visibility,
  });

  /** One buffer, one PUT per store. Resolves the bytes written, summed over stores. */
  const putSmall = async (fd: number, size: number, key: string, report: FileReport): Promise<number> => {
    // Any file that starts as gzip does, whatever its name, is unpacked to be redacted inside.
    const magic = Buffer.alloc(2);
    const gz = o.redactor?.active === true && fs.readSync(fd, magic, 0, 2, 0) === 2 && isGzip(magic);
    const release = await budget.take(size + (gz ? GZ_INFLATE_MAX : 0));
    try {
      const data = size <= SYNC_READ_MAX ? readExactlySync(fd, size) : await readExactly(fd, size, 0);
      const choice = chooseContent(report.rel, data.subarray(0, SNIFF_BYTES));
      const { body, count, scan } = await redactWhole(data, choice, o.redactor);
      Object.assign(report, { size: body.length, contentType: choice.contentType, contentEncoding: choice.contentEncoding, redactions: count, scan });
      const sha256 = createHash('sha256').update(body).digest();
      const options = writeOptions(choice);
      const results = await Promise.allSettled(o.targets.map((t) => t.store.put(key, body, sha256, options)));
      return settle(report, results, body.length);
    } finally {
      release();
    }
  };

  /** Parts of `partSize`, each to every store that is still going. */
  const putLarge = async (fd: number, size: number, key: string, report: FileReport): Promise<number> => {
    // The chunk read, the parts pending (under two parts) and their concatenation.
    const release = await budget.take(4 * partSize + (o.redactor?.longest ?? 0));
    const writes: { target: TreeTarget; write?: MultipartWrite; error?: unknown; done?: boolean }[] = o.targets.map((target) => ({ target }));
    try {
      let offset = 0;
      let partNumber = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let written = 0;
      let stream: ReturnType<Redactor['stream']> | undefined;
      const flush = async (last: boolean) => {
        if (pendingBytes === 0 || (!last && pendingBytes < partSize)) return;
        const body = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        partNumber++;
        const n = partNumber;
        const sha256 = createHash('sha256').update(body).digest();
        await Promise.all(
          writes.map(async (w) => {
            if (w.error !== undefined || w.write === undefined) return;
            try {
              await w.write!.writePart(n, body, sha256);
            } catch (e) {
              w.error = e;
            }
          }),
        );
        written += body.length;
      };
      while (offset < size) {
        const chunk = await readExactly(fd, Math.min(partSize, size - offset), offset);
        if (offset === 0) {
          const choice = chooseContent(report.rel, chunk.subarray(0, SNIFF_BYTES));
          // Too large to unpack in memory: gzip content is redacted only as raw bytes.
          const gz = isGzip(chunk);
          const scan: ScanState = !o.redactor?.active ? 'off' : gz ? 'unscanned-compressed' : 'redacted';
          if (scan !== 'off') stream = o.redactor!.stream(gz ? 'bytes' : modeOf(choice));
          Object.assign(report, { contentType: choice.contentType, contentEncoding: choice.contentEncoding, scan });
          const options = writeOptions(choice);
          await Promise.all(
            writes.map(async (w) => {
              try {
                w.write = await w.target.store.startMultipart(key, options);
                open.add(w.write);
              } catch (e) {
                w.error = e;
              }
            }),
          );
        }
        offset += chunk.length;
        const out = stream ? stream.push(chunk) : chunk;
        pending.push(out);
        pendingBytes += out.length;
        await flush(false);
        if (writes.every((w) => w.error !== undefined)) break;
      }
      if (stream) {
        const tail = stream.end();
        pending.push(tail);
        pendingBytes += tail.length;
        report.redactions = stream.count;
      }
      await flush(true);
      report.size = written;
      await Promise.all(
        writes.map(async (w) => {
          if (w.error !== undefined || w.write === undefined) return;
          try {
            await w.write!.complete();
            w.done = true;
          } catch (e) {
            w.error = e;
          }
        }),
      );
      return settle(
        report,
        writes.map((w) => (w.error === undefined ? { status: 'fulfilled', value: undefined } : { status: 'rejected', reason: w.error })),
        written,
      );
    } finally {
      // Anything not completed is aborted, so no part is left behind (and billed) on any store.
      await Promise.allSettled(
        writes.map(async (w) => {
          if (w.write === undefined) return;
          open.delete(w.write);
          if (!w.done) await w.write.abort();
        }),
      );
      release();
    }
  };

  /** Records per-store results; resolves the bytes written, summed over the stores that took them. */
  const settle = (report: FileReport, results: readonly PromiseSettledResult<unknown>[], size: number): number => {
    const failures: string[] = [];
    results.forEach((r, i) => {
      const name = o.targets[i]!.name;
      if (r.status === 'fulfilled') report.stores.push(name);
      else failures.push(`${name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    });
    if (failures.length > 0) {
      report.outcome = 'failed';
      report.reason = failures.join('; ');
    }
    return size * report.stores.length;
  };

  const worker = async () => {
    while (next < o.files.length) {
      const i = next++;
      const file = o.files[i]!;
      const r = await uploadOne(file);
      reports[i] = r;
      o.debug?.(`${file.rel}: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`);
      o.onFileDone?.(file.size);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.files.length)) }, worker));
  } finally {
    unregister?.();
  }
  return { files: reports, bytes, redactions: reports.reduce((n, r) => n + r.redactions, 0) };
}

/**
 * Writes one generated object (the index page) to one store. Passing faults are retried where
 * every request is, in the wire (the SDK's attempts, or the lean path's same count): an engine
 * loop on top would multiply them.
 */
export async function putObject(store: ObjectStore, key: string, body: Buffer, options: WriteOptions): Promise<void> {
  const sha256 = createHash('sha256').update(body).digest();
  await store.put(key, body, sha256, options);
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

function fail(report: FileReport, reason: string): FileReport {
  return Object.assign(report, { outcome: 'failed' as const, reason });
}

function vanish(report: FileReport, reason: string): FileReport {
  return Object.assign(report, { outcome: 'vanished' as const, reason });
}

