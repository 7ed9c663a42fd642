/**
 * The GitHub Actions cache, for files kept between runs (mirror-bucket's manifest). Loaded only
 * when used, and only where a runner provides the cache service; elsewhere (the CLI, a runner
 * without it) every call says the cache is unavailable and the caller goes on without it.
 */
import type { Host } from './host';

export interface FileCache {
  /** Restores the newest entry whose key starts with `prefix` into `file`; resolves the key restored, if any. */
  restore(file: string, prefix: string): Promise<string | undefined>;
  /** Saves `file` under `key` (keys are immutable: give each run its own); rejects when it was not kept. */
  save(file: string, key: string): Promise<void>;
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
        // A refused or failed save is logged by the cache client, some of them only as an info
        // line, and returned as -1: the caller must hear of it.
        const id = await cache.saveCache([file], key);
        if (id === -1) throw new Error('the cache service did not keep it (the line before says why)');
      },
    },
  };
}
