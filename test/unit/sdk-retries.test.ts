/**
 * AWS_MAX_ATTEMPTS and AWS_RETRY_MODE apply to both wires, and retries never stack: against a
 * local server that answers every request 500, and one that takes connections and never answers
 * (each attempt then fails on the idle timeout), a PUT, a GET and a listing page are sent exactly
 * the configured number of times, on the lean wire and on the SDK wire alike, for each retry mode.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createS3Client, type Wire } from '../../src/s3/client';
import { S3Bucket } from '../../src/s3/bucket';
import { useEmptyAwsEnvironment } from '../helpers/aws-env';

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const body = Buffer.from('x');
const digest = Buffer.from('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'hex');

let failing: http.Server;
let requests = 0;
let silent: net.Server;
let connections = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  failing = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>m</Message></Error>');
    });
  });
  silent = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  failing.closeAllConnections();
  for (const s of sockets) s.destroy();
  await new Promise((r) => failing.close(r));
  await new Promise((r) => silent.close(r));
});

useEmptyAwsEnvironment('sdk-retries');

/** Sends one PUT, one GET and one listing page through a store's wire; resolves how many each was sent. */
async function attemptsOf(server: 'failing' | 'silent', wire: Wire): Promise<number[]> {
  const port = ((server === 'failing' ? failing : silent).address() as AddressInfo).port;
  const client = createS3Client({ provider: 'generic', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: KEYS, maxSockets: 2, wire, idleTimeoutMs: 150 });
  const bucket = new S3Bucket(client, 'b', 's3://b at test');
  const count = () => (server === 'failing' ? requests : connections);
  const counts: number[] = [];
  try {
    for (const send of [() => bucket.put('k', body, digest, {}), () => bucket.read('k'), () => bucket.listPages('', undefined).next()]) {
      const before = count();
      await expect(send()).rejects.toBeDefined();
      counts.push(count() - before);
    }
  } finally {
    client.destroy();
  }
  return counts;
}

const CASES: [string | undefined, string | undefined, number][] = [
  [undefined, undefined, 6],
  ['1', 'standard', 1],
  ['3', 'legacy', 3],
  ['2', 'adaptive', 2],
  ['4', undefined, 4],
];

describe.each(['lean', 'sdk'] as const)('%s wire', (wire) => {
  test.each(CASES)('AWS_MAX_ATTEMPTS=%s AWS_RETRY_MODE=%s: each request sent %d times to a server answering 500', async (attempts, mode, expected) => {
    if (attempts !== undefined) process.env.AWS_MAX_ATTEMPTS = attempts;
    if (mode !== undefined) process.env.AWS_RETRY_MODE = mode;
    expect(await attemptsOf('failing', wire)).toEqual([expected, expected, expected]);
  });

  test.each([['2', 'standard'], ['3', 'adaptive']])('AWS_MAX_ATTEMPTS=%s AWS_RETRY_MODE=%s: a server that never answers gets that many connections per request', async (attempts, mode) => {
    Object.assign(process.env, { AWS_MAX_ATTEMPTS: attempts, AWS_RETRY_MODE: mode });
    const n = Number(attempts);
    expect(await attemptsOf('silent', wire)).toEqual([n, n, n]);
  });
});
