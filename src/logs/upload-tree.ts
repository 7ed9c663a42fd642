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
import type { ObjectStore, Visibility, WriteOptions } from '../storage/object-store';
import { ByteBudget } from '../flow/byte-budget';
import { forEachLimit } from '../flow/pool';
import type { Redactor } from './redact';
import { putLarge, putSmall, VanishedError, type FileWriteContext } from './tree-file-write';
import type { FileReport, TreeReport, TreeTarget } from './tree-types';
import type { LogFile } from './walk';

export type { FileReport, ScanState, TreeReport, TreeTarget } from './tree-types';
export { GZ_INFLATE_MAX } from './tree-file-write';

const MIB = 1024 * 1024;

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

/** Uploads every file to every target. Never throws for one file's failure: it is in the report. */
export async function uploadTree(o: UploadTreeOptions): Promise<TreeReport> {
  const c: FileWriteContext & { singlePutMax: number } = {
    targets: o.targets,
    visibility: o.visibility,
    redactor: o.redactor,
    budget: new ByteBudget(o.memoryBytes ?? 256 * MIB),
    partSize: o.partSize ?? 8 * MIB,
    singlePutMax: o.singlePutMax ?? 8 * MIB,
    onInterrupt: o.onInterrupt,
  };
  const reports: FileReport[] = new Array(o.files.length);
  let bytes = 0;
  await forEachLimit(o.files, Math.min(o.concurrency, o.files.length), async (file, i) => {
    const r = await uploadOne(c, o.prefix + file.rel, file, (n) => (bytes += n));
    reports[i] = r;
    o.debug?.(`${file.rel}: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`);
    o.onFileDone?.(file.size);
  });
  return { files: reports, bytes, redactions: reports.reduce((n, r) => n + r.redactions, 0) };
}

/** One file to every store; `count` is told the bytes written, summed over stores. */
async function uploadOne(c: FileWriteContext & { singlePutMax: number }, key: string, file: LogFile, count: (bytes: number) => void): Promise<FileReport> {
  const report: FileReport = { rel: file.rel, sourceSize: file.size, redactions: 0, outcome: 'uploaded', stores: [] };
  const tooLong = c.targets.find((t) => Buffer.byteLength(t.store.locate(key)?.key ?? key) > 1024);
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
    count(size <= c.singlePutMax ? await putSmall(c, fd, size, key, report) : await putLarge(c, fd, size, key, report));
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

function fail(report: FileReport, reason: string): FileReport {
  return Object.assign(report, { outcome: 'failed' as const, reason });
}

function vanish(report: FileReport, reason: string): FileReport {
  return Object.assign(report, { outcome: 'vanished' as const, reason });
}
