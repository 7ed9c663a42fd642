/**
 * The lean requests: their signature against the SDK's own signer (known answer at a fixed date), its
 * addressing, its fallback to the SDK, and its answers (retries, error codes, ETag) from a local
 * HTTP server playing S3. That it is accepted by a real server is proven by the RGW suites.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Bucket } from '../../src/s3/bucket';
import { createS3Client } from '../../src/s3/client';
import { leanTarget, requestAddress, type RequestTarget } from '../../src/s3/lean-address';
import { buildGet, buildHead, buildList, buildPut } from '../../src/s3/lean-requests';
import type { SigningKeys } from '../../src/s3/lean-sign';
import { parseListPage } from '../../src/s3/list-page';
import type { ProviderId } from '../../src/s3/providers';
import { StoreError } from '../../src/errors';
import { authorizationBySdk } from '../helpers/sdk-signer';

const KEYS: SigningKeys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const WHEN = new Date('2025-03-04T05:06:07.000Z');
const body = Buffer.from('hello, world\n');
const digest = createHash('sha256').update(body).digest();

type Signed = { address: { protocol: string; hostname: string; port?: string; path: string }; headers: Record<string, string> };
/** What the SDK's signer makes of a lean request built at WHEN. */
const sdkSigned = (method: string, target: Spec, signed: Signed, keys: SigningKeys) =>
  authorizationBySdk(
    { method, protocol: signed.address.protocol, hostname: signed.address.hostname, port: signed.address.port ? Number(signed.address.port) : undefined, path: signed.address.path, headers: signed.headers },
    keys,
    target.region,
    WHEN,
  );
const sdkAuthorization = (target: Spec, signed: Signed, keys: SigningKeys) => sdkSigned('PUT', target, signed, keys);

/** A store as the client is made for it; the SDK's settings choose the endpoint where it has none. */
interface Spec {
  readonly provider: ProviderId;
  readonly endpoint?: string;
  readonly region: string;
}
const generic: Spec = { provider: 'generic', endpoint: 'http://127.0.0.1:7480', region: 'us-east-1' };
const aws: Spec = { provider: 'aws', region: 'eu-central-1' };

/** What the lean client resolves for `bucket` of a store at `spec`, or `undefined` where the SDK sends. */
async function resolve(spec: Spec, bucket: string): Promise<RequestTarget | undefined> {
  const client = createS3Client({ ...spec, sdkEndpoint: spec.endpoint === undefined, credentials: KEYS, maxSockets: 1 });
  try {
    return await leanTarget(client, bucket);
  } finally {
    client.destroy();
  }
}
/** As {@link resolve}, for a store the lean client sends to. */
async function at(spec: Spec, bucket: string): Promise<RequestTarget> {
  const target = await resolve(spec, bucket);
  if (target === undefined) throw new Error(`no lean target for ${bucket}`);
  return target;
}
/** The lean address of `key` in `bucket`, or `undefined` where the SDK sends. */
const addressOf = async (spec: Spec, bucket: string, key: string) => {
  const target = await resolve(spec, bucket);
  return target && requestAddress(target.endpoint, key);
};

