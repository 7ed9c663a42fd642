/**
 * The anonymous probe asks for exactly the key it checks. On a local server that records the raw
 * request line, for generated keys of every awkward class: the path the probe sends decodes
 * (by a decoder written here from RFC 3986, sharing nothing with production) to exactly the
 * store's bucket, prefix and key, is the path the AWS SDK sends for a HeadObject of that key, and
 * is the path the lean PUT/GET would use. The AWS addresses (virtual host or path style) are held
 * to the SDK's the same way, with the SDK's request recorded instead of sent.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { probeAnonymous, publicObjectAddress } from '../../src/s3/anonymous';
import { createS3Client } from '../../src/s3/client';
import { leanTarget, requestAddress, type LeanEndpoint } from '../../src/s3/lean-address';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { AWKWARD_SEGMENTS, awkwardKey } from '../helpers/awkward-keys';
import { checkProperty } from '../helpers/property';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly host?: string;
  readonly authorization?: string;
}

let server: http.Server;
let port: number;
const seen: Seen[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, host: req.headers.host, authorization: req.headers.authorization });
    res.writeHead(403, { 'content-length': '0' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/**
 * The key a raw request path names: only unreserved characters, `/` and `%XX` may appear (anything
 * else a client, proxy or server may rewrite), and the bytes must be UTF-8.
 */
function decodeRawPath(raw: string): string {
  if (!/^(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})*$/.test(raw)) throw new Error(`raw path ${JSON.stringify(raw)} holds characters that are not unreserved, '/' or %XX`);
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; ) {
    if (raw[i] === '%') {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(raw.charCodeAt(i));
      i += 1;
    }
  }
  // ignoreBOM: a key may begin with U+FEFF, which must come back too.
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
}

