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
import { HashWorker, sharedBuffer } from './hash-worker';
import { ConfigurationError, quote } from '../config/configuration-error';
import { fmtBytes } from '../config/size';
import { decideObjectVisibility, describeDecision, describeRule, type ObjectVisibilityDecision, type VisibilityRule } from '../acl/visibility';
import { guardPrivateWrite } from '../acl/policy-guard';
import { sha256FromName } from '../storage/content-address';
import { contentTypeByName } from '../storage/content-type';
import { isMd5Etag } from '../storage/etag';
import { markedPrivate } from '../storage/private-marker';
import { checkWritten, type AnonymousProbe } from '../operations/verify-visibility';
import { StoreError } from '../errors';
import type { MultipartWrite, ObjectHead, ObjectStore, Visibility, WriteOptions } from '../storage/object-store';
import type { SourceFile } from './files';
import { choosePartSize, renderKey, requiredCount, type KeyTemplate, type Requirement } from './plan';

export interface UploadTarget {
  /** Label for results: the store spec's name. */
  readonly name: string;
  readonly store: ObjectStore;
  /** Set when the store failed its preflight with a passing fault: it is reported failed for every file. */
  readonly unavailable?: string;
}

export interface UploadEvents {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** Bytes of `file` written to every active store so far. */
  progress(file: string, done: number, total: number): void;
}

export interface UploadImagesOptions {
  readonly files: readonly SourceFile[];
  readonly targets: readonly UploadTarget[];
  readonly keyTemplate: KeyTemplate;
  readonly rules: readonly VisibilityRule[];
  readonly requirement: Requirement;
  readonly partSize: number;
  /** Parts in flight (and in memory) at once. */
  readonly concurrency: number;
  /** The Content-Type of every object; `undefined`: each file's type by name ({@link contentTypeByName}). */
  readonly contentType?: string;
  /** The Cache-Control of every object; `undefined`: none. */
  readonly cacheControl?: string;
  readonly dryRun: boolean;
  readonly readChunks: (path: string, size: number, chunkSize: number, take?: () => Buffer) => AsyncIterable<Buffer>;
  /** The file's sha256 (hex) and the SHA-256 of each `partSize` piece, from one read. */
  readonly hashFile: (path: string, size: number, partSize: number) => Promise<FileDigests>;
  readonly probe: AnonymousProbe;
  readonly events: UploadEvents;
  /** Registers work to do if the process is interrupted (abort open uploads); returns an unregister function. */
  readonly onInterrupt?: (cleanup: () => Promise<void>) => () => void;
  /**
   * Open multipart uploads of a key this run writes in parts, initiated before this time, are
   * aborted before writing: a run killed without a chance to clean up (SIGKILL, a lost runner)
   * leaves them, and no one else would ever complete or abort them. Default: when `uploadImages`
   * is called, so an upload another run started earlier for the same key is aborted too (that run
   * then reports the store failed; see the README on concurrent runs).
   */
  readonly staleBefore?: Date;
}

export type StoreOutcome = 'uploaded' | 'skipped' | 'failed' | 'planned';

/** What happened to one file on one store. */
export interface StoreResult {
  readonly store: string;
  outcome: StoreOutcome;
  reason?: string;
  /** What an anonymous HEAD found: `readable`, `denied`, or `n/a` (no public address, dry run). */
  anonymous?: 'readable' | 'denied' | 'n/a' | 'unknown';
  url?: string;
}

export interface FileResult {
  readonly file: string;
  readonly key: string;
  readonly size: number;
  sha256?: string;
  readonly visibility: Visibility;
  /** The rule that decided the visibility, or `no rule matched: private`. */
  readonly rule: string;
  /** What decided: the file's name, the key (or a folder of it), both, or the default (no rule matched the key). */
  readonly decidedBy: ObjectVisibilityDecision['decidedBy'];
  /** The decision in words, naming every match: `private: file name "rhel-9.qcow2" matches rhel* private (rule 1)`. */
  readonly visibilityReason: string;
  readonly parts: number;
  readonly stores: StoreResult[];
  /** True when at least the required number of stores hold the file, verified. */
  ok: boolean;
}

