/** The test proxy itself: each fault does what it says, rules pick the right request, rates replay. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { operationOf, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';

interface Answer {
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

let upstream: http.Server;
let upstreamUrl: string;
const received: { method: string; url: string; host: string; body: string }[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, host: req.headers.host!, body });
      const answer = `<ListBucketResult>${'x'.repeat(100)}</ListBucketResult>`;
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': answer.length });
      res.end(req.method === 'HEAD' ? undefined : answer);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => upstream.close(() => r())));
beforeEach(() => void (received.length = 0));

function send(proxy: FaultProxy, method: string, path: string, body = ''): Promise<Answer> {
  const t0 = Date.now();
  let status: number | undefined;
  return new Promise((resolve) => {
    const req = http.request(`${proxy.url}${path}`, { method, agent: false, headers: { authorization: 'AWS4-HMAC-SHA256 x' } }, (res) => {
      status = res.statusCode;
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text, ms: Date.now() - t0 }));
      res.on('error', (e) => resolve({ status: res.statusCode, error: e.message, ms: Date.now() - t0 }));
      res.on('aborted', () => resolve({ status: res.statusCode, error: 'aborted', ms: Date.now() - t0 }));
    });
    req.on('error', (e) => resolve({ status, error: (e as NodeJS.ErrnoException).code ?? e.message, ms: Date.now() - t0 }));
    req.end(body);
  });
}

test('operations are told apart by method, path and query', () => {
  const op = (m: string, url: string) => {
    const u = new URL(url, 'http://x');
    return operationOf(m, u.pathname, u.searchParams);
  };
  expect(op('POST', '/b/k?uploads')).toBe('CreateMultipartUpload');
  expect(op('PUT', '/b/k?partNumber=2&uploadId=u')).toBe('UploadPart');
  expect(op('POST', '/b/k?uploadId=u')).toBe('CompleteMultipartUpload');
  expect(op('DELETE', '/b/k?uploadId=u')).toBe('AbortMultipartUpload');
  expect(op('PUT', '/b/dir/k')).toBe('PutObject');
  expect(op('HEAD', '/b/k')).toBe('HeadObject');
  expect(op('GET', '/b?list-type=2&prefix=p')).toBe('ListObjectsV2');
  // How the SDK sends it, path-style.
  expect(op('GET', '/b/?list-type=2&prefix=p')).toBe('ListObjectsV2');
  expect(op('GET', '/b/?uploads')).toBe('ListMultipartUploads');
  expect(op('POST', '/b/?delete')).toBe('DeleteObjects');
  expect(op('GET', '/b?uploads')).toBe('ListMultipartUploads');
  expect(op('HEAD', '/b')).toBe('HeadBucket');
  expect(op('GET', '/b?policy')).toBe('GetBucketPolicy');
});

test('without faults requests pass unchanged, Host header included', async () => {
  const proxy = await startFaultProxy({ upstream: upstreamUrl });
  try {
    const a = await send(proxy, 'PUT', '/b/k', 'hello');
    expect(a.status).toBe(200);
    expect(received).toEqual([{ method: 'PUT', url: '/b/k', host: proxy.url.slice('http://'.length), body: 'hello' }]);
    expect(proxy.total()).toBe(0);
    expect(proxy.seen).toEqual({ PutObject: 1 });
  } finally {
    await proxy.close();
  }
});

test('each kind of fault, chosen by rule', async () => {
  const all = (kind: Parameters<typeof startFaultProxy>[0]['rules'] extends readonly (infer R)[] | undefined ? R extends { kind: infer K } ? K : never : never) =>
    startFaultProxy({ upstream: upstreamUrl, rules: [{ kind, match: () => true, delayMs: 200 }] });
  const cases: [Parameters<typeof all>[0], (a: Answer) => void, number][] = [
    ['slowdown', (a) => (expect(a.status).toBe(503), expect(a.body).toMatch(/<Code>SlowDown<\/Code>/)), 0],
    ['internal', (a) => (expect(a.status).toBe(500), expect(a.body).toMatch(/<Code>InternalError<\/Code>/)), 0],
    ['reset-before', (a) => expect(a.error).toBe('ECONNRESET'), 0],
    ['drop-answer', (a) => expect(a.error).toBe('ECONNRESET'), 1],
    ['reset-mid-body', (a) => (expect(a.status).toBe(200), expect(a.error).toBeDefined()), 1],
    ['truncate', (a) => (expect(a.status).toBe(200), expect(a.error).toBeDefined()), 1],
    ['delay', (a) => (expect(a.status).toBe(200), expect(a.ms).toBeGreaterThanOrEqual(190)), 1],
  ];
  for (const [kind, check, upstreamCalls] of cases) {
    received.length = 0;
    const proxy = await all(kind);
    try {
      const a = await send(proxy, 'POST', '/b/k?uploadId=u1', '<CompleteMultipartUpload/>');
      check(a);
      expect([kind, received.length]).toEqual([kind, upstreamCalls]);
      expect([kind, proxy.injected[kind]]).toEqual([kind, 1]);
    } finally {
      await proxy.close();
    }
  }
});

test('a rule picks the nth matching request only', async () => {
  const proxy = await startFaultProxy({
    upstream: upstreamUrl,
    rules: [{ kind: 'internal', match: (r) => r.op === 'ListObjectsV2', nth: [2] }],
  });
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(proxy, 'GET', `/b?list-type=2&continuation-token=${i}`)).status);
    statuses.push((await send(proxy, 'GET', '/b/k')).status);
    expect(statuses).toEqual([200, 500, 200, 200]);
    expect(proxy.injected.internal).toBe(1);
  } finally {
    await proxy.close();
  }
});

test('a rate replays the same faults for the same seed, whatever the order of requests', async () => {
  const paths = Array.from({ length: 60 }, (_, i) => `/b/k${i}`);
  const outcome = async (seed: number, order: string[]) => {
    const proxy = await startFaultProxy({ upstream: upstreamUrl, rate: 0.3, seed, kinds: ['internal'] });
    try {
      const got = new Map<string, number | undefined>();
      for (const p of order) got.set(p, (await send(proxy, 'GET', p)).status);
      return { faulted: paths.filter((p) => got.get(p) === 500), count: proxy.injected.internal };
    } finally {
      await proxy.close();
    }
  };
  const a = await outcome(7, paths);
  const b = await outcome(7, [...paths].reverse());
  const c = await outcome(8, paths);
  expect(b).toEqual(a);
  expect(c.faulted).not.toEqual(a.faulted);
  // 30 % of 60, give or take.
  expect(a.count).toBeGreaterThan(8);
  expect(a.count).toBeLessThan(30);
});

test('a delay rule with a body rate passes the whole answer on, paced', async () => {
  const proxy = await startFaultProxy({ upstream: upstreamUrl, rules: [{ kind: 'delay', match: () => true, delayMs: 0, bodyBytesPerSecond: 500 }] });
  try {
    const a = await send(proxy, 'GET', '/b/k');
    expect(a.status).toBe(200);
    expect(a.body).toBe(`<ListBucketResult>${'x'.repeat(100)}</ListBucketResult>`);
    // 136 bytes at 500 bytes a second.
    expect(a.ms).toBeGreaterThanOrEqual(250);
  } finally {
    await proxy.close();
  }
});

test('rewrite: a hostile server answers well-framed with the body the rule makes, and only by rule', async () => {
  const proxy = await startFaultProxy({
    upstream: upstreamUrl,
    rules: [{ kind: 'rewrite', match: (r) => r.op === 'ListObjectsV2', nth: [1], rewrite: (body) => body.slice(0, 30) }],
  });
  try {
    const cut = await send(proxy, 'GET', '/b/?list-type=2');
    expect(cut).toMatchObject({ status: 200, body: '<ListBucketResult>xxxxxxxxxxxx' });
    expect(cut.error).toBeUndefined();
    expect((await send(proxy, 'GET', '/b/?list-type=2')).body).toBe(`<ListBucketResult>${'x'.repeat(100)}</ListBucketResult>`);
    expect(proxy.injected.rewrite).toBe(1);
  } finally {
    await proxy.close();
  }
  await expect(startFaultProxy({ upstream: upstreamUrl, rate: 1, kinds: ['rewrite'] })).rejects.toThrow(/rules/);
});
