/**
 * @jest-environment ./test/helpers/host-realm-errors.js
 *
 * An https:// proxy (`HTTPS_PROXY=https://proxy:port`): both wires reach a store through a CONNECT
 * tunnel inside the TLS to the proxy, with the store's TLS end to end inside it. The proxy's
 * certificate is checked with Node's CAs (here set in process, as NODE_EXTRA_CA_CERTS would add
 * them), never the store's `ca=`; a refused proxy certificate is a `proxy` error naming the proxy,
 * not the store's certificate, and nothing is written. Two throwaway CAs: one for the store, one
 * for the proxy.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import type { S3Client } from '@aws-sdk/client-s3';
import { StoreError } from '../../src/errors';
import { S3Bucket } from '../../src/s3/bucket';
import { createS3Client, type Wire } from '../../src/s3/client';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy';
import { makeTestPki, type TestPki } from '../helpers/test-pki';

const KEYS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

let storePki: TestPki;
let proxyPki: TestPki;
let origin: https.Server;
let originPort: number;
let proxy: ConnectProxy;
let bodies: Buffer[];
const defaultCas = tls.getCACertificates('default');
const saved = { ...process.env };

beforeAll(async () => {
  storePki = makeTestPki();
  proxyPki = makeTestPki();
  origin = https.createServer({ cert: storePki.server.cert, key: storePki.server.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"' });
      res.end();
    });
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originPort = (origin.address() as AddressInfo).port;
  proxy = await startConnectProxy({ tls: proxyPki.server });
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => origin.close(r));
});
beforeEach(() => {
  bodies = [];
  proxy.carried.length = 0;
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[name];
  process.env.HTTPS_PROXY = proxy.url;
});
afterEach(() => {
  tls.setDefaultCACertificates(defaultCas);
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  clients.splice(0).forEach((c) => c.destroy());
});

const clients: S3Client[] = [];
/** A store at `s3.test` (a name only the proxy resolves, and not loopback, which is always direct). */
function bucket(wire: Wire, ca: string): S3Bucket {
  const c = createS3Client({ provider: 'generic', endpoint: `https://s3.test:${originPort}`, region: 'us-east-1', credentials: KEYS, maxSockets: 2, maxAttempts: 2, wire, ca });
  clients.push(c);
  return new S3Bucket(c, 'bkt', 's3://bkt');
}
const trustProxy = () => tls.setDefaultCACertificates([...defaultCas, proxyPki.ca]);

async function refusal(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    return e as StoreError;
  }
  throw new Error('no error');
}

describe.each(['lean', 'sdk'] as const)('the %s wire through an https:// proxy', (wire) => {
  test('writes through the tunnel: a small PUT, and a large one (in slices) and a part, byte-exact', async () => {
    trustProxy();
    const b = bucket(wire, storePki.ca);
    const small = randomBytes(100);
    const large = randomBytes(3 * 1024 * 1024 + 1);
    await b.put('small', small, sha(small), {});
    await b.put('large', large, sha(large), {});
    await b.uploadPart('large', 'u-1', 1, large, sha(large));
    expect(bodies.map((x) => x.length)).toEqual([small.length, large.length, large.length]);
    expect(bodies[1].equals(large) && bodies[2].equals(large)).toBe(true);
    expect(new Set(proxy.carried)).toEqual(new Set([`s3.test:${originPort}`]));
  });

  test('a proxy certificate Node does not trust: a proxy error naming the proxy, nothing written', async () => {
    const e = await refusal(bucket(wire, storePki.ca).put('k', Buffer.from('x'), sha(Buffer.from('x')), {}));
    expect(e).toBeInstanceOf(StoreError);
    expect(e.kind).toBe('proxy');
    expect(e.message).toContain(`the TLS certificate of the proxy ${proxy.url} (on the way to s3.test:${originPort}) was refused: unknown CA`);
    expect(e.message).toContain("NODE_EXTRA_CA_CERTS, never a store's ca=");
    expect(bodies).toEqual([]);
  });

  test('the store`s ca= does not make the proxy trusted', async () => {
    const e = await refusal(bucket(wire, storePki.ca + proxyPki.ca).put('k', Buffer.from('x'), sha(Buffer.from('x')), {}));
    expect(e.kind).toBe('proxy');
    expect(bodies).toEqual([]);
  });

  test('the store`s certificate inside the tunnel is checked with the store`s CAs only: the proxy`s CA is no use there', async () => {
    trustProxy();
    const e = await refusal(bucket(wire, proxyPki.ca).put('k', Buffer.from('x'), sha(Buffer.from('x')), {}));
    expect(e.kind).toBe('certificate');
    expect(e.message).toMatch(/the server's TLS certificate was refused: unknown CA/);
    expect(bodies).toEqual([]);
    expect(proxy.carried).toContain(`s3.test:${originPort}`);
  });
});