const defaults = { credentials: { type: 'default' as const }, visibility: 'auto' as const, cwd: '/' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' };

test('the decoder used as the oracle reads what it must', () => {
  expect(decodeRawPath('/b/./a%20b/%F0%9F%98%80/%EF%BB%BFx')).toBe('/b/./a b/\u{1F600}/\uFEFFx');
  expect(() => decodeRawPath('/b/a b')).toThrow();
  expect(() => decodeRawPath('/b/%ff')).toThrow();
});

test('examples: dot segments, empty segments and a trailing dot reach the key itself', async () => {
  const spec = parseStoreSpec(`http://127.0.0.1:${port}/bkt/pre`, defaults) as S3StoreSpec;
  const store = new S3Store(spec, credentials, { concurrency: 2 });
  for (const [key, path] of [
    ['./rhel-a', '/bkt/pre/./rhel-a'],
    ['a/../rhel-b', '/bkt/pre/a/../rhel-b'],
    ['a//rhel-c', '/bkt/pre/a//rhel-c'],
    ['rhel-d/.', '/bkt/pre/rhel-d/.'],
    ['..', '/bkt/pre/..'],
    ['100%?#', '/bkt/pre/100%25%3F%23'],
  ] as const) {
    seen.length = 0;
    expect(await probeAnonymous(store.anonymousAddress(key), 1)).toEqual({ access: 'denied', status: 403 });
    expect(seen).toEqual([{ method: 'HEAD', url: path, host: `127.0.0.1:${port}`, authorization: undefined }]);
  }
  store.close();
});

test('property: the probe requests exactly the key, as the SDK and the lean PUT address it', async () => {
  const spec = parseStoreSpec(`http://127.0.0.1:${port}/bkt/pre`, defaults) as S3StoreSpec;
  const store = new S3Store(spec, credentials, { concurrency: 2 });
  const sdk = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
  const leanClient = createS3Client({ provider: 'generic', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxSockets: 1 });
  const lean = (await leanTarget(leanClient, 'bkt'))!.endpoint;
  leanClient.destroy();
  let awkward = 0;
  await checkProperty(
    'anonymous probe path = key = SDK path (recording server)',
    fc.asyncProperty(awkwardKey, async (key) => {
      if (key.split('/').some((s) => s === '.' || s === '..' || s === '')) awkward++;
      seen.length = 0;
      const answer = await probeAnonymous(store.anonymousAddress(key), 1);
      expect(answer).toEqual({ access: 'denied', status: 403 });
      await sdk.send(new HeadObjectCommand({ Bucket: 'bkt', Key: `pre/${key}` })).catch(() => undefined);
      expect(seen).toHaveLength(2);
      const [probe, theSdk] = seen as [Seen, Seen];
      expect(probe.method).toBe('HEAD');
      expect(probe.authorization).toBeUndefined();
      expect(probe.host).toBe(`127.0.0.1:${port}`);
      expect(decodeRawPath(probe.url)).toBe(`/bkt/pre/${key}`);
      expect(probe.url).toBe(theSdk.url);
      expect(requestAddress(lean, `pre/${key}`).path).toBe(theSdk.url);
    }),
    200,
  );
  // The generator must reach the classes the property is about.
  expect(awkward).toBeGreaterThan(60);
  sdk.destroy();
  store.close();
});

test('property: AWS addresses (virtual host, or path style for dotted names) are the SDK\'s, for any key', async () => {
  let recorded: { hostname: string; path: string } | undefined;
  const clients = new Map<string, S3Client>();
  const sdkFor = (region: string) => {
    let c = clients.get(region);
    if (c === undefined) {
      c = new S3Client({
        region,
        credentials,
        maxAttempts: 1,
        requestHandler: {
          handle: async (req: { hostname: string; path: string }) => {
            recorded = { hostname: req.hostname, path: req.path };
            return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
          },
        } as never,
      });
      clients.set(region, c);
    }
    return c;
  };
  // The lean client's endpoint for a bucket on AWS, as it resolves it (no AWS_ variables here).
  const leanEndpoints = new Map<string, Promise<LeanEndpoint | undefined>>();
  const leanFor = (region: string, bucket: string) => {
    const id = `${region} ${bucket}`;
    if (!leanEndpoints.has(id)) {
      const c = createS3Client({ provider: 'aws', sdkEndpoint: true, region, credentials, maxSockets: 1 });
      leanEndpoints.set(id, leanTarget(c, bucket).then((t) => (c.destroy(), t?.endpoint)));
    }
    return leanEndpoints.get(id)!;
  };
  await checkProperty(
    'AWS anonymous address = SDK address',
    fc.asyncProperty(
      fc.constantFrom('cockpit-images', 'images.cockpit', 'a1b', 'x'.repeat(63), 'logs-2026', 'my.dotted.bucket'),
      fc.constantFrom('us-east-1', 'eu-central-1', 'ap-southeast-2'),
      awkwardKey,
      async (bucket, region, key) => {
        recorded = undefined;
        await sdkFor(region).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        const a = publicObjectAddress('aws', undefined, region, bucket, key);
        expect(recorded).toBeDefined();
        expect({ hostname: a.hostname, path: a.path }).toEqual(recorded);
        expect(a.host).toBe(a.hostname);
        expect(a.protocol).toBe('https:');
        expect(decodeRawPath(a.path)).toBe(a.hostname.startsWith(`${bucket}.`) ? `/${key}` : `/${bucket}/${key}`);
        const endpoint = await leanFor(region, bucket);
        const lean = endpoint && requestAddress(endpoint, key);
        expect(lean && { hostname: lean.hostname, path: lean.path }).toEqual(recorded);
      },
    ),
    200,
  );
  for (const c of clients.values()) c.destroy();
});

test('every awkward segment class is generated', () => {
  const sample = fc.sample(awkwardKey, { numRuns: 2000, seed: 1 });
  for (const s of AWKWARD_SEGMENTS.filter((x) => x !== '')) expect(sample.some((k) => k.includes(s))).toBe(true);
  expect(sample.some((k) => k.includes('//'))).toBe(true);
  expect(sample.some((k) => k.startsWith('/'))).toBe(true);
  expect(sample.some((k) => k.endsWith('/'))).toBe(true);
});