describe('signature: the same Authorization as @smithy/signature-v4', () => {
  const keys = ['plain.txt', 'a b/c d.log', 'x+y=z', '100%/done', 'issue#12', 'naïve/日本語.txt', 'tilde~star*quote\'', 'paren(1)!', 'deep//double/./dot/..'];
  for (const key of keys) {
    for (const target of [generic, aws]) {
      test(`${JSON.stringify(key)} on ${target.provider}`, async () => {
        const put = (await buildPut(await at(target, 'logs-bucket'), key, body, digest, { contentType: 'text/plain; charset=utf-8', contentEncoding: 'gzip', cacheControl: 'max-age=60', contentDisposition: 'inline; filename="a b.txt"', acl: 'public-read', metadata: { SHA256: digest.toString('hex'), Empty: '', 'x-Spaces': '  a   b  ' } }, KEYS, WHEN))!;
        expect(put).toBeDefined();
        expect(put.headers.authorization).toBe(await sdkAuthorization(target, put, KEYS));
        expect(put.headers['x-amz-meta-sha256']).toBe(digest.toString('hex'));
      });
    }
  }

  test('a session token is sent and signed', async () => {
    const keys = { ...KEYS, sessionToken: 'FwoGZXIvYXdzEBYaDH+/token==' };
    const put = (await buildPut(await at(generic, 'b'), 'k', body, digest, {}, keys, WHEN))!;
    expect(put.headers['x-amz-security-token']).toBe(keys.sessionToken);
    expect(put.headers.authorization).toContain('x-amz-security-token');
    expect(put.headers.authorization).toBe(await sdkAuthorization(generic, put, keys));
  });

  test('a non-default port is part of the signed host', async () => {
    const put = (await buildPut(await at({ ...generic, endpoint: 'https://s3.example.com:8443/' }, 'b'), 'k', body, digest, {}, KEYS, WHEN))!;
    expect(put.headers.host).toBe('s3.example.com:8443');
    expect(put.headers.authorization).toBe(await sdkAuthorization(generic, put, KEYS));
  });

  test('without a type the SDK default is sent; no ACL header without an ACL; AWS gets the CRC32 the SDK adds', async () => {
    const put = (await buildPut(await at(aws, 'b-1'), 'k', Buffer.from('hello'), createHash('sha256').update('hello').digest(), {}, KEYS, WHEN))!;
    expect(put.headers['content-type']).toBe('application/octet-stream');
    expect(put.headers['x-amz-acl']).toBeUndefined();
    // The value the SDK sent for the same body.
    expect(put.headers['x-amz-checksum-crc32']).toBe('NhCmhg==');
    expect((await buildPut(await at(generic, 'b'), 'k', body, digest, {}, KEYS, WHEN))!.headers['x-amz-checksum-crc32']).toBeUndefined();
  });
});

describe('addressing, as the SDK addresses', () => {
  test('keys are encoded per RFC 3986 once, slashes kept', async () => {
    expect((await addressOf(generic, 'b', "a b/+%#~*'é"))!.path).toBe('/b/a%20b/%2B%25%23~%2A%27%C3%A9');
  });
  test('AWS: virtual host for plain names, path style for dotted ones', async () => {
    expect(await addressOf(aws, 'cockpit-images', 'k')).toMatchObject({ host: 'cockpit-images.s3.eu-central-1.amazonaws.com', path: '/k' });
    expect(await addressOf(aws, 'images.cockpit', 'k')).toMatchObject({ host: 's3.eu-central-1.amazonaws.com', path: '/images.cockpit/k' });
  });
  describe('endpoints the SDK resolves are sent to, as the SDK sends (they were left to the SDK before)', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    });
    test('China, FIPS, dual-stack, a custom endpoint virtual-hosted', async () => {
      expect(await addressOf({ ...aws, region: 'cn-north-1' }, 'b-1', 'k')).toMatchObject({ host: 'b-1.s3.cn-north-1.amazonaws.com.cn', path: '/k' });
      expect(await addressOf({ ...aws, provider: 'aws', endpoint: 'https://minio.example.com' }, 'b-1', 'k')).toMatchObject({ host: 'b-1.minio.example.com', path: '/k' });
      process.env.AWS_USE_FIPS_ENDPOINT = 'true';
      expect(await addressOf(aws, 'b-1', 'k')).toMatchObject({ host: 'b-1.s3-fips.eu-central-1.amazonaws.com', path: '/k' });
      process.env.AWS_USE_FIPS_ENDPOINT = 'false';
      process.env.AWS_USE_DUALSTACK_ENDPOINT = 'true';
      expect(await addressOf(aws, 'b-1', 'k')).toMatchObject({ host: 'b-1.s3.dualstack.eu-central-1.amazonaws.com', path: '/k' });
      // A store whose line names its endpoint is not moved by them.
      expect(await addressOf(generic, 'b-1', 'k')).toMatchObject({ host: '127.0.0.1:7480', path: '/b-1/k' });
    });
    test('what it cannot sign as the SDK does is left to the SDK: S3 Express session auth', async () => {
      expect(await resolve(aws, 'images--euc1-az1--x-s3')).toBeUndefined();
    });
  });
  test('headers that are not printable ASCII are left to the SDK', async () => {
    expect(await buildPut(await at(generic, 'b'), 'k', body, digest, { metadata: { name: 'café' } }, KEYS, WHEN)).toBeUndefined();
    expect(await buildPut(await at(generic, 'b'), 'k', body, digest, { contentDisposition: 'attachment; filename="ü"' }, KEYS, WHEN)).toBeUndefined();
    expect(await buildPut(await at(generic, 'b'), 'k', body, digest, { metadata: { A: '1', a: '2' } }, KEYS, WHEN)).toBeUndefined();
  });
});

