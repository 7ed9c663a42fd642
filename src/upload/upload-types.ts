/**
 * The shapes of the `upload-image` engine: what it is given (files, stores, rules, I/O as
 * functions) and what it reports per file and per store.
 */
import type { ObjectVisibilityDecision, VisibilityRule } from '../acl/visibility';
import type { AnonymousProbe } from '../operations/verify-visibility';
import type { ObjectStore, Visibility } from '../storage/object-store';
import type { SourceFile } from './files';
import type { Requirement } from '../config/requirement';
import type { KeyTemplate } from './plan';

export interface UploadTarget {
  /** Label for results: the store spec's name. */
  readonly name: string;
  readonly store: ObjectStore;
  /** Set when the store failed its preflight with a passing fault: it is reported failed for every file. */
  readonly unavailable?: string;
}

export interface UploadEvents {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** Bytes of `file` written to every active store so far. */
  progress(file: string, done: number, total: number): void;
}

export interface UploadImagesOptions {
  readonly files: readonly SourceFile[];
  readonly targets: readonly UploadTarget[];
  readonly keyTemplate: KeyTemplate;
  readonly rules: readonly VisibilityRule[];
  readonly requirement: Requirement;
  readonly partSize: number;
  /** Parts in flight (and in memory) at once. */
  readonly concurrency: number;
  /** The Content-Type of every object; `undefined`: each file's type by name (`contentTypeByName`). */
  readonly contentType?: string;
  /** The Cache-Control of every object; `undefined`: none. */
  readonly cacheControl?: string;
  readonly dryRun: boolean;
  readonly readChunks: (path: string, size: number, chunkSize: number, take?: () => Buffer) => AsyncIterable<Buffer>;
  /** The file's sha256 (hex) and the SHA-256 of each `partSize` piece, from one read. */
  readonly hashFile: (path: string, size: number, partSize: number) => Promise<FileDigests>;
  readonly probe: AnonymousProbe;
  readonly events: UploadEvents;
  /** Registers work to do if the process is interrupted (abort open uploads); returns an unregister function. */
  readonly onInterrupt?: (cleanup: () => Promise<void>) => () => void;
  /**
   * Open multipart uploads of a key this run writes in parts, initiated before this time, are
   * aborted before writing: a run killed without a chance to clean up (SIGKILL, a lost runner)
   * leaves them, and no one else would ever complete or abort them. Default: when `uploadImages`
   * is called, so an upload another run started earlier for the same key is aborted too (that run
   * then reports the store failed; see the README on concurrent runs).
   */
  readonly staleBefore?: Date;
}

export type StoreOutcome = 'uploaded' | 'skipped' | 'failed' | 'planned';

/** What happened to one file on one store. */
export interface StoreResult {
  readonly store: string;
  outcome: StoreOutcome;
  reason?: string;
  /** What an anonymous HEAD found: `readable`, `denied`, or `n/a` (no public address, dry run). */
  anonymous?: 'readable' | 'denied' | 'n/a' | 'unknown';
  url?: string;
}

export interface FileResult {
  readonly file: string;
  readonly key: string;
  readonly size: number;
  sha256?: string;
  readonly visibility: Visibility;
  /** The rule that decided the visibility, or `no rule matched: private`. */
  readonly rule: string;
  /** What decided: the file's name, the key (or a folder of it), both, or the default (no rule matched the key). */
  readonly decidedBy: ObjectVisibilityDecision['decidedBy'];
  /** The decision in words, naming every match: `private: file name "rhel-9.qcow2" matches rhel* private (rule 1)`. */
  readonly visibilityReason: string;
  readonly parts: number;
  readonly stores: StoreResult[];
  /** True when at least the required number of stores hold the file, verified. */
  ok: boolean;
}

export interface UploadReport {
  readonly files: FileResult[];
  /** Private objects that an anonymous reader could read: always a failure, whatever `require` says. */
  readonly exposed: { store: string; key: string }[];
  readonly ok: boolean;
  readonly bytesUploaded: number;
}

/** What a hashing pass learns: the whole file's sha256 and each part's, for the signed payloads. */
export interface FileDigests {
  readonly sha256: string;
  readonly parts: readonly Buffer[];
}
