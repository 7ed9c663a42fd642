/**
 * One HTTP exchange of the lean client on the client's own keep-alive agents and timeouts, and the
 * reading of an answer's body.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { ClientWiring } from './client';
import type { SignedRequest } from './lean-sign';
import { timeoutError } from './lean-errors';
import { writeInSlices } from './body-slices';

/**
 * Sends one request (a PUT carries `body`, written in slices: `body-slices.ts`); resolves as soon as the answer's headers
 * arrive, its body still to be read, and rejects on network faults and timeouts.
 */
export function sendOnce(signed: SignedRequest, wiring: ClientWiring, body?: Buffer): Promise<http.IncomingMessage> {
  const { address } = signed;
  return new Promise((resolve, reject) => {
    const mod = address.protocol === 'https:' ? https : http;
    const req = mod.request(
      {
        method: signed.method,
        protocol: address.protocol,
        hostname: address.hostname,
        port: address.port,
        path: address.path,
        headers: signed.headers,
        agent: address.protocol === 'https:' ? wiring.agents.https : wiring.agents.http,
        timeout: wiring.idleTimeoutMs,
      },
      resolve,
    );
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(timeoutError(`no connection within ${wiring.connectTimeoutMs} ms`)), wiring.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    // Also while the body streams: a stalled body fails its reader instead of hanging.
    req.on('timeout', () => req.destroy(timeoutError(`no byte for ${wiring.idleTimeoutMs} ms`)));
    req.on('error', reject);
    // A large body in slices with backpressure: one large write costs TLS several times the CPU.
    writeInSlices(req, body);
  });
}

/**
 * An answer's body as text, keeping at most `limit` bytes (the rest is read and dropped, so the
 * socket goes back to the pool): an error document or an upload's empty answer is small.
 */
export async function readText(res: http.IncomingMessage, limit = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    if (size < limit) chunks.push(c as Buffer);
    size += (c as Buffer).length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A listing page of 1,000 keys of 1,024 bytes, each URL-encoded, fits well within this. */
export const MAX_LIST_BODY = 32 * 1024 * 1024;

/** An answer's whole body; throws when it is longer than `limit` bytes rather than keep part of it. */
export async function readBody(res: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error(`an answer body longer than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
