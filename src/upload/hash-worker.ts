/**
 * SHA-256 off the main thread. Hashing a 2 GiB image costs seconds of CPU; on the main thread it
 * stalls the event loop, and with it every socket the parts are being written to. A worker hashes
 * each part (and, in order, the whole file) from shared memory, so nothing is copied and the main
 * thread keeps the uploads moving.
 */
import { Worker } from 'node:worker_threads';

// The worker is a few lines of plain JavaScript evaluated in place, so the bundle needs no
// second entry file. Messages: {id, buffer, offset, length, whole} -> {id, digest};
// {id, buffer, offset, length, piece, end} -> {id, digest (with end)}; {finish} -> {whole}.
// Every answer comes after the worker is done with the bytes: the sender may then reuse them.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let whole = createHash('sha256');
let part;
parentPort.on('message', (m) => {
  if (m.finish) {
    parentPort.postMessage({ finish: true, whole: whole.digest('hex') });
    whole = createHash('sha256');
    return;
  }
  const view = new Uint8Array(m.buffer, m.offset, m.length);
  if (m.piece) {
    (part ??= createHash('sha256')).update(view);
    const digest = m.end ? part.digest() : undefined;
    if (m.end) part = undefined;
    parentPort.postMessage({ id: m.id, digest });
    return;
  }
  if (m.whole) whole.update(view);
  parentPort.postMessage({ id: m.id, digest: createHash('sha256').update(view).digest() });
});
`;

/** Allocates a buffer the worker can read without a copy. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/**
 * Hashes parts in a worker thread. Parts must live in memory from {@link sharedBuffer} and must
 * not change until their digest resolves. With `whole`, the parts given to {@link digest} in order
 * also make up the whole file's sha256, returned by {@link finish}.
 */
export class HashWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (d: Buffer | undefined) => void; reject: (e: Error) => void }>();
  private finishing?: { resolve: (hex: string) => void; reject: (e: Error) => void };
  private next = 0;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { id?: number; digest?: Uint8Array; finish?: boolean; whole?: string }) => {
      if (m.finish) {
        this.finishing?.resolve(m.whole!);
        this.finishing = undefined;
        return;
      }
      const p = this.pending.get(m.id!);
      this.pending.delete(m.id!);
      p?.resolve(m.digest === undefined ? undefined : Buffer.from(m.digest));
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', (code) => this.failAll(new Error(`the hashing worker exited (${code})`)));
  }

  /** The SHA-256 of `part`; with `whole`, `part` is also the next piece of the whole file. */
  digest(part: Buffer, whole: boolean): Promise<Buffer> {
    return this.post(part, { whole }) as Promise<Buffer>;
  }

  /**
   * Feeds `piece`, the next bytes of a part, to the part's hash; with `end` it is the part's last
   * piece and the promise resolves to the part's SHA-256 (the next piece starts a new part).
   * Resolves once the worker is done with `piece`, so its memory may then be reused.
   */
  piece(piece: Buffer, end: boolean): Promise<Buffer | undefined> {
    return this.post(piece, { piece: true, end });
  }

  /** The sha256 (hex) of everything given with `whole`, after every digest before it. */
  finish(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.finishing = { resolve, reject };
      this.worker.postMessage({ finish: true });
    });
  }

  private post(bytes: Buffer, how: { whole?: boolean; piece?: boolean; end?: boolean }): Promise<Buffer | undefined> {
    if (!(bytes.buffer instanceof SharedArrayBuffer)) throw new Error('HashWorker needs parts in shared memory (sharedBuffer)');
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, buffer: bytes.buffer, offset: bytes.byteOffset, length: bytes.length, ...how });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.finishing?.reject(e);
    this.finishing = undefined;
  }
}
