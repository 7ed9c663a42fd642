/** Reads a local file as a sequence of part-sized buffers, each freshly allocated (they outlive the read). */
import * as fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { HashWorker, sharedBuffer } from './hash-worker';

/**
 * Yields `size` bytes of `file` in buffers of `chunkSize` (the last may be shorter). Fails if the
 * file shrinks. `take` supplies the memory for each chunk (at least `chunkSize` bytes), so a caller
 * can reuse buffers it is done with instead of leaving one per chunk to the garbage collector.
 */
export async function* readChunks(
  file: string,
  size: number,
  chunkSize: number,
  take: () => Buffer = () => Buffer.allocUnsafe(chunkSize),
): AsyncGenerator<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    let offset = 0;
    while (offset < size) {
      const want = Math.min(chunkSize, size - offset);
      const buf = take().subarray(0, want);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await handle.read(buf, filled, want - filled, offset + filled);
        if (bytesRead === 0) throw new Error(`${file} became shorter while it was read (${offset + filled} of ${size} bytes)`);
        filled += bytesRead;
      }
      offset += want;
      yield buf;
    }
  } finally {
    await handle.close();
  }
}

/**
 * The sha256 of a file (hex) and the SHA-256 of each `partSize` piece of it, from one read. The two
 * run side by side: the whole file on this thread, the pieces in a worker (nothing else is using the
 * CPU yet: no upload has started).
 */
export async function hashFile(file: string, size: number, partSize: number): Promise<{ sha256: string; parts: Buffer[] }> {
  const whole = createHash('sha256');
  const parts: Buffer[] = [];
  const worker = new HashWorker();
  // Each chunk is hashed before the next is read: one buffer serves them all.
  const buffer = sharedBuffer(Math.min(partSize, Math.max(size, 1)));
  try {
    for await (const chunk of readChunks(file, size, partSize, () => buffer)) {
      const part = worker.digest(chunk, false);
      whole.update(chunk);
      parts.push(await part);
    }
  } finally {
    await worker.close();
  }
  return { sha256: whole.digest('hex'), parts };
}
