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
 *   middleware classes the same answer.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/s3/client';
import { retryErrorType, serviceError } from '../../src/s3/lean-errors';
import { clockOffset, credentialProvider, retryStrategy, setClockOffset } from '../../src/s3/sdk-config';
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

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.headers);
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
beforeEach(() => (seen = []));

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
