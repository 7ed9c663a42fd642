/**
 * Large bodies reach the TLS socket in slices, on both wires, and a retried request sends its whole
 * body again, byte for byte. Against a local HTTPS server (throwaway CA) that records every body it
 * reads, with the client's socket writes counted on its own https agent.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type * as tls from 'node:tls';
import { Writable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3Bucket } from '../../src/s3/bucket';
import { SLICE_BYTES, sliceStream, writeInSlices } from '../../src/s3/body-slices';
import { clientWiring, createS3Client, type Wire } from '../../src/s3/client';
import { makeTestPki, type TestPki } from '../helpers/test-pki';

const KEYS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

/** What the server read of one request. */
interface Received {
  readonly url: string;
  readonly bytes: Buffer;
  /** The server cut the connection after reading this much. */
  readonly cut: boolean;
}

let pki: TestPki;
let server: https.Server;
let endpoint: string;
let received: Received[];
/** Cut the connection of request number n (1-based) once it has sent this many body bytes. */
let cutAt: (n: number) => number | undefined;

beforeAll(async () => {
  pki = makeTestPki();
  server = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
    const n = received.length + 1;
    const cut = cutAt(n);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const record = (wasCut: boolean) => {
      if (done) return;
      done = true;
      received.push({ url: req.url ?? '', bytes: Buffer.concat(chunks), cut: wasCut });
    };
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (cut !== undefined && size >= cut) {
        record(true);
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      record(false);
      res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  received = [];
  cutAt = () => undefined;
});

const clients: S3Client[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.destroy()));

/** A client of the local server, and the sizes of the Buffers its https agent's sockets were asked to write. */
function client(wire: Wire): { bucket: S3Bucket; writes: number[] } {
  const c = createS3Client({ provider: 'generic', endpoint, region: 'us-east-1', credentials: KEYS, maxSockets: 2, maxAttempts: 3, wire, ca: pki.ca, idleTimeoutMs: 5_000 });
  clients.push(c);
  const writes: number[] = [];
  const agent = clientWiring(c)!.agents.https as https.Agent & { createConnection: (...a: unknown[]) => tls.TLSSocket };
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (...a: unknown[]) => {
    const socket = connect(...a);
    const write = socket.write.bind(socket) as (...w: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk instanceof Uint8Array) writes.push(chunk.byteLength);
      return write(chunk, ...rest);
    }) as typeof socket.write;
    return socket;
  };
  return { bucket: new S3Bucket(c, 'bkt', 's3://bkt'), writes };
}

const BODY = randomBytes(6 * SLICE_BYTES + 12_345);

/** Each way a large body is written, by which wire. */
const SENDS: [string, Wire, (b: S3Bucket, body: Buffer) => Promise<unknown>][] = [
  ['PutObject, lean wire', 'lean', (b, body) => b.put('big', body, sha(body), {})],
  ['PutObject, SDK wire', 'sdk', (b, body) => b.put('big', body, sha(body), {})],
  ['UploadPart (always the SDK)', 'lean', (b, body) => b.uploadPart('big', 'upload-1', 3, body, sha(body))],
];

describe.each(SENDS)('%s over HTTPS', (_name, wire, send) => {
  test('the body reaches the socket in slices of at most SLICE_BYTES, and arrives whole', async () => {
    const { bucket, writes } = client(wire);
    await send(bucket, BODY);
    expect(received).toHaveLength(1);
    expect(received[0].bytes.equals(BODY)).toBe(true);
    // Headers and the body's slices: none as large as the body, the body's bytes all written.
    expect(Math.max(...writes)).toBeLessThanOrEqual(SLICE_BYTES);
    expect(writes.filter((w) => w === SLICE_BYTES)).toHaveLength(6);
    expect(writes.reduce((a, w) => a + w, 0)).toBeGreaterThanOrEqual(BODY.length);
  });

  test('a connection cut halfway through the body: the retry sends the whole body again, byte-exact', async () => {
    const { bucket } = client(wire);
    cutAt = (n) => (n === 1 ? 2 * SLICE_BYTES + 7 : undefined);
    await send(bucket, BODY);
    expect(received.map((r) => r.cut)).toEqual([true, false]);
    expect(received[0].bytes.length).toBeLessThan(BODY.length);
    expect(received[1].bytes.length).toBe(BODY.length);
    expect(sha(received[1].bytes).equals(sha(BODY))).toBe(true);
  });

  test('a small body is written in one piece, unchanged', async () => {
    const { bucket } = client(wire);
    const small = randomBytes(1000);
    await send(bucket, small);
    expect(received[0].bytes.equals(small)).toBe(true);
  });
});

describe('the slicing itself', () => {
  test('sliceStream: views of the body (no copies), in order, each at most the slice size', async () => {
    const body = randomBytes(10_000);
    const parts: Buffer[] = [];
    for await (const c of sliceStream(body, 3_000)) parts.push(c as Buffer);
    expect(parts.map((p) => p.length)).toEqual([3_000, 3_000, 3_000, 1_000]);
    expect(parts.every((p) => p.buffer === body.buffer)).toBe(true);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
  });

  test('sliceStream of a Uint8Array view that starts inside its buffer', async () => {
    const whole = randomBytes(9_000);
    const body = new Uint8Array(whole.buffer, whole.byteOffset + 1_000, 7_000);
    const parts: Buffer[] = [];
    for await (const c of sliceStream(body, 2_000)) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(whole.subarray(1_000, 8_000))).toBe(true);
  });

  test('writeInSlices waits for drain between slices and ends the stream', async () => {
    const body = randomBytes(10_000);
    const seen: number[] = [];
    let inFlight = 0;
    let most = 0;
    const out = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        seen.push(chunk.length);
        inFlight++;
        most = Math.max(most, inFlight);
        setImmediate(() => {
          inFlight--;
          cb();
        });
      },
    });
    const finished = new Promise((r) => out.on('finish', r));
    writeInSlices(out, body, 4_000);
    await finished;
    expect(seen).toEqual([4_000, 4_000, 2_000]);
    // Backpressure: never more than one slice queued behind the one being written.
    expect(out.writableLength).toBe(0);
    expect(most).toBe(1);
  });
});
