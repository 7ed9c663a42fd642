/**
 * The `upload-image` engine: every file to every store in one pass.
 *
 * For each file: decide key and visibility (private when the key, a folder of it or the file's own
 * name says so: a `{sha256}` key hides the name that makes an image private), learn the sha256 (from a content-addressed name, from the
 * buffer of a small file, or from a hashing pass), skip stores that already hold it, then read the
 * file once and feed each part to every store at the same time, with at most `concurrency` parts in
 * memory. The sha256 travels as `x-amz-meta-sha256` and the ACL with the creating request. A store
 * that fails is aborted (no orphaned parts) while the others go on. Afterwards every store is
 * verified by HEAD (size, sha256, ETag) and by an anonymous request (effective visibility).
 *
 * File reads and anonymous probes come in as functions, so the engine itself does no I/O of its own
 * beyond the `ObjectStore` calls.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError, quote } from '../config/configuration-error';
import { fmtBytes } from '../config/size';
import { decideObjectVisibility, describeDecision, describeRule } from '../acl/visibility';
import { sha256FromName } from '../storage/content-address';
import { contentTypeByName } from '../storage/content-type';
import { PrivateWriteGuard } from '../operations/private-write-guard';
import type { WriteOptions } from '../storage/object-store';
import type { SourceFile } from './files';
import { requiredCount } from '../config/requirement';
import { choosePartSize, renderKey } from './plan';
import { fail, storesToWrite, verifyStores, type FileWrite, type StoreTodo } from './store-steps';
import type { FileResult, StoreResult, UploadImagesOptions, UploadReport } from './upload-types';
import { writeMultipart } from './write-parts';

export type { FileDigests, FileResult, StoreOutcome, StoreResult, UploadEvents, UploadImagesOptions, UploadReport, UploadTarget } from './upload-types';
export { headerChanges } from './store-steps';

/** Raised when a content-addressed name does not match the content; nothing was written. */
export class ContentMismatchError extends ConfigurationError {}

type Options = UploadImagesOptions & { readonly staleBefore: Date };

export async function uploadImages(options: UploadImagesOptions): Promise<UploadReport> {
  const o: Options = { ...options, staleBefore: options.staleBefore ?? new Date() };
  const guard = new PrivateWriteGuard((m) => o.events.warning(m), 'upload');
  const files: FileResult[] = [];
  const exposed: { store: string; key: string }[] = [];
  let bytesUploaded = 0;
  const needed = requiredCount(o.requirement, o.targets.length);

  for (const file of o.files) {
    const result = await uploadOne(o, guard, file);
    files.push(result);
    for (const s of result.stores) {
      if (s.outcome === 'uploaded') bytesUploaded += file.size;
      if (result.visibility === 'private' && s.anonymous === 'readable') exposed.push({ store: s.store, key: result.key });
    }
    const good = result.stores.filter((s) => s.outcome === 'uploaded' || s.outcome === 'skipped' || s.outcome === 'planned').length;
    result.ok = good >= needed;
  }
  return { files, exposed, ok: exposed.length === 0 && files.every((f) => f.ok), bytesUploaded };
}

/** What a file's content is known to be before it is written. */
interface Content {
  readonly sha256: string;
  /** A small file: its whole content and digest (one PUT). */
  readonly body?: Buffer;
  readonly bodyDigest?: Buffer;
  /** From a hashing pass: each part's digest. */
  readonly partDigests?: readonly Buffer[];
}

