/**
 * Before a key is written in parts: the multipart uploads of it that an earlier run left open (a run
 * killed without a chance to clean up: SIGKILL, a lost runner) are aborted, since no one else would
 * ever complete or abort them, and their parts are billed meanwhile.
 */
import type { ObjectStore } from '../storage/object-store';

/** Where the outcome is told: what was aborted (info), and a failure to look (a warning, never fatal). */
export interface StaleUploadEvents {
  info(message: string): void;
  warning(message: string): void;
}

/**
 * Aborts the uploads of `key` on `store` initiated before `before`; a failure only warns. `label`
 * (a store's name) starts each message when given. Stores without multipart state do nothing.
 */
export async function abortStaleUploads(store: ObjectStore, key: string, before: Date, events: StaleUploadEvents, label?: string): Promise<void> {
  if (!store.abortStaleUploads) return;
  const at = label !== undefined ? `${label}: ${key}` : key;
  try {
    const aborted = await store.abortStaleUploads(key, before);
    if (aborted.length > 0) {
      events.info(`${at}: aborted ${aborted.length} multipart upload(s) left open by an earlier run (initiated ${aborted.map((u) => u.initiated.toISOString()).join(', ')})`);
    }
  } catch (e) {
    events.warning(`${at}: could not look for multipart uploads left open by an earlier run: ${e instanceof Error ? e.message : String(e)}`);
  }
}