describe('answers from a server playing S3', () => {
  let server: http.Server;
  let endpoint: string;
  let reply: (req: http.IncomingMessage, n: number) => { status: number; headers?: Record<string, string>; body?: string };
  let seen: http.IncomingHttpHeaders[];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(req.headers);
        const r = reply(req, seen.length);
        res.writeHead(r.status, r.headers ?? {});
        res.end(r.body ?? '');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => (seen = []));
  afterEach(() => jest.restoreAllMocks());

  function bucket(): { wire: S3Bucket; close: () => void } {
    const client = createS3Client({ provider: 'generic', endpoint, region: 'us-east-1', credentials: KEYS, maxSockets: 4 });
    return { wire: new S3Bucket(client, 'b', 's3://b at test'), close: () => client.destroy() };
  }
  const xml = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message></Message></Error>`;

  test('the ETag comes back unquoted; the signed payload hash is the given digest', async () => {
    reply = () => ({ status: 200, headers: { ETag: '"0123abcd"' } });
    const { wire, close } = bucket();
    await expect(wire.put('a b', body, digest, { acl: 'private' })).resolves.toBe('0123abcd');
    expect(seen[0]!['x-amz-content-sha256']).toBe(digest.toString('hex'));
    expect(seen[0]!['x-amz-acl']).toBe('private');
    close();
  });

  test('503 and SlowDown are retried; the store sees the request again', async () => {
    reply = (_r, n) => (n === 1 ? { status: 503, body: xml('SlowDown') } : n === 2 ? { status: 500, body: xml('InternalError') } : { status: 200, headers: { ETag: '"e"' } });
    const { wire, close } = bucket();
    await expect(wire.put('k', body, digest, {})).resolves.toBe('e');
    expect(seen).toHaveLength(3);
    close();
  });

  test.each([
    ['XAmzContentSHA256Mismatch', 400, 'bad-digest'],
    ['AccessControlListNotSupported', 400, 'acl-not-supported'],
    ['NoSuchBucket', 404, 'no-such-bucket'],
    ['AccessDenied', 403, 'access-denied'],
  ])('%s (HTTP %i) is final and maps to %s, as from the SDK', async (code, status, kind) => {
    reply = () => ({ status, body: xml(code) });
    const { wire, close } = bucket();
    const err = await wire.put('k', body, digest, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ kind, code, message: `PUT s3://b at test key "k": ${code} (HTTP ${status})${(err as Error).message.slice((`PUT s3://b at test key "k": ${code} (HTTP ${status})`).length)}` });
    expect(seen).toHaveLength(1);
    expect((err as Error).message).not.toContain(KEYS.secretAccessKey);
    close();
  });

  test('gives up after the client\'s attempts, as unavailable', async () => {
    reply = () => ({ status: 503, body: xml('ServiceUnavailable') });
    const client = createS3Client({ provider: 'generic', endpoint, region: 'us-east-1', credentials: KEYS, maxSockets: 4, maxAttempts: 3 });
    await expect(new S3Bucket(client, 'b', 's3://b').put('k', body, digest, {})).rejects.toMatchObject({ kind: 'unavailable' });
    expect(seen).toHaveLength(3);
    client.destroy();
  });

  test('non-ASCII metadata goes through the SDK', async () => {
    const send = jest.spyOn(S3Client.prototype, 'send').mockImplementation(async () => ({ ETag: '"sdk"' }));
    const { wire, close } = bucket();
    await expect(wire.put('k', body, digest, { metadata: { title: 'Grüße' } })).resolves.toBe('sdk');
    expect(send).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(0);
    close();
  });

  test('credentials=default without any credentials is no-credentials', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' });
    try {
      const client = createS3Client({ provider: 'generic', endpoint, region: 'us-east-1', credentials: 'default', maxSockets: 4 });
      await expect(new S3Bucket(client, 'b', 's3://b').put('k', body, digest, {})).rejects.toMatchObject({ kind: 'no-credentials' });
      expect(seen).toHaveLength(0);
      client.destroy();
    } finally {
      process.env = saved;
    }
  });

  test.each([['lean'], ['sdk']] as const)('%s: a page that fails while the caller still works on the one before fails the listing, never as an unhandled rejection', async (wire) => {
    const page = (n: number, truncated: boolean) =>
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><EncodingType>url</EncodingType><Name>b</Name><KeyCount>1</KeyCount>' +
      `<IsTruncated>${truncated}</IsTruncated><Contents><Key>k${n}</Key><Size>1</Size></Contents>${truncated ? '<NextContinuationToken>t</NextContinuationToken>' : ''}</ListBucketResult>`;
    // The second page is asked for ahead, and is cut short: it fails at once.
    reply = (_r, n) => ({ status: 200, headers: { 'content-type': 'application/xml' }, body: n === 1 ? page(1, true) : page(2, false).slice(0, 120) });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const client = createS3Client({ provider: 'generic', endpoint, region: 'us-east-1', credentials: KEYS, maxSockets: 4, wire });
    try {
      const pages = new S3Bucket(client, 'b', 's3://b at test').listPages('');
      expect((await pages.next()).value.map((o: { key: string }) => o.key)).toEqual(['k1']);
      // The caller is busy with the first page until the second has failed.
      while (seen.length < 2) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 100));
      await expect(pages.next()).rejects.toMatchObject({ kind: 'bad-answer' });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      client.destroy();
    }
  });
});

