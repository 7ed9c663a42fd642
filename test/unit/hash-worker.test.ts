import { createHash, randomBytes } from 'node:crypto';
import { HashWorker, sharedBuffer } from '../../src/upload/hash-worker';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

test('parts are hashed in a worker from shared memory, and in order they make the whole file', async () => {
  const w = new HashWorker();
  try {
    const parts = [randomBytes(1000), randomBytes(70000), randomBytes(3)].map((b) => {
      const s = sharedBuffer(b.length + 10).subarray(5, 5 + b.length);
      b.copy(s);
      return s;
    });
    const digests = await Promise.all(parts.map((p) => w.digest(p, true)));
    expect(digests.map((d) => d.toString('hex'))).toEqual(parts.map((p) => sha(p).toString('hex')));
    expect(await w.finish()).toBe(createHash('sha256').update(Buffer.concat(parts)).digest('hex'));
    // After finish the whole-file state starts again; parts given without `whole` do not count.
    await w.digest(parts[0]!, false);
    expect(await w.finish()).toBe(createHash('sha256').digest('hex'));
  } finally {
    await w.close();
  }
});

test('a part outside shared memory is refused rather than silently copied', async () => {
  const w = new HashWorker();
  try {
    expect(() => w.digest(Buffer.alloc(10), false)).toThrow(/shared memory/);
  } finally {
    await w.close();
  }
});
