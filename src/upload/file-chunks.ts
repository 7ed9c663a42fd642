/** Reads a local file as a sequence of part-sized buffers, each freshly allocated (they outlive the read). */
import * as fs from 'node:fs/promises';
import { createHash } from 'node:crypto';

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

/** The sha256 of a file (hex) and the SHA-256 of each `partSize` piece of it, from one read. */
export async function hashFile(file: string, size: number, partSize: number): Promise<{ sha256: string; parts: Buffer[] }> {
  const whole = createHash('sha256');
  const parts: Buffer[] = [];
  // Each chunk is hashed before the next is read: one buffer serves them all.
  const buffer = Buffer.allocUnsafe(Math.min(partSize, size));
  for await (const chunk of readChunks(file, size, partSize, () => buffer)) {
    whole.update(chunk);
    parts.push(createHash('sha256').update(chunk).digest());
  }
  return { sha256: whole.digest('hex'), parts };
}