describe('lean HEAD: the same Authorization as @smithy/signature-v4, the SDK\'s answers', () => {
  for (const key of ['plain.txt', 'a b/c d.log', 'x+y=z', '100%/done', 'naïve/日本語.txt', 'deep//double/./dot/..', 'ctl\u0001\r\n']) {
    test(`${JSON.stringify(key)}`, async () => {
      for (const keys of [KEYS, { ...KEYS, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN//+=' }]) {
        const head = buildHead(await at(generic, 'logs-bucket'), key, keys, WHEN)!;
        expect(head.method).toBe('HEAD');
        expect(head.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('').digest('hex'));
        expect(head.headers.authorization).toBe(await sdkSigned('HEAD', generic, head, keys));
        // A GET of the same key signs differently: the method is signed.
        expect(head.headers.authorization).not.toBe(buildGet(await at(generic, 'logs-bucket'), key, keys, WHEN)!.headers.authorization);
      }
    });
  }
  test('AWS endpoints go through the SDK, as GETs do', async () => {
    expect(buildHead(await at(aws, 'b-1'), 'k', KEYS, WHEN)).toBeUndefined();
  });

  describe('answers from a server playing S3, on both wires', () => {
    let server: http.Server;
    let endpoint: string;
    let reply: (n: number) => { status: number; headers?: Record<string, string | string[]> };
    let seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders }[];

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        seen.push({ method: req.method, url: req.url, headers: req.headers });
        const r = reply(seen.length);
        res.writeHead(r.status, r.headers ?? {});
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));
    beforeEach(() => (seen = []));
    afterEach(() => jest.restoreAllMocks());

    /** HEAD of `key` on the lean and on the SDK wire: each one's result (or StoreError), and how it went. */
    async function both(key: string, signal?: AbortSignal) {
      const out: Record<string, { result: unknown; requests: number; sdkSends: number; method?: string }> = {};
      for (const wire of ['lean', 'sdk'] as const) {
        const client = createS3Client({ provider: 'generic', endpoint, region: 'us-east-1', credentials: KEYS, maxSockets: 4, maxAttempts: 3, wire });
        const send = jest.spyOn(client, 'send');
        seen = [];
        const result = await new S3Bucket(client, 'b', 's3://b at test')
          .head(key, signal)
          .catch((e: unknown) => (e instanceof StoreError ? { kind: e.kind, code: e.code, message: e.message } : e));
        out[wire] = { result, requests: seen.length, sdkSends: send.mock.calls.length, method: seen[0]?.method };
        client.destroy();
      }
      return out;
    }

    const object = {
      'content-length': '1234',
      etag: '"0123456789abcdef0123456789abcdef-2"',
      'last-modified': 'Mon, 30 Nov 2026 23:17:14 GMT',
      'content-type': 'application/x-qemu-disk',
      'content-encoding': 'gzip',
      'cache-control': 'max-age=60',
      'content-disposition': 'attachment; filename="a b.qcow2"',
      'x-amz-meta-sha256': 'f'.repeat(64),
      'x-amz-meta-Mixed-Case': 'v a l',
      'x-amz-meta-empty': '',
      'x-amz-request-id': 'tx0',
    };

    test('a found object: the same head on both wires (size, ETag, date, metadata, content headers), the lean one sent as a HEAD without the SDK', async () => {
      reply = () => ({ status: 200, headers: object });
      const r = await both('dir/a b+c.qcow2');
      expect(r.lean!.result).toEqual(r.sdk!.result);
      expect(r.lean!.result).toMatchObject({ key: 'dir/a b+c.qcow2', size: 1234, etag: '0123456789abcdef0123456789abcdef-2', metadata: { sha256: 'f'.repeat(64), 'mixed-case': 'v a l', empty: '' } });
      expect(r.lean).toMatchObject({ requests: 1, sdkSends: 0, method: 'HEAD' });
      expect(r.sdk).toMatchObject({ requests: 1, sdkSends: 1, method: 'HEAD' });
    });

    test('a bare answer (no ETag, no date, no metadata) reads the same on both wires', async () => {
      reply = () => ({ status: 200, headers: { 'content-length': '0' } });
      const r = await both('k');
      expect(r.lean!.result).toEqual(r.sdk!.result);
      expect(r.lean).toMatchObject({ requests: 1, sdkSends: 0 });
    });

    test.each([
      [404, 'absent (undefined)'],
      [403, 'access-denied'],
      [301, 'a redirect error'],
      [400, 'an invalid request'],
      [412, 'changed'],
    ])('HTTP %i with an empty body: %s, the same StoreError on both wires, not retried', async (status) => {
      const headers: Record<string, string> = status === 301 ? { 'x-amz-bucket-region': 'eu-west-1' } : {};
      reply = () => ({ status, headers });
      const r = await both('k');
      expect(r.lean!.result).toEqual(r.sdk!.result);
      if (status === 404) expect(r.lean!.result).toBeUndefined();
      else expect(r.lean!.result).toMatchObject({ kind: expect.any(String), message: expect.stringContaining(`(HTTP ${status})`) });
      expect(r.lean).toMatchObject({ requests: 1, sdkSends: 0 });
      expect(r.sdk).toMatchObject({ requests: 1, sdkSends: 1 });
    });

    test('503 is retried, then the head read, on both wires; after the attempts it is unavailable on both', async () => {
      reply = (n) => (n === 1 ? { status: 503 } : { status: 200, headers: object });
      const r = await both('k');
      expect(r.lean!.result).toEqual(r.sdk!.result);
      expect(r.lean).toMatchObject({ requests: 2, sdkSends: 0 });
      reply = () => ({ status: 500 });
      const failed = await both('k');
      expect(failed.lean!.result).toEqual(failed.sdk!.result);
      expect(failed.lean!.result).toMatchObject({ kind: 'unavailable' });
      expect(failed.lean).toMatchObject({ requests: 3, sdkSends: 0 });
    });

    test('a HEAD the caller may abort goes through the SDK', async () => {
      reply = () => ({ status: 200, headers: object });
      const r = await both('k', new AbortController().signal);
      expect(r.lean!.result).toEqual(r.sdk!.result);
      expect(r.lean).toMatchObject({ requests: 1, sdkSends: 1 });
    });
  });
});

