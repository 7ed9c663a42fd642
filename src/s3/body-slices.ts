/**
 * Large request bodies go to the socket in slices. Node writes one large Buffer to a TLS socket at
 * several times the CPU of the same bytes written in pieces (measured on Node 24: eight 64 MiB
 * bodies cost 3.5 s of client CPU as eight writes, about a fifth of that in 1 MiB pieces), and a
 * multipart part or a whole-object PUT is one such Buffer. The slices are views of the body (no
 * copy), and each attempt of a request makes its own, so a retry sends the whole body again.
 */
import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';

/** Bytes per slice: large enough that the per-write cost is nothing, small enough for TLS to stay cheap. */
export const SLICE_BYTES = 1024 * 1024;

/** Whether `body` is a byte body large enough to be sent in slices. */
export function wantsSlices(body: unknown, slice = SLICE_BYTES): body is Uint8Array {
  return body instanceof Uint8Array && body.byteLength > slice;
}

function view(body: Uint8Array, start: number, end: number): Buffer {
  return Buffer.from(body.buffer, body.byteOffset + start, end - start);
}

/** A fresh stream of `body` in slices of `slice` bytes, each a view of it, read as the consumer asks. */
export function sliceStream(body: Uint8Array, slice = SLICE_BYTES): Readable {
  let offset = 0;
  return new Readable({
    highWaterMark: slice,
    read() {
      while (offset < body.byteLength) {
        const end = Math.min(offset + slice, body.byteLength);
        const more = this.push(view(body, offset, end));
        offset = end;
        if (!more) return;
      }
      this.push(null);
    },
  });
}

/**
 * Writes `body` to `out` and ends it: in slices of `slice` bytes, each written when the one before
 * has drained, or in one write when it is small. Stops writing once `out` is destroyed (its error
 * is the caller's to see).
 */
export function writeInSlices(out: Writable, body: Uint8Array | undefined, slice = SLICE_BYTES): void {
  if (body === undefined || !wantsSlices(body, slice)) {
    out.end(body);
    return;
  }
  let offset = 0;
  const next = (): void => {
    while (offset < body.byteLength) {
      if (out.destroyed) return;
      const end = Math.min(offset + slice, body.byteLength);
      const more = out.write(view(body, offset, end));
      offset = end;
      if (!more) {
        out.once('drain', next);
        return;
      }
    }
    out.end();
  };
  next();
}
