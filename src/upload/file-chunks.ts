/** Reads a local file as a sequence of part-sized buffers, each freshly allocated (they outlive the read). */
import * as fs from 'node:fs/promises';
import { createHash } from 'node:crypto';

/** Yields `size` bytes of `file` in buffers of `chunkSize` (the last may be shorter). Fails if the file shrinks. */
export async function* readChunks(file: string, size: number, chunkSize: number): AsyncGenerator<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    let offset = 0;
    while (offset < size) {
      const want = Math.min(chunkSize, size - offset);
      const buf = Buffer.allocUnsafe(want);
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

/** The sha256 of a file, hex, read in large blocks. */
export async function hashFile(file: string, size: number): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of readChunks(file, size, 8 * 1024 * 1024)) h.update(chunk);
  return h.digest('hex');
}
