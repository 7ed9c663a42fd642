/**
 * What src/s3/sdk-config.ts assumes about the AWS SDK's client, held to the real SDK (no mocks):
 * each test fails when the SDK stops behaving that way, before the lean client silently drifts
 * from the SDK's own requests.
 *
 * - `config.credentials` is the provider the SDK signs with: for `credentials=default`, its
 *   memoized default chain;
 * - `config.systemClockOffset` is what the SDK's signer adds to the clock, and where the SDK puts
 *   the correction it takes from a skewed answer;
 * - `config.retryStrategy` is the one strategy the SDK's retry middleware asks (the retry quota
 *   the lean client spends is the SDK's), and the lean client classes each failure as that
 *   middleware classes the same answer;
 * - the endpoint resolution the adapter runs is the one the SDK's endpoint middleware runs for its
 *   own requests (settings, profile, FIPS, dual-stack), independent of the key, on a copy of the
 *   config, and `ignoreConfiguredEndpointUrls` keeps a named endpoint from being moved;
 * - a middleware placed after `httpSigningMiddleware` runs per attempt after retry and signing: the
 *   signer hashed the Buffer, and the retry middleware, which refuses to retry a stream body,
 *   still holds the Buffer and retries.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/s3/client';
import { retryErrorType, serviceError } from '../../src/s3/lean-errors';
import { BODY_SLICES_MIDDLEWARE, bucketEndpoint, clockOffset, credentialProvider, retryStrategy, setClockOffset } from '../../src/s3/sdk-config';
import { S3Bucket } from '../../src/s3/bucket';
import { useEmptyAwsEnvironment } from '../helpers/aws-env';

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const HOUR = 3_600_000;

interface Answer {
  readonly status: number;
  readonly body?: string;
  /** The server's clock, as an offset from ours. */
  readonly skewMs?: number;
  /** Reset the connection instead of answering. */
  readonly reset?: boolean;
}

