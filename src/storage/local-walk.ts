/**
 * Walking a folder store's tree: the keys of its regular files, and every entry that cannot be an
 * object (see {@link Uncarriable}), named so that a message shows exactly which.
 */
import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { StoreError } from '../errors';
import { compareKeys, inRange, type KeyRange } from './key-range';

/** The folder under the root that holds sidecars and writes in progress; never listed. */
export const INTERNAL = '.ci-stores';
const INTERNAL_BYTES = Buffer.from(INTERNAL);

/**
 * An entry under the root that cannot be an object: a name that is not valid UTF-8 (an S3 key is
 * UTF-8; a lossy key would name another object), a symbolic link (followed, it could reach outside
 * the folder or loop; S3 has no links), or anything else that is not a regular file or folder
 * (FIFO, socket, device). Empty folders are not entries: S3 has no folders.
 */
export interface Uncarriable {
  /** The path relative to the root, as printable text: invalid bytes shown as `\xNN`. */
  readonly shown: string;
  /** The key it would have had, with U+FFFD for invalid bytes: where it sorts, for prefixes and ranges. */
  readonly key: string;
  /** Whether everything under it is unlisted as well (a folder with such a name, a link). */
  readonly tree: boolean;
  readonly reason: string;
}

/**
 * Collects the keys of regular files under `rel` (raw name bytes per segment) of the folder `root`,
 * and what cannot be a key. The internal folder at the top is left out; `display` names the store in errors.
 */
export async function walkFolder(root: string, display: string, rel: readonly Buffer[], out: string[], uncarried: Uncarriable[]): Promise<void> {
  let entries: Dirent<Buffer>[];
  try {
    entries = await fs.readdir(bufferPath(root, rel), { withFileTypes: true, encoding: 'buffer' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreError('unknown', `${display}: cannot list ${JSON.stringify(shownPath(rel))}`, undefined, { cause: e });
  }
  for (const entry of entries) {
    const raw = entry.name;
    if (rel.length === 0 && raw.equals(INTERNAL_BYTES)) continue;
    const segments = [...rel, raw];
    const name = raw.toString('utf8');
    const key = segments.map((segment) => segment.toString('utf8')).join('/');
    const validName = Buffer.from(name, 'utf8').equals(raw);
    if (!validName) {
      const tree = entry.isDirectory() || entry.isSymbolicLink();
      uncarried.push({ shown: shownPath(segments), key, tree, reason: `its name is not valid UTF-8${entry.isDirectory() ? '; nothing under it is listed' : ''}` });
    } else if (entry.isDirectory()) await walkFolder(root, display, segments, out, uncarried);
    else if (entry.isFile()) out.push(key);
    else if (entry.isSymbolicLink()) uncarried.push({ shown: shownPath(segments), key, tree: true, reason: 'a symbolic link, not followed' });
    else uncarried.push({ shown: shownPath(segments), key, tree: false, reason: `${kindOf(entry)}, not a regular file` });
  }
}

/**
 * Whether an uncarriable entry lies where a listing of `prefix` in `range` would have shown it. A
 * tree (a link, a folder that cannot be named) could stand for the key itself or for any key under
 * it: everything from the key up to (not including) `key0` ('0' follows '/').
 */
export function concerns(entry: Uncarriable, prefix: string, range: KeyRange): boolean {
  if (!entry.tree) return entry.key.startsWith(prefix) && inRange(entry.key, range);
  const under = `${entry.key}/`;
  const end = `${entry.key}0`;
  const prefixMeets = under.startsWith(prefix) || prefix.startsWith(under) || entry.key.startsWith(prefix);
  const rangeMeets = (range.to === undefined || compareKeys(entry.key, range.to) < 0) && (range.from === undefined || compareKeys(range.from, end) < 0);
  return prefixMeets && rangeMeets;
}

/** A path of raw name bytes under `root`, as a Buffer: names that are not UTF-8 reach the file system as they are. */
function bufferPath(root: string, segments: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(root, 'utf8')];
  for (const segment of segments) parts.push(Buffer.from(path.sep), segment);
  return Buffer.concat(parts);
}

/**
 * Raw name bytes as text for a message: valid UTF-8 as it is, but every byte that is not, every
 * control character and '"' as `\xNN`, and '\' as `\\`, so the text cannot be mistaken.
 */
function shownPath(segments: readonly Buffer[]): string {
  return segments.map(shownName).join('/');
}

function shownName(raw: Buffer): string {
  let out = '';
  let i = 0;
  const hex = (byte: number) => `\\x${byte.toString(16).padStart(2, '0')}`;
  while (i < raw.length) {
    const len = utf8Length(raw, i);
    const byte = raw[i]!;
    if (len === 0 || (len === 1 && (byte < 0x20 || byte === 0x7f || byte === 0x22))) out += hex(byte);
    else if (len === 1 && byte === 0x5c) out += '\\\\';
    else out += raw.subarray(i, i + len).toString('utf8');
    i += Math.max(len, 1);
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence at `i`, or 0 when there is none. */
function utf8Length(bytes: Buffer, i: number): number {
  for (let n = 1; n <= 4 && i + n <= bytes.length; n++) {
    const piece = bytes.subarray(i, i + n);
    if (Buffer.from(piece.toString('utf8'), 'utf8').equals(piece)) return n;
  }
  return 0;
}

function kindOf(entry: Dirent<Buffer>): string {
  if (entry.isFIFO()) return 'a FIFO';
  if (entry.isSocket()) return 'a socket';
  if (entry.isBlockDevice()) return 'a block device';
  if (entry.isCharacterDevice()) return 'a character device';
  return 'an entry of unknown type';
}
