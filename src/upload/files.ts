/** Expands the `files` input (paths and globs) into readable regular files. */
import * as fs from 'node:fs/promises';
import { constants } from 'node:fs';
import * as path from 'node:path';
import { globToRegExp } from '../acl/glob';
import { ConfigurationError, quote } from '../config/configuration-error';

export interface SourceFile {
  /** Absolute path. */
  readonly path: string;
  /** Base name, which key templates and content-address checks use. */
  readonly name: string;
  readonly size: number;
}

const GLOB_CHARS = /[*?[]/;

/**
 * Resolves each pattern against `cwd`. A literal path must exist; a glob must match at least one
 * file. Every file must be a readable regular file. The result is sorted and free of duplicates.
 */
export async function expandFiles(patterns: readonly string[], cwd: string): Promise<SourceFile[]> {
  const found = new Map<string, SourceFile>();
  for (const pattern of patterns) {
    const paths = GLOB_CHARS.test(pattern) ? await matchGlob(pattern, cwd) : [path.resolve(cwd, pattern)];
    for (const p of paths) {
      if (found.has(p)) continue;
      found.set(p, await checkFile(p, pattern));
    }
  }
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function checkFile(p: string, pattern: string): Promise<SourceFile> {
  let st;
  try {
    st = await fs.stat(p);
  } catch {
    throw new ConfigurationError(`${quote(pattern)}: no such file ${quote(p)}`);
  }
  if (!st.isFile()) throw new ConfigurationError(`${quote(pattern)}: ${quote(p)} is not a regular file`);
  try {
    await fs.access(p, constants.R_OK);
  } catch {
    throw new ConfigurationError(`${quote(pattern)}: ${quote(p)} is not readable`);
  }
  return { path: p, name: path.basename(p), size: st.size };
}

async function matchGlob(pattern: string, cwd: string): Promise<string[]> {
  const absolute = path.resolve(cwd, pattern);
  const segments = absolute.split('/');
  // Walk from the longest folder prefix that holds no glob character.
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const base = segments.slice(0, firstGlob).join('/') || '/';
  const re = globToRegExp(segments.slice(firstGlob).join('/'));
  const deep = segments.slice(firstGlob).some((s) => s.includes('**'));
  const depth = segments.length - firstGlob;
  const out: string[] = [];
  await walk(base, '', deep ? Infinity : depth, (rel) => {
    if (re.test(rel)) out.push(path.join(base, rel));
  });
  if (out.length === 0) throw new ConfigurationError(`${quote(pattern)} matches no file`);
  return out;
}

async function walk(base: string, rel: string, depth: number, visit: (rel: string) => void): Promise<void> {
  if (depth <= 0) return;
  let entries;
  try {
    entries = await fs.readdir(path.join(base, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) await walk(base, child, depth - 1, visit);
    else visit(child);
  }
}
