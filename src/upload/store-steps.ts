/**
 * The per-store steps of one file of `upload-image` around the write: what each store already
 * holds (kept, or written again), and what it holds afterwards (size, sha256, ETag, headers, and
 * what a stranger can read).
 */
import { quote } from '../config/configuration-error';
import { markedPrivate } from '../storage/private-marker';
import { isMd5Etag } from '../storage/etag';
import { StoreError } from '../errors';
import { abortStaleUploads } from '../operations/abort-stale';
import { checkWritten, withdrawExposed } from '../operations/verify-visibility';
import type { PrivateWriteGuard } from '../operations/private-write-guard';
import type { ObjectHead, Visibility, WriteOptions } from '../storage/object-store';
import type { StoreResult, UploadEvents, UploadImagesOptions, UploadTarget } from './upload-types';

/** One store that must get the file written. */
export interface StoreTodo {
  readonly target: UploadTarget;
  readonly result: StoreResult;
}

/** What is to be written where: the key, its visibility and headers, and the content's size and sha256. */
export interface FileWrite {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly visibility: Visibility;
  readonly multipart: boolean;
  readonly writeOptions: WriteOptions;
}

/**
 * Which stores must get the file: not one whose policy would expose a private object (refused),
 * nor one that already holds this content with this visibility and these headers (skipped). Before
 * a write in parts, what an earlier run left open for the key is aborted.
 */
export async function storesToWrite(o: UploadImagesOptions & { staleBefore: Date }, guard: PrivateWriteGuard, w: FileWrite, results: StoreResult[]): Promise<StoreTodo[]> {
  const { events } = o;
  const todo: StoreTodo[] = [];
  await Promise.all(
    o.targets.map(async (target, i) => {
      const r = results[i]!;
      if (r.outcome === 'failed') return;
      if (w.visibility === 'private') {
        const refusal = await guard.refusal(target.store, w.key, target.name);
        if (refusal !== undefined) {
          r.outcome = 'failed';
          r.reason = refusal.replace(/^not written:/, 'not uploaded:');
          events.warning(`${target.name}: ${w.key}: ${r.reason}`);
          return;
        }
      }
      if (w.multipart) await abortStaleUploads(target.store, w.key, o.staleBefore, events, target.name);
      try {
        const head = await target.store.head(w.key);
        // The same content written with the same visibility and headers is kept; a copy whose
        // private marker disagrees with this decision (a public copy of a private file, say) is
        // written again, and so is one served with other headers than asked for now.
        if (head && head.size === w.size && head.metadata.sha256 === w.sha256 && markedPrivate(head.metadata) === (w.visibility === 'private')) {
          const differ = headerChanges(head, w.writeOptions);
          if (differ === undefined) {
            r.outcome = 'skipped';
            r.reason = 'already holds this sha256';
            events.info(`${target.name}: ${w.key} already there with the same sha256, skipped`);
            return;
          }
          r.reason = `written again: same sha256, but ${differ}`;
          events.info(`${target.name}: ${w.key} already there with the same sha256, but ${differ}: written again`);
        }
        todo.push({ target, result: r });
      } catch (e) {
        fail(r, e, events, target.name, w.key);
      }
    }),
  );
  return todo;
}

/**
 * Verifies what each store now holds (size, sha256, the ETag it reported for what it received)
 * and what a stranger can read of it, failing closed: only the answer that shows the visibility
 * passes; a 404 or a failed request does not.
 */
export async function verifyStores(o: UploadImagesOptions, w: FileWrite, results: StoreResult[], expectedEtags: Map<StoreResult, string | undefined>): Promise<void> {
  const { events } = o;
  await Promise.all(
    o.targets.map(async (target, i) => {
      const r = results[i]!;
      if (r.outcome === 'failed') return;
      try {
        const head = await target.store.head(w.key);
        const problem = contentProblem(head, w, expectedEtags.get(r));
        if (problem) {
          r.outcome = 'failed';
          r.reason = `verification failed: ${problem}`;
          events.warning(`${target.name}: ${w.key}: ${r.reason}`);
          return;
        }
        // The content is right; headers the store did not keep as sent are worth a person's look
        // (every later run would write the object again), not a failure.
        const served = r.outcome === 'uploaded' ? headerChanges(head!, w.writeOptions) : undefined;
        if (served !== undefined) events.warning(`${target.name}: ${w.key}: written, but the store serves it with other headers: ${served}; later runs will write it again`);
      } catch (e) {
        fail(r, e, events, target.name, w.key);
        return;
      }
      const seen = await checkWritten(target.store, w.key, w.visibility, o.probe);
      // Only what this run wrote is deleted again when found exposed; an object it found in place is reported.
      const check = r.outcome === 'uploaded' ? await withdrawExposed(target.store, w.key, seen) : seen;
      r.url = check.url;
      r.anonymous = check.access === 'readable' || check.access === 'denied' || check.access === 'n/a' ? check.access : 'unknown';
      if (check.verdict !== 'ok') {
        r.outcome = 'failed';
        r.reason = check.reason;
      }
      if (r.outcome === 'failed') events.warning(`${target.name}: ${w.key}: ${r.reason}`);
    }),
  );
}

function contentProblem(head: ObjectHead | undefined, w: FileWrite, expectedEtag: string | undefined): string | undefined {
  if (!head) return 'object missing after upload';
  if (head.size !== w.size) return `size ${head.size} differs from ${w.size}`;
  if (head.metadata.sha256 !== w.sha256) return `sha256 metadata ${head.metadata.sha256 ?? '(none)'} differs from ${w.sha256}`;
  if (expectedEtag !== undefined && isMd5Etag(head.etag) && head.etag !== expectedEtag) return `ETag ${head.etag} differs from ${expectedEtag}, which the parts written make`;
  return undefined;
}

/**
 * How the headers an object is served with differ from those asked for, in words
 * (`Content-Type is "a", not "b"`), or `undefined` when they agree. Compared without case and white
 * space, so a store that writes a header out differently does not get the object again on every run.
 */
export function headerChanges(head: ObjectHead, wanted: WriteOptions): string | undefined {
  const norm = (v: string | undefined) => (v ?? '').replace(/\s+/g, '').toLowerCase();
  const shown = (v: string | undefined) => (v === undefined || v === '' ? 'none' : quote(v));
  const changes: string[] = [];
  if (norm(head.contentType) !== norm(wanted.contentType)) changes.push(`Content-Type is ${shown(head.contentType)}, not ${shown(wanted.contentType)}`);
  if (norm(head.cacheControl) !== norm(wanted.cacheControl)) changes.push(`Cache-Control is ${shown(head.cacheControl)}, not ${shown(wanted.cacheControl)}`);
  return changes.length === 0 ? undefined : changes.join(', ');
}

/** Records a store's failure for the file, and warns. */
export function fail(r: StoreResult, e: unknown, events: UploadEvents, store: string, key: string): void {
  r.outcome = 'failed';
  r.reason = e instanceof StoreError ? e.message : e instanceof Error ? e.message : String(e);
  events.warning(`${store}: ${key}: ${r.reason}`);
}