async function uploadOne(o: Options, guard: PrivateWriteGuard, file: SourceFile): Promise<FileResult> {
  const { events } = o;
  const multipart = choosePartSize(file.size, o.partSize);
  // The sha256, when it can be known before reading: the name promises it.
  const known = o.keyTemplate.usesSha256 ? undefined : renderKey(o.keyTemplate, file.name);
  const promised = known !== undefined ? sha256FromName(known) : undefined;
  // Until a {sha256} key is known, the plan shows the template's placeholder in its place.
  const placeholderKey = known ?? renderKey(o.keyTemplate, file.name);
  const results: StoreResult[] = o.targets.map((t) =>
    t.unavailable !== undefined ? { store: t.name, outcome: 'failed', reason: t.unavailable } : { store: t.name, outcome: 'planned' },
  );
  const result: FileResult = { file: file.path, key: placeholderKey, size: file.size, ...decide(o, placeholderKey, file), parts: multipart?.parts ?? 1, stores: results, ok: false };

  if (o.dryRun) {
    events.info(`${file.name} -> ${placeholderKey}: ${fmtBytes(file.size)}, ${result.parts} part(s), ${result.visibilityReason}, to ${o.targets.length} store(s)`);
    for (const r of results) r.anonymous = 'n/a';
    return result;
  }

  const content = await learnContent(o, file, multipart?.partSize, promised);
  const key = known ?? renderKey(o.keyTemplate, file.name, content.sha256);
  if (known === undefined) Object.assign(result, decide(o, key, file));
  const mismatch = (actual: string) =>
    new ContentMismatchError(`${quote(file.path)}: the name ${quote(key)} promises sha256 ${promised} but the content's sha256 is ${actual}; nothing was written`);
  if (promised !== undefined && !multipart && content.sha256 !== promised) throw mismatch(content.sha256);
  (result as { key: string }).key = key;
  result.sha256 = content.sha256;
  const contentType = o.contentType ?? contentTypeByName(file.name);
  events.info(`${file.name} -> ${key}: ${result.visibilityReason}; Content-Type ${contentType}${o.cacheControl !== undefined ? `, Cache-Control ${o.cacheControl}` : ''}`);
  const writeOptions: WriteOptions = { contentType, cacheControl: o.cacheControl, metadata: { sha256: content.sha256 }, visibility: result.visibility };
  const w: FileWrite = { key, size: file.size, sha256: content.sha256, visibility: result.visibility, multipart: multipart !== undefined, writeOptions };

  // Which stores already hold exactly this content?
  const todo = await storesToWrite(o, guard, w, results);
  // The ETag each store reported for what it received, to hold the object against afterwards.
  const expectedEtags = new Map<StoreResult, string | undefined>();
  if (todo.length > 0 && multipart) {
    const written = await writeMultipart(o, file, key, multipart.partSize, writeOptions, todo, content.partDigests, expectedEtags);
    // Undefined when every store failed before the whole file was read: nothing to compare then.
    if (written !== undefined && promised !== undefined && written !== promised) throw mismatch(written);
  } else if (todo.length > 0) {
    await putWhole(o, w, content, todo, expectedEtags);
  }

  // Verify what each store now holds, and what a stranger can read.
  await verifyStores(o, w, results, expectedEtags);
  for (const r of results) {
    if (r.outcome !== 'failed') events.info(`${r.store}: ${key} ${r.outcome}, verified (size, sha256${expectedEtags.get(r) ? ', ETag' : ''}), anonymous ${r.anonymous}`);
  }
  return result;
}

/**
 * The visibility of `key`: the file's own name counts as much as the key (`images/{sha256}{ext}` or
 * `{stem}/disk.qcow2` must not turn a private image public because the key no longer shows its name).
 */
function decide(o: Options, key: string, file: SourceFile): Pick<FileResult, 'visibility' | 'rule' | 'decidedBy' | 'visibilityReason'> {
  const d = decideObjectVisibility(o.rules, key, file.name);
  return {
    visibility: d.visibility,
    rule: d.rule ? describeRule(d.rule) : 'no rule matched: private',
    decidedBy: d.decidedBy,
    visibilityReason: describeDecision(d),
  };
}

/**
 * Small files: one buffer, one read, hashed once before anything is sent (the whole file is its
 * only part). Large files: the name promises the sha256 and the content is checked while it
 * streams, or a hashing pass learns it (and each part's digest, so the upload pass hashes nothing).
 */
async function learnContent(o: Options, file: SourceFile, partSize: number | undefined, promised: string | undefined): Promise<Content> {
  if (partSize === undefined) {
    const chunks: Buffer[] = [];
    for await (const c of o.readChunks(file.path, file.size, Math.max(file.size, 1))) chunks.push(c);
    const body = Buffer.concat(chunks);
    const bodyDigest = createHash('sha256').update(body).digest();
    return { sha256: bodyDigest.toString('hex'), body, bodyDigest };
  }
  if (promised !== undefined) return { sha256: promised };
  o.events.info(`${file.name}: hashing ${fmtBytes(file.size)} (its name promises no sha256)`);
  const digests = await o.hashFile(file.path, file.size, partSize);
  return { sha256: digests.sha256, partDigests: digests.parts };
}

/** One PUT of the whole file to each store in `todo`, at the same time. */
async function putWhole(o: Options, w: FileWrite, content: Content, todo: readonly StoreTodo[], etags: Map<StoreResult, string | undefined>): Promise<void> {
  await Promise.all(
    todo.map(async ({ target, result: r }) => {
      try {
        etags.set(r, (await target.store.put(w.key, content.body!, content.bodyDigest!, w.writeOptions)).etag);
        r.outcome = 'uploaded';
      } catch (e) {
        fail(r, e, o.events, target.name, w.key);
      }
    }),
  );
}