describe('lean GET: the same Authorization as @smithy/signature-v4', () => {
  const sdkGet = (target: Spec, signed: Signed, keys: SigningKeys) => sdkSigned('GET', target, signed, keys);
  for (const key of ['plain.txt', 'a b/c d.log', 'x+y=z', '100%/done', 'naïve/日本語.txt', 'deep//double/./dot/..']) {
    test(`${JSON.stringify(key)}`, async () => {
      for (const keys of [KEYS, { ...KEYS, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN//+=' }]) {
        const get = (await buildGet(await at(generic, 'logs-bucket'), key, keys, WHEN))!;
        expect(get.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('').digest('hex'));
        expect(get.headers.authorization).toBe(await sdkGet(generic, get, keys));
      }
    });
  }
  test('AWS endpoints go through the SDK, which validates response checksums there', async () => {
    expect(await buildGet(await at(aws, 'b-1'), 'k', KEYS, WHEN)).toBeUndefined();
  });
});

describe('lean ListObjectsV2', () => {
  test('signed with its query as @smithy/signature-v4 signs it', async () => {
    for (const list of [{}, { prefix: 'a b/ü+%' }, { prefix: 'logs/', startAfter: 'logs/x~y*z' }, { continuationToken: '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=', startAfter: 'ignored' }]) {
      const get = (await buildList(await at(generic, 'bucket-1'), list, KEYS, WHEN))!;
      const [pathOnly, query] = get.address.path.split('?') as [string, string];
      expect(pathOnly).toBe('/bucket-1/');
      const queryObject = Object.fromEntries(query.split('&').map((p) => p.split('=').map(decodeURIComponent) as [string, string]));
      const authorization = await authorizationBySdk({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: 7480, path: pathOnly, query: queryObject, headers: get.headers }, KEYS, generic.region, WHEN);
      expect(get.headers.authorization).toBe(authorization);
      if (list.continuationToken) expect(query).not.toContain('start-after');
    }
  });

  test('reads keys with entities, sizes, ETags and the next token; refuses what it cannot read', () => {
    const page = parseListPage(
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>' +
        '<Contents><Key>a &amp; b&lt;c&gt;&#x1F600;&#233;&quot;&apos;</Key><LastModified>2026-11-22T03:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>' +
        '<Contents><Key>z/multi</Key><ETag>&quot;0123456789abcdef0123456789abcdef-3&quot;</ETag><Size>15728640</Size></Contents>' +
        '<NextContinuationToken>tok&amp;en</NextContinuationToken><KeyCount>2</KeyCount></ListBucketResult>',
    );
    expect(page.contents).toEqual([
      { key: 'a & b<c>\u{1F600}é"\'', size: 5, etag: '"0123456789abcdef0123456789abcdef"', lastModified: new Date('2026-11-22T03:00:00.000Z') },
      { key: 'z/multi', size: 15728640, etag: '"0123456789abcdef0123456789abcdef-3"', lastModified: undefined },
    ]);
    expect(page.nextContinuationToken).toBe('tok&en');
    expect(parseListPage('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')).toEqual({ contents: [], nextContinuationToken: undefined });
    expect(() => parseListPage('<Error><Code>AccessDenied</Code></Error>')).toThrow(/not a ListBucketResult/);
    expect(() => parseListPage('<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>')).toThrow(/without NextContinuationToken/);
    expect(() => parseListPage('<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>')).toThrow(/without Key or Size/);
  });
});
