/**
 * Where mirror-bucket keeps the manifest of verified copies of one pair of stores between runs (the
 * Actions cache, or a file), read before the run and written after it. A run to several
 * destinations keeps one a destination, each exactly as a run to that destination alone keeps it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, quote } from '../../config/configuration-error';
import { globToRegExp } from '../../acl/glob';
import { actionsCache, type FileCache } from '../../runtime/actions-cache';
import type { Host } from '../../runtime/host';
import { inRange, type Shard } from '../../storage/key-range';
import { manifestCacheKey, ManifestReader, ManifestWriter, type ManifestIdentity } from '../../sync/manifest';
import { filterOf, type MirrorBucketInputs } from './inputs';

/** Where one pair's manifest is kept: nowhere, the Actions cache, or a file. */
export type ManifestPlace = { readonly kind: 'none' } | { readonly kind: 'cache' } | { readonly kind: 'file'; readonly path: string };

/** Where destination `i`'s manifest is kept: `cache` for each alike, else the i-th file. */
export function manifestPlace(inputs: MirrorBucketInputs, i: number): ManifestPlace {
  const m = inputs.manifest;
  return m.kind === 'file' ? { kind: 'file', path: m.paths[i]! } : m;
}

export interface OpenedManifest {
  readonly reader?: ManifestReader;
  /** Where this run's manifest is read from and written to. */
  readonly file?: string;
  readonly cache?: FileCache;
  readonly cacheKey?: string;
}

/** The log of one pair: a label before each line when the run has several destinations. */
type Say = Pick<Host, 'info' | 'warning'>;

export async function openManifest(host: Host, wanted: ManifestPlace, shard: Shard, identity: ManifestIdentity, say: Say = host): Promise<OpenedManifest> {
  if (wanted.kind === 'none') {
    say.info('no manifest: pairs whose ETags cannot prove them equal are compared by their recorded sha256 (a HEAD each)');
    return {};
  }
  let file: string;
  let cache: FileCache | undefined;
  let cacheKey: string | undefined;
  if (wanted.kind === 'cache') {
    cacheKey = manifestCacheKey(identity, shard);
    file = path.join(host.env.RUNNER_TEMP || host.cwd, `${cacheKey.slice(0, -1)}.manifest.gz`);
    const available = await actionsCache(host);
    if (!available.cache) {
      say.warning(`manifest: ${available.reason}; going on without one (slower, not less exact)`);
      return {};
    }
    cache = available.cache;
    try {
      const restored = await cache.restore(file, cacheKey);
      say.info(restored ? `manifest restored from the Actions cache (${restored})` : 'no manifest in the Actions cache yet');
    } catch (e) {
      say.warning(`could not restore the manifest from the Actions cache: ${(e as Error).message}`);
    }
  } else file = wanted.path;
  const opened = await ManifestReader.open(file, identity);
  if (opened.reader) say.info(`manifest: ${file}`);
  else if (opened.reason === 'no manifest yet') say.info(`no manifest at ${file} yet; this run writes one`);
  else say.warning(`manifest ${file} ignored: ${opened.reason}; this run writes a new one`);
  return { reader: opened.reader, file, cache, cacheKey };
}

/**
 * Opens the file this run's manifest is written to (its temporary file, renamed into place at the
 * end), creating its folder: before the run, so a manifest that cannot be written is known before
 * anything is copied. A file given in input `manifest` that cannot be written is the user's to fix.
 */
export async function openManifestWriter(manifest: OpenedManifest & { readonly file: string }, wanted: ManifestPlace, identity: ManifestIdentity, notSeen?: (key: string) => boolean): Promise<ManifestWriter> {
  const { file } = manifest;
  let writer: ManifestWriter | undefined;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    writer = new ManifestWriter(file, identity, notSeen);
    await writer.ready();
    return writer;
  } catch (e) {
    await writer?.discard();
    if (wanted.kind !== 'file') throw e;
    throw new ConfigurationError(`input "manifest": ${quote(file)} cannot be written (${(e as Error).message}); allowed: a file whose folder exists or can be created, where this run may write`);
  }
}

/**
 * Closes the manifest and saves it to the Actions cache when it came from there. A run that did not
 * see every key (a listing failed, or the run was stopped) would drop the entries it did not reach:
 * the old manifest is kept. Returns the entries of the manifest this run wrote and kept: 0 when it
 * kept the old one.
 */
export async function keepManifest(host: Host, manifest: OpenedManifest, writer: ManifestWriter, run: { readonly listingError?: string; readonly stopped: boolean }, say: Say = host): Promise<number> {
  if (run.listingError !== undefined || run.stopped) {
    await writer.discard();
    return 0;
  }
  await writer.close();
  say.info(`manifest: ${writer.entries} verified pair(s) recorded${writer.carriedOver > 0 ? `, ${writer.carriedOver} of them outside this shard's range, kept from before` : ''}`);
  if (!manifest.cache || !manifest.cacheKey) return writer.entries;
  // One key a step of a run attempt (GITHUB_ACTION names the step): a sync step and a check step
  // over the same pair in one job would otherwise ask for the same key, and the second be refused.
  const step = host.env.GITHUB_ACTION ? `-${host.env.GITHUB_ACTION}` : '';
  try {
    const kept = await manifest.cache.save(manifest.file!, `${manifest.cacheKey}${host.env.GITHUB_RUN_ID ?? Date.now()}-${host.env.GITHUB_RUN_ATTEMPT ?? '1'}${step}`);
    if (!kept) say.info(`manifest not saved: this job's Actions cache mode (${host.env.ACTIONS_CACHE_MODE}) does not let it write`);
  } catch (e) {
    say.warning(`could not save the manifest to the Actions cache: ${(e as Error).message}; the next run compares the slow way`);
  }
  return writer.entries;
}

/**
 * The keys a run does not look at (outside its shard's range, or left out by include and exclude),
 * whose manifest entries it carries over; undefined when it looks at every key.
 */
export function notSeenBy(inputs: MirrorBucketInputs): ((key: string) => boolean) | undefined {
  const { range } = inputs.shard;
  const all = globToRegExp('**').source;
  const everything = range.from === undefined && range.to === undefined && inputs.exclude.length === 0 && inputs.include.some((r) => r.source === all);
  if (everything) return undefined;
  const taken = filterOf(inputs);
  return (key) => !inRange(key, range) || !taken(key);
}
