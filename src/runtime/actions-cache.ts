/**
 * The GitHub Actions cache, for files kept between runs (mirror-bucket's manifest). Loaded only
 * when used, and only where a runner provides the cache service; elsewhere (the CLI, a runner
 * without it) every call says the cache is unavailable and the caller goes on without it.
 */
import type { Host } from './host';

export interface FileCache {
  /** Restores the newest entry whose key starts with `prefix` into `file`; resolves the key restored, if any. */
  restore(file: string, prefix: string): Promise<string | undefined>;
  /**
   * Saves `file` under `key` (keys are immutable: give each step of each run its own): resolves
   * true when kept, false when this job may not write to the cache (its cache mode); rejects when
   * the service did not keep it.
   */
  save(file: string, key: string): Promise<boolean>;
}

/** The Actions cache, or `undefined` with the reason when this runner has none. */
export async function actionsCache(host: Host): Promise<{ cache?: FileCache; reason?: string }> {
  if (!host.env.ACTIONS_RESULTS_URL && !host.env.ACTIONS_CACHE_URL) return { reason: 'the Actions cache service is not available here (not on a GitHub runner)' };
  const cache = await import('@actions/cache');
  if (!cache.isFeatureAvailable()) return { reason: 'the Actions cache service is not available on this runner' };
  return {
    cache: {
      async restore(file, prefix) {
        return cache.restoreCache([file], `${prefix}none`, [prefix]);
      },
      async save(file, key) {
        if (!writable(host.env.ACTIONS_CACHE_MODE)) return false;
        // A refused or failed save is logged by the cache client, some of them only as an info
        // line, and returned as -1: the caller must hear of it.
        const id = await cache.saveCache([file], key);
        if (id === -1) throw new Error(`the cache service did not keep it under ${key} (the cache client's line before says why)`);
        return true;
      },
    },
  };
}

/**
 * Whether the runner's cache mode lets this job write (ACTIONS_CACHE_MODE: none, read, write or
 * write-only; unset or unknown lets it, as the cache client reads it).
 */
function writable(mode: string | undefined): boolean {
  const m = (mode ?? '').trim().toLowerCase();
  return !['none', 'read', 'write', 'write-only'].includes(m) || m === 'write' || m === 'write-only';
}
