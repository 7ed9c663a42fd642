/**
 * Walks a logs directory into the list of files to upload, each with its key relative to the run's
 * prefix: the file's path under the directory, `/`-separated, spaces and non-ASCII names kept.
 *
 * Only names and sizes are held (a few hundred bytes a file), never content. A symbolic link is
 * followed when it stays inside the directory; one that leaves it stops the run before anything
 * is written, since it would publish a file the workflow never meant to (a key, `/etc/passwd`).
 *
 * Hidden entries (a name starting with `.`: `.git/`, `.env`, `.ssh/`) are left out unless asked
 * for, as actions/upload-artifact does: they hold credentials far more often than logs. A hidden
 * folder is not even read, so nothing under it is listed, followed or counted.
 */
import { statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ConfigurationError, quote } from '../config/configuration-error';
import { compareKeys } from '../storage/key-range';

/** A file to upload. */
export interface LogFile {
  /** `/`-separated path under the directory: the key relative to the run's prefix. */
  readonly rel: string;
  /** Absolute path to read (a link's own path, when the file is reached through a link). */
  readonly path: string;
  /** Size when walked; the upload reads what is there then. */
  readonly size: number;
}

/** An entry left out, with why. */
export interface WalkNote {
  readonly rel: string;
  readonly reason: string;
}

export type WalkResult =
  | { readonly kind: 'missing'; readonly dir: string }
  | {
      readonly kind: 'walked';
      /** The directory's real path. */
      readonly root: string;
      /** Files to upload, in key order. */
      readonly files: readonly LogFile[];
      /** Entries not uploaded on purpose: special files, links to folders, dangling links. */
      readonly skipped: readonly WalkNote[];
      /** Files that cannot become keys (control characters, names that are not UTF-8). */
      readonly unusable: readonly WalkNote[];
      /**
       * Hidden entries left out, in key order: folders as `name/` (not walked, so counted once),
       * and files that include and exclude would have taken. Empty when hidden entries are taken.
       */
      readonly hidden: readonly string[];
    };

export interface WalkOptions {
  /** A file is taken when its relative path matches one of these... */
  readonly include: readonly RegExp[];
  /** ...and none of these. */
  readonly exclude: readonly RegExp[];
  /** Take hidden files and folders too (a path with a segment starting with `.`); default false. */
  readonly includeHidden?: boolean;
}

/** Whether a name makes its path hidden: it starts with `.` (`.git`, `.env`). */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}

/**
 * Walks `dir`. Resolves `missing` when it does not exist; throws `ConfigurationError` when it is not
 * a directory, or when a link under it leads outside it.
 */