let server: http.Server;
let endpoint: string;
let answer: (n: number) => Answer;
let seen: http.IncomingHttpHeaders[];
/** The SHA-256 (hex) of each request body the server read, in order. */
let bodies: string[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => hash.update(c));
    req.on('end', () => {
      seen.push(req.headers);
      bodies.push(hash.digest('hex'));
      const a = answer(seen.length);
      if (a.reset) {
        req.socket.destroy();
        return;
      }
      res.setHeader('Date', new Date(Date.now() + (a.skewMs ?? 0)).toUTCString());
      res.writeHead(a.status, a.body ? { 'content-type': 'application/xml' } : {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  seen = [];
  bodies = [];
});

const clients: S3Client[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.destroy()));
function client(options: { credentials?: 'default'; maxAttempts?: number } = {}): S3Client {
  const c = createS3Client({ provider: 'generic', endpoint, region: 'us-east-1', credentials: options.credentials ?? KEYS, maxSockets: 4, maxAttempts: options.maxAttempts ?? 2, wire: 'lean' });
  clients.push(c);
  return c;
}
const errorXml = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`;
/** The signing time of a request the server saw, as epoch milliseconds. */
const signedAt = (h: http.IncomingHttpHeaders) => Date.parse(String(h['x-amz-date']).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));

describe('credentials', () => {
  useEmptyAwsEnvironment('sdk-config');

  test('static keys: the provider answers them', async () => {
    await expect(credentialProvider(client())()).resolves.toMatchObject(KEYS);
  });

  test('credentials=default: the provider is the SDK default chain, memoized', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'secret-from-env' });
    const provider = credentialProvider(client({ credentials: 'default' }));
    const first = await provider();
    expect(first).toMatchObject({ accessKeyId: 'AKIDFROMENV', secretAccessKey: 'secret-from-env' });
    // Memoized: the same keys object until it expires (the lean signer is kept per keys object).
    expect(await provider()).toBe(first);
  });

  test('credentials=default with nothing to find: the SDK chain error', async () => {
    await expect(credentialProvider(client({ credentials: 'default' }))()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});

describe('systemClockOffset', () => {
  test('the offset set through the adapter is what the SDK signs its own requests with', async () => {
    const c = client();
    setClockOffset(c, 2 * HOUR);
    answer = () => ({ status: 200, body: 'x', skewMs: 2 * HOUR });
    const before = Date.now();
    await c.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
    expect(signedAt(seen[0]!)).toBeGreaterThanOrEqual(before + 2 * HOUR - 2000);
    expect(signedAt(seen[0]!)).toBeLessThanOrEqual(Date.now() + 2 * HOUR + 2000);
  });

  test('the correction the SDK takes from a skewed answer is the offset the adapter reads', async () => {
    const c = client();
    expect(clockOffset(c)).toBe(0);
    answer = (n) => (n === 1 ? { status: 403, body: errorXml('RequestTimeTooSkewed'), skewMs: HOUR } : { status: 200, body: 'x', skewMs: HOUR });
    await c.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
    expect(seen).toHaveLength(2);
    expect(Math.abs(clockOffset(c) - HOUR)).toBeLessThan(5000);
    expect(Math.abs(signedAt(seen[1]!) - (Date.now() + HOUR))).toBeLessThan(5000);
  });

  test('a skew the lean client corrects is what the SDK then signs with', async () => {
    const c = client();
    answer = (n) => (n === 1 ? { status: 403, body: errorXml('RequestTimeTooSkewed'), skewMs: -HOUR } : { status: 200, skewMs: -HOUR });
    await new S3Bucket(c, 'b', 's3://b').put('k', Buffer.from('x'), Buffer.alloc(32), {});
    expect(seen).toHaveLength(2);
    answer = () => ({ status: 200, body: 'x', skewMs: -HOUR });
    await c.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
    expect(Math.abs(signedAt(seen[2]!) - (Date.now() - HOUR))).toBeLessThan(5000);
  });
});

describe('retryStrategy', () => {
  /** The strategy's retry quota (a method of the SDK's standard strategy, not of the interface). */
  const capacity = async (c: S3Client) => (await retryStrategy(c) as unknown as { getCapacity(): number }).getCapacity();

  test('is the one the SDK retries its own requests with, and the lean client spends the same quota', async () => {
    const c = client({ maxAttempts: 2 });
    expect(await retryStrategy(c)).toBe(await retryStrategy(c));
    const full = await capacity(c);
    answer = () => ({ status: 500, body: errorXml('InternalError') });
    await expect(c.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toMatchObject({ name: 'InternalError' });
    expect(seen).toHaveLength(2);
    const afterSdk = await capacity(c);
    expect(afterSdk).toBeLessThan(full);
    await expect(new S3Bucket(c, 'b', 's3://b').put('k', Buffer.from('x'), Buffer.alloc(32), {})).rejects.toMatchObject({ code: 'InternalError' });
    expect(seen).toHaveLength(4);
    expect(await capacity(c)).toBe(afterSdk - (full - afterSdk));
  });

  const answers: [string, Answer][] = [
    ['500 InternalError', { status: 500, body: errorXml('InternalError') }],
    ['503 SlowDown', { status: 503, body: errorXml('SlowDown') }],
    ['503 ServiceUnavailable', { status: 503, body: errorXml('ServiceUnavailable') }],
    ['501 NotImplemented', { status: 501, body: errorXml('NotImplemented') }],
    ['429 without a body', { status: 429 }],
    ['400 RequestTimeout', { status: 400, body: errorXml('RequestTimeout') }],
    ['400 InvalidArgument', { status: 400, body: errorXml('InvalidArgument') }],
    ['403 AccessDenied', { status: 403, body: errorXml('AccessDenied') }],
    ['404 NoSuchKey', { status: 404, body: errorXml('NoSuchKey') }],
    ['a reset connection', { status: 0, reset: true }],
  ];
  test.each(answers)('%s: the lean client classes it as the SDK middleware classes it', async (_name, a) => {
    const c = client({ maxAttempts: 1 });
    const strategy = await retryStrategy(c);
    const told: string[] = [];
    const refresh = strategy.refreshRetryTokenForRetry.bind(strategy);
    const spy = jest.spyOn(strategy, 'refreshRetryTokenForRetry').mockImplementation((token, info) => {
      told.push(info.errorType);
      return refresh(token, info);
    });
    try {
      answer = () => a;
      await expect(c.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toBeDefined();
      await expect(new S3Bucket(c, 'b', 's3://b').put('k', Buffer.from('x'), Buffer.alloc(32), {})).rejects.toBeDefined();
    } finally {
      spy.mockRestore();
    }
    expect(told).toHaveLength(2);
    // The SDK's class, then the lean client's, for the same answer.
    expect(told[1]).toBe(told[0]);
    if (!a.reset) expect(retryErrorType(serviceError(a.status, a.body ?? ''))).toBe(told[0]);
  });
});

describe('bucketEndpoint: the SDK`s own endpoint resolution', () => {
  const home = useEmptyAwsEnvironment('sdk-config-endpoint');
  const made: S3Client[] = [];
  afterEach(() => made.splice(0).forEach((c) => c.destroy()));
  /** A client for AWS whose endpoint the SDK's settings choose, recording the endpoint its middleware resolves for each request. */
  function awsClient(): { c: S3Client; resolved: string[] } {
    const c = createS3Client({ provider: 'aws', sdkEndpoint: true, region: 'eu-central-1', credentials: KEYS, maxSockets: 1, maxAttempts: 1, wire: 'sdk' });
    made.push(c);
    const resolved: string[] = [];
    const record = (_next: unknown, context: { endpointV2?: { url: URL } }) => async () => {
      resolved.push(context.endpointV2!.url.href);
      throw Object.assign(new Error('recorded, not sent'), { name: 'Recorded' });
    };
    c.middlewareStack.addRelativeTo(record as never, { relation: 'after', toMiddleware: 'endpointV2Middleware', name: 'recordEndpoint' });
    return { c, resolved };
  }
  const sendAll = async (c: S3Client, bucket: string, key: string) => {
    for (const command of [new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }), new GetObjectCommand({ Bucket: bucket, Key: key }), new ListObjectsV2Command({ Bucket: bucket, Prefix: key })]) {
      await expect(c.send(command as never)).rejects.toMatchObject({ name: 'Recorded' });
    }
  };

  test('answers the endpoint the SDK`s endpoint middleware resolves for its own PUT, GET and LIST, whatever the key or prefix', async () => {
    for (const settings of [{}, { AWS_USE_FIPS_ENDPOINT: 'true' }, { AWS_USE_DUALSTACK_ENDPOINT: 'true' }, { AWS_ENDPOINT_URL_S3: 'https://objects.example.test:7722' }, { AWS_ENDPOINT_URL: 'http://objects.example.test:9000' }]) {
      for (const name of Object.keys(process.env)) if (/^AWS_(USE_|ENDPOINT_URL)/.test(name)) delete process.env[name];
      Object.assign(process.env, settings);
      for (const bucket of ['cockpit-images', 'images.cockpit']) {
        const { c, resolved } = awsClient();
        for (const key of ['k', 'a b/ü', '']) await sendAll(c, bucket, key);
        const ours = await Promise.all((['PutObject', 'GetObject', 'ListObjectsV2'] as const).map((op) => bucketEndpoint(c, op, bucket, 'other/key')));
        expect(new Set(resolved)).toEqual(new Set([ours[0]!.url.href]));
        expect(ours.map((o) => o.url.href)).toEqual([ours[0]!.url.href, ours[0]!.url.href, ours[0]!.url.href]);
        expect(ours[0]).toMatchObject({ scheme: 'sigv4', signingName: 's3', signingRegion: 'eu-central-1', headers: {} });
      }
    }
  });

  test('reads the profile`s endpoint_url and services section, as the SDK does, and leaves the client config as it was', async () => {
    fs.writeFileSync(path.join(home(), 'config'), '[default]\nservices = local\n\n[services local]\ns3 =\n  endpoint_url = http://services.example.test:8080\n');
    const { c, resolved } = awsClient();
    await sendAll(c, 'cockpit-images', 'k');
    expect((await bucketEndpoint(c, 'PutObject', 'cockpit-images')).url.href).toBe('http://cockpit-images.services.example.test:8080/');
    expect(resolved[0]).toBe('http://cockpit-images.services.example.test:8080/');
    // The SDK's middleware resolves on a copy of the config; so does the adapter.
    expect(c.config.isCustomEndpoint).toBe(false);
  });

  test('a store that names its endpoint ignores the configured ones (ignoreConfiguredEndpointUrls)', async () => {
    process.env.AWS_ENDPOINT_URL_S3 = 'https://objects.example.test:7722';
    const c = createS3Client({ provider: 'aws', region: 'eu-central-1', credentials: KEYS, maxSockets: 1 });
    made.push(c);
    expect((await bucketEndpoint(c, 'PutObject', 'cockpit-images')).url.href).toBe('https://cockpit-images.s3.eu-central-1.amazonaws.com/');
  });

  test('S3 Express buckets get their own auth scheme (which the lean client leaves to the SDK)', async () => {
    const { c } = awsClient();
    expect((await bucketEndpoint(c, 'PutObject', 'fast--euc1-az1--x-s3')).scheme).toBe('sigv4-s3express');
  });

  test('a profile naming a services section that is missing: the adapter resolves what the SDK`s request resolves', async () => {
    // Written before any client reads it: the SDK caches the shared files by path.
    fs.writeFileSync(path.join(home(), 'config'), '[default]\nservices = nowhere\n');
    const { c, resolved } = awsClient();
    await sendAll(c, 'cockpit-images', 'k');
    // The SDK reads the missing section as no configured endpoint at all.
    expect(resolved[0]).toBe('https://cockpit-images.s3.eu-central-1.amazonaws.com/');
    expect((await bucketEndpoint(c, 'PutObject', 'cockpit-images')).url.href).toBe(resolved[0]);
  });
});

describe('the body-slices middleware', () => {
  test('runs after the retry and the signing middleware, right after signing', () => {
    const names = client().middlewareStack.identify();
    const at = (name: string) => names.findIndex((n) => n.startsWith(`${name} `));
    expect(at('retryMiddleware')).toBeGreaterThanOrEqual(0);
    expect(at('httpSigningMiddleware')).toBeGreaterThan(at('retryMiddleware'));
    expect(at(BODY_SLICES_MIDDLEWARE)).toBe(at('httpSigningMiddleware') + 1);
  });

  test('the SDK signs the Buffer`s own SHA-256 (no payload hash given), and retries the request with its whole body', async () => {
    answer = (n) => (n === 1 ? { status: 500, body: errorXml('InternalError') } : { status: 200 });
    const body = randomBytes(3 * 1024 * 1024 + 5);
    const hex = createHash('sha256').update(body).digest('hex');
    const c = client({ maxAttempts: 2 });
    const r = await c.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'big', Body: body, ContentLength: body.length }));
    expect(r.$metadata.attempts).toBe(2);
    expect(seen.map((h) => h['x-amz-content-sha256'])).toEqual([hex, hex]);
    expect(bodies).toEqual([hex, hex]);
  });
});
