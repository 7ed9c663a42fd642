/**
 * The shapes of the mirror engine: what it is given and what it reports.
 */
import type { VisibilityRule } from '../acl/visibility';
import type { AnonymousProbe } from '../operations/verify-visibility';
import type { Transferred } from '../operations/stream-copy';
import type { DigestRule } from '../storage/digest-in-key';
import type { KeyRange } from '../storage/key-range';
import type { ObjectStore } from '../storage/object-store';
import type { CompareMethod } from './compare';
import type { DigestCounts } from './digest-verify';
import type { ManifestReader, ManifestWriter } from './manifest';
import type { PhasesReport, Publication } from './phases';

export type MirrorMode = 'copy' | 'sync' | 'check';

/** rclone-check marks: same, only in source, only in destination, differ, error; and `#`: corrupt in the source (its content does not match the digest its key names). */
export type Mark = '=' | '+' | '-' | '*' | '!' | '#';

export interface MirrorEvents {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** One line of the report: what was found (and done) for a key. */
  line(mark: Mark, key: string, detail: string): void;
  /** Called after each pair; for progress lines. */
  progress?(report: MirrorReport): void;
}

export interface MirrorOptions {
  readonly source: ObjectStore;
  readonly destination: ObjectStore;
  readonly mode: MirrorMode;
  readonly dryRun: boolean;
  /** Which keys (relative to the stores' prefixes) take part; others are not looked at. */
  readonly filter: (key: string) => boolean;
  readonly range: KeyRange;
  readonly rules: readonly VisibilityRule[];
  /** `content` reads both objects of every same-size pair and compares their sha256. */
  readonly compare: 'checksum' | 'content';
  readonly maxDelete?: number;
  /** Deleted objects are first copied to this prefix of the destination. */
  readonly backupPrefix?: string;
  readonly transfers: number;
  readonly checkers: number;
  readonly partSize: number;
  readonly partsInFlight: number;
  /** Bytes of object data in memory at most. */
  readonly memory: number;
  readonly manifest?: ManifestReader;
  readonly manifestOut?: ManifestWriter;
  /**
   * Which written objects are checked with an anonymous request: `all`, `private` ones only (a
   * private object must never be readable; public ones are the audit's to check), or `none`.
   */
  readonly verifyVisibility: 'all' | 'private' | 'none';
  readonly probe: AnonymousProbe;
  readonly events: MirrorEvents;
  /** True once the run is interrupted: nothing new starts. */
  readonly stopped?: () => boolean;
  /** Registers cleanup (aborting an open upload) for an interrupt. */
  readonly onInterrupt?: (cleanup: () => Promise<void>) => () => void;
  /**
   * Multipart uploads of a key this run writes that the destination says were initiated before
   * this are aborted first: a killed run's, which nothing else would ever complete or abort.
   * Default: when the run starts.
   */
  readonly staleBefore?: Date;
  /** How keys name the sha256 of their content (`digest-in-key`); `undefined`: they are not held to one. */
  readonly digest?: DigestRule;
  /** Ordered publication (copy and sync): later phases written after earlier ones, and a wait before deleting. */
  readonly publication?: Publication;
}

export interface MirrorCounts {
  /** Pairs found equal. */
  matched: number;
  /** Objects copied that the destination lacked (or would be, in a dry run). */
  copied: number;
  /** Objects the destination had with other content, copied again. */
  updated: number;
  deleted: number;
  /** Destination-only objects left alone (copy mode), or deletions not made. */
  skipped: number;
  failed: number;
  /** Check mode: only in the source. */
  missing: number;
  /** Check mode: only in the destination. */
  extra: number;
  /** Check mode: in both, different. */
  differ: number;
}

export interface MirrorReport {
  readonly counts: MirrorCounts;
  readonly bytes: { copied: number; updated: number; deleted: number };
  /** How each compared pair was decided. */
  readonly methods: Record<CompareMethod, number>;
  /** How the bytes of each streamed copy were checked against the source. */
  readonly readChecks: Record<Transferred['readCheck'], number>;
  serverSideCopies: number;
  /** The listing error that stopped the run, if any. */
  listingError?: string;
  /** Why no deletion was made, when some were due. */
  deletionsWithheld?: string;
  /** The first failures, with reasons. */
  readonly failures: { key: string; reason: string }[];
  /** Keys looked at (in range, passing the filter). */
  keys: number;
  /** True when the listings were read to the end and nothing failed. */
  complete: boolean;
  /** With a `digest` rule: what the digests in the keys proved and found. */
  readonly digest?: DigestCounts;
  /** With publish-last phases: what each phase did, and where publication stopped. */
  phases?: PhasesReport;
}

/** A report with nothing counted yet, not complete: where every run starts (and a destination that took no part stays). */
export function emptyMirrorReport(): MirrorReport {
  return {
    counts: { matched: 0, copied: 0, updated: 0, deleted: 0, skipped: 0, failed: 0, missing: 0, extra: 0, differ: 0 },
    bytes: { copied: 0, updated: 0, deleted: 0 },
    methods: { size: 0, etag: 0, manifest: 0, sha256: 0, content: 0, digest: 0, none: 0 },
    readChecks: { sha256: 0, md5: 0, none: 0 },
    serverSideCopies: 0,
    failures: [],
    keys: 0,
    complete: false,
  };
}

/**
 * True when, after the run that ended with `report`, the destination holds what the source holds
 * (check mode: when they agreed): the listings read whole, nothing failed, no deletion withheld.
 * A dry run writes nothing, so it is in sync only when it had nothing to copy, update or (sync
 * mode) delete. The one decision behind the `in-sync` output, one destination or several.
 */
export function inSyncAfter(report: MirrorReport, mode: MirrorMode, dryRun: boolean): boolean {
  const c = report.counts;
  if (!report.complete || report.deletionsWithheld !== undefined || c.missing + c.extra + c.differ > 0) return false;
  if (mode === 'check' || !dryRun) return true;
  return c.copied + c.updated + (mode === 'sync' ? c.deleted : 0) === 0;
}
