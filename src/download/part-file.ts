/**
 * A download in progress: `<dest>.part` holds the bytes received so far, `<dest>.part.json` says
 * which object they are the start of. A later run resumes only a part that belongs to the same
 * object; anything else is discarded and the download starts again from byte 0.
 */
import * as fs from 'node:fs/promises';
import type { ObjectHead } from '../storage/object-store';

/** What `<dest>.part.json` records about the object whose first bytes `<dest>.part` holds. */
export interface PartRecord {
  readonly version: 1;
  readonly key: string;
  readonly size: number;
  /** The ETag of the copy the bytes came from (unquoted), when the store had one. */
  readonly etag?: string;
  /** The sha256 the finished file must have, when it was known. */
  readonly sha256?: string;
  /** The store the bytes came from, for messages. */
  readonly store: string;
}

export interface PartPaths {
  readonly part: string;
  readonly record: string;
}

export function partPaths(dest: string): PartPaths {
  return { part: `${dest}.part`, record: `${dest}.part.json` };
}

/** The record next to a part, or `undefined` when it is missing or not one this code wrote. */
export async function readRecord(file: string): Promise<PartRecord | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const r = value as Partial<PartRecord> | null;
  if (!r || r.version !== 1 || typeof r.key !== 'string' || typeof r.size !== 'number' || typeof r.store !== 'string') return undefined;
  return r as PartRecord;
}

/** Writes the record so that a reader sees the old one or the new one, never half of either. */
export async function writeRecord(file: string, record: PartRecord): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(record)}\n`);
  await fs.rename(tmp, file);
}

/**
 * Why the recorded part is not the start of the object `head` describes, or `undefined` when it is.
 * The same content counts, wherever it came from: two stores' copies with the same sha256 and size
 * share every byte, even when their ETags differ (multipart ETags depend on the part size). Without
 * a sha256 on both sides only the same ETag proves the same content.
 */
export function mismatch(record: PartRecord, key: string, head: ObjectHead, sha256: string | undefined): string | undefined {
  if (record.key !== key) return `it is of another key (${JSON.stringify(record.key)})`;
  if (record.size !== head.size) return `the object's size is now ${head.size}, not ${record.size}`;
  if (record.sha256 !== undefined && sha256 !== undefined) {
    return record.sha256 === sha256 ? undefined : `the object's sha256 is now ${sha256}, not ${record.sha256}`;
  }
  if (record.etag === undefined || head.etag === undefined) return 'neither a sha256 nor an ETag shows it is the same object';
  return record.etag === head.etag ? undefined : `the object's ETag is now ${head.etag}, not ${record.etag}`;
}
