/**
 * The shapes of the `upload-logs` tree upload: the stores written to, and what became of each file.
 */
import type { ObjectStore } from '../storage/object-store';

/** One store written to, by the name the results use. */
export interface TreeTarget {
  readonly name: string;
  readonly store: ObjectStore;
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
