import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { hashFile } from '../../src/upload/file-chunks';

/** The reference: the whole file and each `partSize` slice of it, hashed from one buffer. */
function reference(content: Buffer, partSize: number): { sha256: string; parts: string[] } {
  const parts: string[] = [];
  for (let o = 0; o < content.length; o += partSize) parts.push(createHash('sha256').update(content.subarray(o, o + partSize)).digest('hex'));
  return { sha256: createHash('sha256').update(content).digest('hex'), parts };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hash-file-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the hashing pass gives the sha256 of the file and of each part, whatever the sizes of file, part and piece', async () => {
  let n = 0;
  // How the cases fell: pieces that end inside a part, parts that end inside a piece's reach, ...
  const seen = { piecesPerPartAbove1: 0, partsAbove4: 0, lastPartShort: 0, pieceAbovePart: 0 };
  await fc.assert(
    fc.asyncProperty(
      // Small files in tiny pieces and parts, and larger ones (at most a few hundred pieces each).
      fc.oneof(
        fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 60 })),
        fc.tuple(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 1_000, max: 20_000 }), fc.integer({ min: 300, max: 25_000 })),
      ),
      fc.integer(),
      async ([size, partSize, pieceSize], seed) => {
        const content = Buffer.alloc(size);
        for (let i = 0, x = seed | 1; i < size; i++) content[i] = (x = (x * 1103515245 + 12345) | 0) >>> 24;
        const file = path.join(dir, `f${n++}`);
        fs.writeFileSync(file, content);
        // A longer file than `size` says must not change anything: only `size` bytes are read.
        fs.appendFileSync(file, 'tail');
        const got = await hashFile(file, size, partSize, pieceSize);
        fs.rmSync(file);
        if (pieceSize < partSize && size > pieceSize) seen.piecesPerPartAbove1++;
        if (size > 4 * partSize) seen.partsAbove4++;
        if (size % partSize !== 0) seen.lastPartShort++;
        if (pieceSize > partSize) seen.pieceAbovePart++;
        expect({ sha256: got.sha256, parts: got.parts.map((d) => d.toString('hex')) }).toEqual(reference(content, partSize));
      },
    ),
    { numRuns: 120 },
  );
  // The generator must reach every kind of case often enough to mean something.
  for (const [kind, count] of Object.entries(seen)) expect([kind, count > 20]).toEqual([kind, true]);
}, 120_000);

test('a file that ends before its size fails the pass with the file named, and every read and the worker end', async () => {
  for (const [size, partSize, pieceSize] of [
    [10_000, 3_000, 500],
    [10_000, 3_000, 3_000],
    [10_000, 20_000, 7],
  ] as const) {
    const file = path.join(dir, 'short');
    fs.writeFileSync(file, Buffer.alloc(size - 1, 7));
    await expect(hashFile(file, size, partSize, pieceSize)).rejects.toThrow(`${file} became shorter while it was read (${size - 1} of ${size} bytes)`);
    fs.rmSync(file);
  }
});
