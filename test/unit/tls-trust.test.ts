/**
 * @jest-environment ./test/helpers/host-realm-errors.js
 *
 * Private CAs per store: the `ca=` option and AWS_CA_BUNDLE reach the https agent that both wires
 * send through, and a refused certificate (unknown CA, name mismatch, expired) is a `certificate`
 * StoreError naming the endpoint, the host and the problem, raised by the first request (preflight)
 * on one connection, never retried. Against a local HTTPS server with throwaway certificates.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ConfigurationError } from '../../src/config/configuration-error';
import { StoreError } from '../../src/errors';
import { toStoreError } from '../../src/s3/errors';
import type { Wire } from '../../src/s3/client';
import { caBundle } from '../../src/storage/ca-bundle';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec, type StoreSpecDefaults } from '../../src/storage/store-spec';
import { makeTestPki, type TestPki } from '../helpers/test-pki';
import { resolveTestHosts } from '../helpers/test-hosts';

const defaults: StoreSpecDefaults = { credentials: { type: 'default' }, visibility: 'auto', region: 'us-east-1', cwd: '/srv/ws' };
const spec = (line: string, d: Partial<StoreSpecDefaults> = {}) => parseStoreSpec(line, { ...defaults, ...d }) as S3StoreSpec;
const KEYS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

describe('the ca= store option', () => {
  test('is an absolute path, resolved against the working folder (and ~), on https, s3:// and provider URLs', () => {
    expect(spec('https://127.0.0.1:7443/bkt ca=certs/ca.pem').ca).toBe('/srv/ws/certs/ca.pem');
    expect(spec('https://127.0.0.1:7443/bkt ca=/etc/pki/odf.pem').ca).toBe('/etc/pki/odf.pem');
    expect(spec('https://127.0.0.1:7443/bkt ca=~/ca.pem').ca).toBe(path.join(process.env.HOME ?? '~', 'ca.pem'));
    expect(spec('s3://bucket-a endpoint=https://s3.openshift-storage.svc ca=ca.pem').ca).toBe('/srv/ws/ca.pem');
    expect(spec('s3://bucket-a ca=ca.pem').ca).toBe('/srv/ws/ca.pem');
    expect(spec('https://logs.us-east-1.linodeobjects.com/ ca=ca.pem').ca).toBe('/srv/ws/ca.pem');
  });

  test('absent, the spec has no ca at all', () => {
    expect('ca' in spec('https://127.0.0.1:7443/bkt')).toBe(false);
  });

  test('refused where there is no certificate: plain http, a folder; and given twice', () => {
    expect(() => spec('http://127.0.0.1:7480/bkt ca=ca.pem')).toThrow(new ConfigurationError(`"http://127.0.0.1:7480/bkt": ca= is for https endpoints; "http://127.0.0.1:7480" is plain http, which has no certificate to check`));
    expect(() => spec('s3://b1b endpoint=http://127.0.0.1:7480 ca=ca.pem')).toThrow(/ca= is for https endpoints/);
    expect(() => parseStoreSpec('file:///srv/x ca=ca.pem', defaults)).toThrow(/option ca= does not apply to a file:\/\/ store/);
    expect(() => spec('https://127.0.0.1:7443/bkt ca=a.pem ca=b.pem')).toThrow('store option ca= given twice');
    expect(() => spec('https://127.0.0.1:7443/bkt ca=')).toThrow('store option ca= has no value');
  });
});

describe('a port written in a provider URL is kept', () => {
  test('Linode: the regional endpoint at that port, path-style', () => {
    expect(spec('https://logs.us-east-1.linodeobjects.com:7562/ci/')).toMatchObject({ provider: 'linode', bucket: 'logs', prefix: 'ci/', endpoint: 'https://us-east-1.linodeobjects.com:7562' });
  });
  test('AWS: the regional endpoint at that port (virtual-hosted by the SDK); without a port, the SDK`s own', () => {
    expect(spec('https://logs.s3.us-east-1.amazonaws.com:7562/ci/')).toMatchObject({ provider: 'aws', bucket: 'logs', endpoint: 'https://s3.us-east-1.amazonaws.com:7562' });
    expect(spec('https://logs.s3.amazonaws.com:7562/')).toMatchObject({ provider: 'aws', endpoint: 'https://s3.us-east-1.amazonaws.com:7562' });
    expect(spec('https://logs.s3.us-east-1.amazonaws.com/ci/').endpoint).toBeUndefined();
    expect(spec('https://logs.us-east-1.linodeobjects.com/').endpoint).toBe('https://us-east-1.linodeobjects.com');
  });
});

describe('caBundle: which CAs a store trusts', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });

  test('ca= first, else AWS_CA_BUNDLE, else none; never for plain http', () => {
    const withCa = spec(`https://127.0.0.1:7443/bkt ca=${pki.caFile}`);
    const without = spec('https://127.0.0.1:7443/bkt');
    expect(caBundle(withCa, { AWS_CA_BUNDLE: pki.otherCaFile })).toBe(pki.ca.trim());
    expect(caBundle(without, { AWS_CA_BUNDLE: pki.caFile })).toBe(pki.ca.trim());
    expect(caBundle(without, { AWS_CA_BUNDLE: '' })).toBeUndefined();
    expect(caBundle(without, {})).toBeUndefined();
    expect(caBundle(spec('http://127.0.0.1:7480/bkt'), { AWS_CA_BUNDLE: pki.caFile })).toBeUndefined();
    // AWS's own endpoint (no endpoint in the spec) takes the variable too, as the AWS CLI does.
    expect(caBundle(spec('s3://bucket-a'), { AWS_CA_BUNDLE: pki.caFile })).toBe(pki.ca.trim());
  });

  test('a file that cannot be read, or holds no certificate Node can read, is a ConfigurationError naming the store and the file', () => {
    const missing = path.join(pki.dir, 'missing.pem');
    expect(() => caBundle(spec(`https://127.0.0.1:7443/bkt ca=${missing} name=odf`), {})).toThrow(new ConfigurationError(`odf: store option ca="${missing}" cannot be read (ENOENT); it must name a PEM file of CA certificates`));
    expect(() => caBundle(spec('https://127.0.0.1:7443/bkt name=odf'), { AWS_CA_BUNDLE: missing })).toThrow(`odf: AWS_CA_BUNDLE "${missing}" cannot be read (ENOENT)`);
    const key = path.join(pki.dir, 'ca.key');
    expect(() => caBundle(spec(`https://127.0.0.1:7443/bkt ca=${key} name=odf`), {})).toThrow(`odf: store option ca="${key}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    const broken = path.join(pki.dir, 'broken.pem');
    fs.writeFileSync(broken, `${pki.ca}\n-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`);
    expect(() => caBundle(spec(`https://127.0.0.1:7443/bkt ca=${broken} name=odf`), {})).toThrow(/^odf: store option ca=".*broken.pem": certificate 2 of 2 cannot be read/);
  });
});

describe('refused certificates are classified as certificate problems, not passing faults', () => {
  const cases: [string, RegExp][] = [
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /unknown CA/],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', /unknown CA/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /unknown CA/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /unknown CA: it is self-signed/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /name mismatch/],
    ['CERT_HAS_EXPIRED', /: expired \(CERT_HAS_EXPIRED\)/],
    ['CERT_NOT_YET_VALID', /not yet valid/],
  ];
  test.each(cases)('%s', (code, problem) => {
    const e = toStoreError(Object.assign(new Error('tls says no'), { code }), 'HeadBucket s3://b at https://odf.example:443');
    expect(e.kind).toBe('certificate');
    expect(e.isConfiguration).toBe(true);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(/^HeadBucket s3:\/\/b at https:\/\/odf.example:443: the server's TLS certificate (of \S+ )?was refused: /);
    expect(e.message).toMatch(problem);
    expect(e.message).toMatch(/ca=PATH/);
  });

  test('found under a wrapper`s cause, with the host TLS names', () => {
    const tls = Object.assign(new Error('Hostname/IP does not match'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID', host: 'b.s3.example' });
    const e = toStoreError(new Error('request failed', { cause: tls }), 'GET s3://b/k at AWS us-east-1');
    expect(e).toMatchObject({ kind: 'certificate', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(e.message).toContain("the server's TLS certificate of b.s3.example was refused: name mismatch");
  });

  test('network faults stay passing; a server`s answer that only mentions a certificate is not one', () => {
    expect(toStoreError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'x').kind).toBe('unavailable');
    const answer = Object.assign(new Error('the client certificate has expired'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(toStoreError(answer, 'x').kind).toBe('access-denied');
  });

  test('read from the code only: text that reads like a refused certificate, with no code, is not one', () => {
    const wrapped = new Error('AWS SDK error wrapper for Error: certificate has expired');
    expect(toStoreError(wrapped, 'x').kind).toBe('unknown');
    // A code that only an object's prototype has is no certificate code either.
    expect(toStoreError(Object.assign(new Error('x'), { code: 'toString' }), 'x').kind).toBe('unknown');
  });
});

test('this file runs where Node`s own errors are errors of the code under test (as in a bundle); TypeError stays TypeError', async () => {
  const refused = await new Promise<unknown>((resolve) => net.connect(1, '127.0.0.1').on('error', resolve));
  expect(refused instanceof Error).toBe(true);
  expect(refused instanceof TypeError).toBe(false);
  expect(new TypeError('x') instanceof Error).toBe(true);
});

describe('over TLS to a local server', () => {
  let pki: TestPki;
  const servers: https.Server[] = [];
  const stores: S3Store[] = [];
  const hosts = resolveTestHosts();
  afterAll(() => {
    hosts.uninstall();
    stores.forEach((s) => s.close());
    servers.forEach((s) => s.close());
  });

  interface Fake {
    readonly port: number;
    /** TCP connections accepted; requests served. */
    readonly seen: { connections: number; requests: string[] };
  }

  /** A minimal S3 answering HeadBucket, GetBucketPolicy (none) and PutObject. */
  async function fakeS3(cert: { cert: string; key: string }): Promise<Fake> {
    const seen = { connections: 0, requests: [] as string[] };
    const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.requests.push(`${req.method} ${req.url}`);
        if (req.method === 'GET' && req.url?.includes('policy')) {
          res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchBucketPolicy</Code></Error>');
        } else if (req.method === 'PUT') {
          res.writeHead(200, { etag: `"${createHash('md5').update(Buffer.concat(chunks)).digest('hex')}"` }).end();
        } else {
          res.writeHead(200).end();
        }
      });
    });
    server.on('connection', () => seen.connections++);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, seen };
  }

  function open(line: string, wire: Wire): S3Store {
    const s = new S3Store(spec(line), KEYS, { concurrency: 2, wire });
    stores.push(s);
    return s;
  }

  const body = Buffer.from('hello over TLS');
  const sha = createHash('sha256').update(body).digest();

  beforeAll(() => {
    pki = makeTestPki();
  });

  for (const wire of ['lean', 'sdk'] as const) {
    test(`${wire} wire: with ca= the store's CA is trusted, by IP and by a name in the certificate`, async () => {
      const fake = await fakeS3(pki.server);
      for (const host of ['127.0.0.1', 'bucket-host.s3.test']) {
        const s = open(`https://${host}:${fake.port}/bkt/p ca=${pki.caFile}`, wire);
        await s.preflight();
        await expect(s.put('k', body, sha, { visibility: 'private' })).resolves.toMatchObject({ etag: createHash('md5').update(body).digest('hex') });
      }
      expect(fake.seen.requests.filter((r) => r.startsWith('PUT /bkt/p/k'))).toHaveLength(2);
      expect(hosts.lookups).toContain('bucket-host.s3.test');
    });

    const refusals: [string, (p: TestPki) => { cert: { cert: string; key: string }; host: string; ca?: string }, RegExp][] = [
      ['no ca= (Node`s own CAs): unknown CA', (p) => ({ cert: p.server, host: '127.0.0.1' }), /unknown CA.*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
      ['the wrong CA: unknown CA', (p) => ({ cert: p.server, host: '127.0.0.1', ca: p.otherCaFile }), /unknown CA.*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
      ['a name the certificate does not hold: name mismatch', (p) => ({ cert: p.server, host: 'wrong-name.test', ca: p.caFile }), /certificate of wrong-name.test was refused: name mismatch.*\(ERR_TLS_CERT_ALTNAME_INVALID\)/],
      ['an expired certificate: expired', (p) => ({ cert: p.expired, host: '127.0.0.1', ca: p.caFile }), /refused: expired \(CERT_HAS_EXPIRED\)/],
    ];
    test.each(refusals)(`${wire} wire: %s, in preflight and on a PUT, each on one connection, nothing served`, async (_label, make, problem) => {
      const c = make(pki);
      const fake = await fakeS3(c.cert);
      const line = `https://${c.host}:${fake.port}/bkt/p${c.ca ? ` ca=${c.ca}` : ''}`;
      const err = await open(line, wire).preflight().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ kind: 'certificate', isConfiguration: true });
      expect((err as Error).message).toContain(`at https://${c.host}:${fake.port}`);
      expect((err as Error).message).toMatch(problem);
      expect(fake.seen.connections).toBe(1);
      const put = await open(line, wire).put('k', body, sha, { visibility: 'private' }).catch((e: unknown) => e);
      expect(put).toMatchObject({ kind: 'certificate' });
      expect((put as Error).message).toMatch(problem);
      expect(fake.seen.connections).toBe(2);
      expect(fake.seen.requests).toEqual([]);
    });
  }

  test('AWS_CA_BUNDLE is trusted when a store has no ca=; ca= wins over it', async () => {
    const fake = await fakeS3(pki.server);
    const saved = process.env.AWS_CA_BUNDLE;
    process.env.AWS_CA_BUNDLE = pki.caFile;
    try {
      await open(`https://127.0.0.1:${fake.port}/bkt`, 'lean').preflight();
      await expect(open(`https://127.0.0.1:${fake.port}/bkt ca=${pki.otherCaFile}`, 'lean').preflight()).rejects.toMatchObject({ kind: 'certificate' });
    } finally {
      if (saved === undefined) delete process.env.AWS_CA_BUNDLE;
      else process.env.AWS_CA_BUNDLE = saved;
    }
  });
});
