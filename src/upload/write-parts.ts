/**
 * The multipart write of `upload-image`: the file is read once and each part goes to every store
 * at the same time (the fan-out writer of the operations layer), each part signed with its SHA-256.
 */
import { sharedBuffer, HashWorker } from './hash-worker';
import { MultipartFanOut } from '../operations/multipart-fan-out';
import type { WriteOptions } from '../storage/object-store';
import type { SourceFile } from './files';
import { fail, type StoreTodo } from './store-steps';
import type { StoreResult, UploadImagesOptions } from './upload-types';

/**
 * Writes each part to every store in `todo`, with the SHA-256 of each part from `knownParts`, or
 * computed here once for all stores. Returns the content's sha256 as streamed (`undefined` when it
 * was known beforehand, or when every store failed before the whole file was read), and records in
 * `etags` the ETag each completed store's object must have. Every store's upload ends completed or
 * aborted, whatever happens; a content that differs from `options.metadata.sha256` is completed nowhere.
 */
export async function writeMultipart(
  o: UploadImagesOptions,
  file: SourceFile,
  key: string,
  partSize: number,
  options: WriteOptions,
  todo: readonly StoreTodo[],
  knownParts: readonly Buffer[] | undefined,
  etags: Map<StoreResult, string | undefined>,
): Promise<string | undefined> {
  const fan = await MultipartFanOut.start(todo, (t) => t.target.store, key, options, { partsInFlight: o.concurrency, onInterrupt: o.onInterrupt });
  // Without known part digests, a worker hashes each part and the whole file as the parts go by.
  const hasher = knownParts === undefined ? new HashWorker() : undefined;
  try {
    await sendParts(o, file, partSize, fan, (n, chunk) => (knownParts !== undefined ? Promise.resolve(knownParts[n - 1]!) : hasher!.digest(chunk, true)));
    if (!fan.live) return undefined;
    const digest = await hasher?.finish();
    if (digest !== undefined && digest !== options.metadata?.sha256) {
      // The name promised other content: nothing may become visible.
      await fan.abortOpen();
      return digest;
    }
    await fan.complete();
    for (const w of fan.writes) {
      if (!w.completed) continue;
      etags.set(w.target.result, w.completed.etag);
      w.target.result.outcome = 'uploaded';
    }
    return digest;
  } finally {
    // Whatever failed is aborted here, after its in-flight parts settled, so no part outlives it.
    await fan.drain().catch(() => undefined);
    await hasher?.close();
    const abortFailures = await fan.close();
    for (const w of fan.writes) {
      const name = w.target.target.name;
      const bad = abortFailures.find((f) => f.target === w.target);
      if (bad) o.events.warning(`${name}: aborting the upload of ${key} failed: ${String(bad.error)}`);
      if (w.error !== undefined) fail(w.target.result, w.error, o.events, name, key);
    }
  }
}

/**
 * Reads the file once and hands each part to the fan-out. Part buffers are reused once every store
 * is done with them: memory stays at (concurrency + 1) parts, however large the file and however
 * slowly the garbage collector runs. They are shared memory, so the hashing worker reads them
 * without a copy. Hashing starts at once, in order (the whole file's sha256 depends on it); the part
 * is sent when its digest is known, so reading the next part overlaps hashing this one.
 */
async function sendParts(
  o: UploadImagesOptions,
  file: SourceFile,
  partSize: number,
  fan: MultipartFanOut<StoreTodo>,
  digestOf: (partNumber: number, chunk: Buffer) => Promise<Buffer>,
): Promise<void> {
  const pool: Buffer[] = [];
  const take = () => pool.pop() ?? sharedBuffer(partSize);
  let done = 0;
  let partNumber = 0;
  o.events.progress(file.name, 0, file.size);
  for await (const chunk of o.readChunks(file.path, file.size, partSize, take)) {
    if (!fan.live) break;
    const digest = digestOf(++partNumber, chunk);
    await fan.send(partNumber, chunk, digest, () => {
      done += chunk.length;
      if (chunk.byteOffset + partSize <= chunk.buffer.byteLength) pool.push(Buffer.from(chunk.buffer, chunk.byteOffset, partSize));
      o.events.progress(file.name, done, file.size);
    });
  }
  await fan.drain();
}