export async function walkTree(dir: string, options: WalkOptions): Promise<WalkResult> {
  const root = await rootOf(dir);
  if (root === undefined) return { kind: 'missing', dir };

  const files: LogFile[] = [];
  const skipped: WalkNote[] = [];
  const unusable: WalkNote[] = [];
  const hidden: string[] = [];
  const wanted = (rel: string) => options.include.some((r) => r.test(rel)) && !options.exclude.some((r) => r.test(rel));
  const inside = (p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

  const visit = async (relDir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(path.join(root, relDir), { withFileTypes: true });
    } catch (e) {
      if (relDir === '' || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      skipped.push({ rel: relDir, reason: 'a folder that vanished while the directory was read' });
      return;
    }
    for (const e of entries) {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      const abs = path.join(root, rel);
      if (isHiddenName(e.name) && options.includeHidden !== true) {
        // A folder is left out whole and unread; a file only counts when it would have been taken.
        if (e.isDirectory()) hidden.push(`${rel}/`);
        else if (wanted(rel)) hidden.push(rel);
        continue;
      }
      if (e.isDirectory()) {
        await visit(rel);
        continue;
      }
      if (!wanted(rel)) continue;
      const bad = unusableName(rel);
      if (bad !== undefined) {
        unusable.push({ rel, reason: bad });
        continue;
      }
      if (e.isFile()) {
        const size = sizeOf(abs);
        if (size === undefined) skipped.push({ rel, reason: 'vanished while the directory was read' });
        else files.push({ rel, path: abs, size });
      } else if (e.isSymbolicLink()) {
        const link = await takeLink(root, abs, rel, options, inside);
        if (link === 'hidden') hidden.push(rel);
        else if (link === 'excluded') continue;
        else if ('reason' in link) skipped.push(link);
        else files.push(link);
      } else {
        skipped.push({ rel, reason: 'not a regular file (a socket, pipe or device)' });
      }
    }
  };
  await visit('');
  files.sort((a, b) => compareKeys(a.rel, b.rel));
  hidden.sort(compareKeys);
  return { kind: 'walked', root, files, skipped, unusable, hidden };
}

/** The directory's real path; undefined when it does not exist; an error when it is not a readable directory. */
async function rootOf(dir: string): Promise<string | undefined> {
  let root: string;
  try {
    root = await fs.realpath(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigurationError(`${quote(dir)} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const st = await fs.stat(root);
  if (!st.isDirectory()) throw new ConfigurationError(`${quote(dir)} is not a directory; give the directory that holds the logs`);
  return root;
}

// Synchronous: from the inode cache a stat takes microseconds, far less than a promise round
// trip through the thread pool; nothing else runs while the tree is walked.
function sizeOf(p: string): number | undefined {
  try {
    return statSync(p).size;
  } catch {
    return undefined;
  }
}

/**
 * What a link found in the walk gives. What it leads to is published under the link's name: a link
 * to a hidden file, or into a hidden folder, counts as hidden, and one to an excluded path is
 * excluded, as the target itself would be.
 */
async function takeLink(root: string, abs: string, rel: string, options: WalkOptions, inside: (p: string) => boolean): Promise<LogFile | WalkNote | 'hidden' | 'excluded'> {
  const link = await followLink(abs, rel, inside);
  if ('reason' in link) return link;
  const target = path.relative(root, link.target).split(path.sep).join('/');
  if (options.includeHidden !== true && target.split('/').some(isHiddenName)) return 'hidden';
  if (options.exclude.some((r) => r.test(target))) return 'excluded';
  return link.file;
}

/** A link's file and the real path it leads to, or why it is not taken. */
async function followLink(abs: string, rel: string, inside: (p: string) => boolean): Promise<{ file: LogFile; target: string } | WalkNote> {
  const text = await fs.readlink(abs);
  let target: string;
  try {
    target = await fs.realpath(abs);
  } catch {
    // Dangling: where it would lead, as far as its text says, still decides whether it escapes.
    const lexical = path.resolve(path.dirname(abs), text);
    if (!inside(lexical)) throw escaping(rel, text);
    return { rel, reason: 'a symbolic link to nothing' };
  }
  if (!inside(target)) throw escaping(rel, text);
  const st = await fs.stat(target);
  if (st.isDirectory()) return { rel, reason: 'a symbolic link to a folder (not followed, so nothing is uploaded twice)' };
  if (!st.isFile()) return { rel, reason: 'a symbolic link to something that is not a regular file' };
  return { file: { rel, path: abs, size: st.size }, target };
}

function escaping(rel: string, text: string): ConfigurationError {
  return new ConfigurationError(
    `${quote(rel)} is a symbolic link to ${quote(text)}, outside the directory; nothing was uploaded. ` +
      'Remove the link, copy what it points to into the directory, or exclude it',
  );
}

/** Why a relative path cannot be a key, or `undefined` when it can. */
export function unusableName(rel: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(rel)) return 'its name holds a control character, which S3 listings cannot carry';
  // Node decodes names as UTF-8 and turns invalid bytes into U+FFFD: such a file cannot even be
  // opened by the name it was listed under, and no key would say which file it was.
  if (rel.includes('\ufffd')) return 'its name is not valid UTF-8';
  if (Buffer.byteLength(rel) > 1024) return 'its path is longer than 1,024 bytes, the longest S3 key';
  return undefined;
}
