/**
 * A proxy that takes the connection and never answers CONNECT: the agents of a store give up at
 * their connect deadline with a timeout both wires retry, and close their connection to the proxy
 * (neither wire's own connect timer runs before the tunnel hands a socket over).
 */
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createStoreAgents } from '../../src/s3/agents';
import { retryErrorType } from '../../src/s3/lean-errors';

let silent: net.Server;
const held: net.Socket[] = [];
let closed = 0;

beforeAll(async () => {
  silent = net.createServer((socket) => {
    held.push(socket);
    socket.on('close', () => void closed++);
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

function get(agent: https.Agent): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: 'bucket.s3.test', port: 443, path: '/k', agent }, () => reject(new Error('answered')));
    req.on('error', resolve);
    req.end();
  });
}

test('no answer to CONNECT: a retried timeout at the deadline, and the connection to the proxy closed', async () => {
  const port = (silent.address() as AddressInfo).port;
  const agents = createStoreAgents({ maxSockets: 4, connectTimeoutMs: 300, env: { HTTPS_PROXY: `http://user:pw@127.0.0.1:${port}` } });
  const started = Date.now();
  const error = await get(agents.https);
  const took = Date.now() - started;
  expect(error.name).toBe('TimeoutError');
  expect(error.code).toBe('ETIMEDOUT');
  expect(error.message).toBe(`no tunnel through the proxy http://127.0.0.1:${port} to bucket.s3.test:443 within 300 ms`);
  expect(retryErrorType(error)).toBe('TRANSIENT');
  expect(took).toBeGreaterThanOrEqual(290);
  expect(took).toBeLessThan(5_000);
  expect(held).toHaveLength(1);
  for (let i = 0; i < 50 && closed < 1; i++) await new Promise((r) => setTimeout(r, 20));
  expect(closed).toBe(1);
  agents.https.destroy();
});