export interface UploadReport {
  readonly files: FileResult[];
  /** Private objects that an anonymous reader could read: always a failure, whatever `require` says. */
  readonly exposed: { store: string; key: string }[];
  readonly ok: boolean;
  readonly bytesUploaded: number;
}

/** What a hashing pass learns: the whole file's sha256 and each part's, for the signed payloads. */
export interface FileDigests {
  readonly sha256: string;
  readonly parts: readonly Buffer[];
}

/** Raised when a content-addressed name does not match the content; nothing was written. */
export class ContentMismatchError extends ConfigurationError {}

export async function uploadImages(options: UploadImagesOptions): Promise<UploadReport> {
  const o = { ...options, staleBefore: options.staleBefore ?? new Date() };
  const files: FileResult[] = [];
  const exposed: { store: string; key: string }[] = [];
  let bytesUploaded = 0;
  const needed = requiredCount(o.requirement, o.targets.length);

  for (const file of o.files) {
    const result = await uploadOne(o, file);
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

async function uploadOne(o: UploadImagesOptions, file: SourceFile): Promise<FileResult> {
  const { events } = o;
  const multipart = choosePartSize(file.size, o.partSize);
  const parts = multipart?.parts ?? 1;

  // The sha256, when it can be known before reading: the name promises it.
  let key = o.keyTemplate.usesSha256 ? undefined : renderKey(o.keyTemplate, file.name);
  const promised = key !== undefined ? sha256FromName(key) : undefined;

  // Until a {sha256} key is known, the plan shows the template's placeholder in its place.
  const placeholderKey = key ?? renderKey(o.keyTemplate, file.name);
  // The file's own name counts as much as the key: `images/{sha256}{ext}` or `{stem}/disk.qcow2`
  // must not turn a private image public because the key no longer shows its name.
  const decide = (k: string) => {
    const d = decideObjectVisibility(o.rules, k, file.name);
    return {
      visibility: d.visibility,
      rule: d.rule ? describeRule(d.rule) : 'no rule matched: private',
      decidedBy: d.decidedBy,
      visibilityReason: describeDecision(d),
    };
  };
  let decision = decide(placeholderKey);

  const results: StoreResult[] = o.targets.map((t) =>
    t.unavailable !== undefined ? { store: t.name, outcome: 'failed', reason: t.unavailable } : { store: t.name, outcome: 'planned' },
  );
  const result: FileResult = { file: file.path, key: placeholderKey, size: file.size, ...decision, parts, stores: results, ok: false };

  if (o.dryRun) {
    events.info(`${file.name} -> ${placeholderKey}: ${fmtBytes(file.size)}, ${parts} part(s), ${decision.visibilityReason}, to ${o.targets.length} store(s)`);
    for (const r of results) r.anonymous = 'n/a';
    return result;
  }

  // Small files: one buffer, one read, hashed once before anything is sent (the whole file is its
  // only part). Large files: the name promises the sha256 and the content is checked while it
  // streams, or a hashing pass learns it (and each part's digest, so the upload pass hashes nothing).
  let body: Buffer | undefined;
  let bodyDigest: Buffer | undefined;
  let partDigests: readonly Buffer[] | undefined;
  let sha256: string | undefined;
  if (!multipart) {
    const chunks: Buffer[] = [];
    for await (const c of o.readChunks(file.path, file.size, Math.max(file.size, 1))) chunks.push(c);
    body = Buffer.concat(chunks);
    bodyDigest = createHash('sha256').update(body).digest();
    sha256 = bodyDigest.toString('hex');
  } else if (promised !== undefined) {
    sha256 = promised;
  } else {
    events.info(`${file.name}: hashing ${fmtBytes(file.size)} (its name promises no sha256)`);
    const digests = await o.hashFile(file.path, file.size, multipart.partSize);
    sha256 = digests.sha256;
    partDigests = digests.parts;
  }
  if (key === undefined) {
    key = renderKey(o.keyTemplate, file.name, sha256);
    decision = decide(key);
    Object.assign(result, decision);
  }
  const mismatch = (actual: string) =>
    new ContentMismatchError(`${quote(file.path)}: the name ${quote(key!)} promises sha256 ${promised} but the content's sha256 is ${actual}; nothing was written`);
  if (promised !== undefined && !multipart && sha256 !== promised) throw mismatch(sha256!);
  (result as { key: string }).key = key;
  result.sha256 = sha256;
  const contentType = o.contentType ?? contentTypeByName(file.name);
  events.info(`${file.name} -> ${key}: ${decision.visibilityReason}; Content-Type ${contentType}${o.cacheControl !== undefined ? `, Cache-Control ${o.cacheControl}` : ''}`);

  const writeOptions: WriteOptions = {
    contentType,
    cacheControl: o.cacheControl,
    metadata: { sha256: sha256! },
    visibility: decision.visibility,
  };

  // Which stores already hold exactly this content?
  const todo: { target: UploadTarget; result: StoreResult }[] = [];
  await Promise.all(
    o.targets.map(async (target, i) => {
      const r = results[i]!;
      if (r.outcome === 'failed') return;
      if (decision.visibility === 'private') {
        const refusal = await policyRefusal(target, key!, events);
        if (refusal !== undefined) {
          r.outcome = 'failed';
          r.reason = refusal;
          events.warning(`${target.name}: ${key}: ${refusal}`);
          return;
        }
      }
      if (multipart) await abortStale(target, key!, o.staleBefore!, events);
      try {
        const head = await target.store.head(key!);
        // The same content written with the same visibility and headers is kept; a copy whose
        // private marker disagrees with this decision (a public copy of a private file, say) is
        // written again, and so is one served with other headers than asked for now.
        if (head && head.size === file.size && head.metadata.sha256 === sha256 && markedPrivate(head.metadata) === (decision.visibility === 'private')) {
          const differ = headerChanges(head, writeOptions);
          if (differ === undefined) {
            r.outcome = 'skipped';
            r.reason = 'already holds this sha256';
            events.info(`${target.name}: ${key} already there with the same sha256, skipped`);
          } else {
            r.reason = `written again: same sha256, but ${differ}`;
            events.info(`${target.name}: ${key} already there with the same sha256, but ${differ}: written again`);
            todo.push({ target, result: r });
          }
        } else todo.push({ target, result: r });
      } catch (e) {
        fail(r, e, events, target.name, key!);
      }
    }),
  );

  // The ETag each store reported for what it received, to hold the object against afterwards.
  const expectedEtags = new Map<StoreResult, string | undefined>();
  if (todo.length > 0) {
    if (multipart) {
      const written = await writeMultipart(o, file, key, multipart.partSize, writeOptions, todo, partDigests, expectedEtags);
      // Undefined when every store failed before the whole file was read: nothing to compare then.
      if (written !== undefined && promised !== undefined && written !== promised) throw mismatch(written);
    } else {
      await Promise.all(
        todo.map(async ({ target, result: r }) => {
          try {
            expectedEtags.set(r, (await target.store.put(key!, body!, bodyDigest!, writeOptions)).etag);
            r.outcome = 'uploaded';
          } catch (e) {
            fail(r, e, events, target.name, key!);
          }
        }),
      );
    }
  }

  // Verify what each store now holds, and what a stranger can read.
  await Promise.all(
    o.targets.map(async (target, i) => {
      const r = results[i]!;
      if (r.outcome === 'failed') return;
      try {
        const head = await target.store.head(key!);
        const expectedEtag = expectedEtags.get(r);
        const problem = !head
          ? 'object missing after upload'
          : head.size !== file.size
            ? `size ${head.size} differs from ${file.size}`
            : head.metadata.sha256 !== sha256
              ? `sha256 metadata ${head.metadata.sha256 ?? '(none)'} differs from ${sha256}`
              : expectedEtag !== undefined && isMd5Etag(head.etag) && head.etag !== expectedEtag
                ? `ETag ${head.etag} differs from ${expectedEtag}, which the parts written make`
                : undefined;
        if (problem) {
          r.outcome = 'failed';
          r.reason = `verification failed: ${problem}`;
          events.warning(`${target.name}: ${key}: ${r.reason}`);
          return;
        }
        // The content is right; headers the store did not keep as sent are worth a person's look
        // (every later run would write the object again), not a failure.
        const served = r.outcome === 'uploaded' ? headerChanges(head!, writeOptions) : undefined;
        if (served !== undefined) events.warning(`${target.name}: ${key}: written, but the store serves it with other headers: ${served}; later runs will write it again`);
      } catch (e) {
        fail(r, e, events, target.name, key!);
        return;
      }
      const check = await checkWritten(target.store, key!, decision.visibility, o.probe);
      r.url = check.url;
      r.anonymous = check.access === 'readable' || check.access === 'denied' || check.access === 'n/a' ? check.access : 'unknown';
      // Fail closed: only the answer that shows the visibility passes; a 404 or a failed request does not.
      if (check.verdict !== 'ok') {
        r.outcome = 'failed';
        r.reason = check.reason;
      }
      if (r.outcome === 'failed') events.warning(`${target.name}: ${key}: ${r.reason}`);
    }),
  );
  for (const r of results) {
    if (r.outcome !== 'failed') events.info(`${r.store}: ${key} ${r.outcome}, verified (size, sha256${expectedEtags.get(r) ? ', ETag' : ''}), anonymous ${r.anonymous}`);
  }
  return result;
}

/**
 * Reads the file once and writes each part to every store in `todo`, each part signed with its
 * SHA-256 (from `knownParts`, or computed here once for all stores). Returns the content's sha256
 * as streamed (`undefined` when it was known beforehand, or when every store failed before the whole
 * file was read), and records in `etags` the ETag each completed store's object must have.
 * Every store's upload ends completed or aborted, whatever happens.
 */
async function writeMultipart(
  o: UploadImagesOptions,
  file: SourceFile,
  key: string,
  partSize: number,
  options: WriteOptions,
  todo: { target: UploadTarget; result: StoreResult }[],
  knownParts: readonly Buffer[] | undefined,
  etags: Map<StoreResult, string | undefined>,
): Promise<string | undefined> {
  const { events } = o;
  interface Active {
    target: UploadTarget;
    result: StoreResult;
    write?: MultipartWrite;
    error?: unknown;
  }
  const active: Active[] = todo.map((t) => ({ ...t }));
  // Registered before any upload exists, and waiting for uploads still being created, so an
  // interrupt at any moment leaves none open on a server.
  const starting = active.map(async (a) => {
    try {
      a.write = await a.target.store.startMultipart(key, options);
    } catch (e) {
      a.error = e;
    }
  });
  const abortAll = async () => {
    await Promise.allSettled(starting);
    await Promise.all(active.map((a) => a.write?.abort().catch(() => undefined)));
  };
  const unregister = o.onInterrupt?.(abortAll) ?? (() => undefined);
  await Promise.all(starting);

  // Without known part digests, a worker hashes each part and the whole file as the parts go by.
  const hasher = knownParts === undefined ? new HashWorker() : undefined;
  let inFlight = 0;
  let done = 0;
  const waiters: (() => void)[] = [];
  const pending = new Set<Promise<void>>();
  // Part buffers are reused once every store is done with them: memory stays at
  // (concurrency + 1) parts, however large the file and however slowly the garbage collector runs.
  // They are shared memory, so the hashing worker reads them without a copy.
  const pool: Buffer[] = [];
  const take = () => pool.pop() ?? sharedBuffer(partSize);
  events.progress(file.name, 0, file.size);
  try {
    let partNumber = 0;
    for await (const chunk of o.readChunks(file.path, file.size, partSize, take)) {
      if (active.every((a) => a.error !== undefined)) break;
      partNumber++;
      // Hashing starts at once, in order (the whole file's sha256 depends on it); the part is sent
      // when its digest is known, so reading the next part overlaps hashing this one.
      const digest = knownParts !== undefined ? Promise.resolve(knownParts[partNumber - 1]!) : hasher!.digest(chunk, true);
      while (inFlight >= o.concurrency) await new Promise<void>((r) => waiters.push(r));
      inFlight++;
      const n = partNumber;
      const p = digest.then(
        (d) =>
          Promise.all(
            active.map(async (a) => {
              if (a.error !== undefined || !a.write) return;
              try {
                await a.write.writePart(n, chunk, d);
              } catch (e) {
                a.error ??= e;
              }
            }),
          ),
        (e: unknown) => {
          for (const a of active) a.error ??= e;
        },
      ).then(() => {
        inFlight--;
        done += chunk.length;
        if (chunk.byteOffset + partSize <= chunk.buffer.byteLength) pool.push(Buffer.from(chunk.buffer, chunk.byteOffset, partSize));
        events.progress(file.name, done, file.size);
        waiters.shift()?.();
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await Promise.all(pending);
    if (active.every((a) => a.error !== undefined)) return undefined;
    const digest = await hasher?.finish();
    if (digest !== undefined && digest !== options.metadata?.sha256) {
      // The name promised other content: nothing may become visible.
      await abortAll();
      return digest;
    }
    await Promise.all(
      active.map(async (a) => {
        if (a.error !== undefined || !a.write) return;
        try {
          etags.set(a.result, (await a.write.complete()).etag);
          a.result.outcome = 'uploaded';
        } catch (e) {
          a.error = e;
        }
      }),
    );
    return digest;
  } finally {
    // Whatever failed is aborted here, after its in-flight parts settled, so no part outlives it.
    await Promise.all(pending);
    await hasher?.close();
    await Promise.all(
      active.map(async (a) => {
        if (a.error === undefined) return;
        await a.write?.abort().catch((e) => events.warning(`${a.target.name}: aborting the upload of ${key} failed: ${String(e)}`));
        fail(a.result, a.error, events, a.target.name, key);
      }),
    );
    unregister();
  }
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

/** Aborts what a killed earlier run left open for `key` on a store; a failure only warns. */
async function abortStale(target: UploadTarget, key: string, before: Date, events: UploadEvents): Promise<void> {
  if (!target.store.abortStaleUploads) return;
  try {
    const aborted = await target.store.abortStaleUploads(key, before);
    if (aborted.length > 0) {
      events.info(
        `${target.name}: ${key}: aborted ${aborted.length} multipart upload(s) left open by an earlier run (initiated ${aborted.map((u) => u.initiated.toISOString()).join(', ')})`,
      );
    }
  } catch (e) {
    events.warning(`${target.name}: ${key}: could not look for multipart uploads left open by an earlier run: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Stores whose policy could not be read were warned about once. */
const warnedUnknownPolicy = new WeakSet<ObjectStore>();

/**
 * Why a private object must not be written to this store, or `undefined`. A bucket policy that lets
 * strangers read the key would expose the object the moment it exists, whatever its ACL says.
 */
async function policyRefusal(target: UploadTarget, key: string, events: UploadEvents): Promise<string | undefined> {
  const guard = await guardPrivateWrite(target.store, key);
  if (guard.verdict === 'unknown' && !warnedUnknownPolicy.has(target.store)) {
    warnedUnknownPolicy.add(target.store);
    events.warning(`${target.name}: cannot read the bucket policy (${guard.reason}); private objects are checked with an anonymous request after upload`);
  }
  if (guard.verdict !== 'refuse') return undefined;
  return guard.reason.replace(/^not written:/, 'not uploaded:');
}

function fail(r: StoreResult, e: unknown, events: UploadEvents, store: string, key: string): void {
  r.outcome = 'failed';
  r.reason = e instanceof StoreError ? e.message : e instanceof Error ? e.message : String(e);
  events.warning(`${store}: ${key}: ${r.reason}`);
}
