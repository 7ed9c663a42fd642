/** The ObjectStore contract on a real S3 server (Ceph RGW 16), plus what only S3 has: visibility. */
import { createHash, randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { probeAnonymous } from '../../src/s3/anonymous';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { describeStoreContract } from '../helpers/store-contract';
import { AWKWARD_KEYS } from '../helpers/awkward-keys';
import { compareKeys } from '../../src/storage/key-range';
import type { Wire } from '../../src/s3/client';
import { anonymousStatus, rgw, useBuckets } from '../helpers/rgw';

const makeBucket = useBuckets();

const stores: S3Store[] = [];
afterAll(() => stores.forEach((s) => s.close()));

/** A store on the old cluster's bucket, closed after the file's tests. */
function storeFor(bucket: string, prefix = '', options = '', wire: Wire = 'lean'): S3Store {
  const e = rgw('old');
  const spec = parseStoreSpec(`${e.endpoint}/${bucket}/${prefix} ${options}`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  const store = new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: e.secretKey }, { concurrency: 8, wire });
  stores.push(store);
  return store;
}

// Both wire paths: the lean requests every non-AWS store uses, and the SDK's, which AWS stores use.
for (const wire of ['lean', 'sdk'] as const) {
  describeStoreContract(`S3 on Ceph RGW, with a prefix, ${wire} wire`, async () => {
    const bucket = await makeBucket('old', 'contract');
    const s = storeFor(bucket, `p${randomBytes(3).toString('hex')}/`, '', wire);
    return s;
  });
}

describe('keys of every class on both wire paths', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();
  const listAll = async (s: S3Store) => {
    const out: string[] = [];
    for await (const o of s.list('')) out.push(o.key);
    return out;
  };

  test('written through either path, each key lists, reads and deletes byte-exact through both, and both list the same', async () => {
    const bucket = await makeBucket('old', 'keys');
    const lean = storeFor(bucket, 'k/', '', 'lean');
    const sdk = storeFor(bucket, 'k/', '', 'sdk');
    const written: string[] = [];
    for (const [wire, s] of [['lean', lean], ['sdk', sdk]] as const) {
      for (const k of AWKWARD_KEYS) {
        const key = `${wire}/${k}`;
        await s.put(key, Buffer.from(key), sha(Buffer.from(key)), { visibility: 'private' });
        written.push(key);
      }
    }
    written.sort(compareKeys);
    const viaLean = await listAll(lean);
    const viaSdk = await listAll(sdk);
    expect(viaLean).toEqual(written);
    expect(viaSdk).toEqual(written);
    // Read back through the other path than the one that wrote it.
    for (const key of written) {
      const reader = key.startsWith('lean/') ? sdk : lean;
      const { head, body } = await reader.read(key);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      expect({ key: head.key, body: Buffer.concat(chunks).toString() }).toEqual({ key, body: key });
      expect((await reader.head(key))?.size).toBe(Buffer.byteLength(key));
    }
    for (const key of written) await (key.startsWith('lean/') ? sdk : lean).delete(key);
    expect(await listAll(lean)).toEqual([]);
    expect(await listAll(sdk)).toEqual([]);
  });

  test('HEAD of each key class reads the same through both paths, the lean one sent without the SDK; a missing key is absent on both', async () => {
    const bucket = await makeBucket('old', 'heads');
    const lean = storeFor(bucket, 'h/', '', 'lean');
    const sdk = storeFor(bucket, 'h/', '', 'sdk');
    const metadata = { sha256: 'f'.repeat(64), 'Mixed-Case': 'a  b' };
    for (const k of AWKWARD_KEYS) await sdk.put(k, Buffer.from(k), sha(Buffer.from(k)), { visibility: 'private', contentType: 'text/plain', cacheControl: 'max-age=60', metadata });
    const send = jest.spyOn(S3Client.prototype, 'send');
    try {
      for (const k of [...AWKWARD_KEYS, 'missing/key']) {
        const before = send.mock.calls.length;
        const viaLean = await lean.head(k);
        expect([k, send.mock.calls.length - before]).toEqual([k, 0]);
        const viaSdk = await sdk.head(k);
        expect([k, send.mock.calls.length - before]).toEqual([k, 1]);
        expect(viaLean).toEqual(viaSdk);
        if (k !== 'missing/key') expect(viaLean).toMatchObject({ key: k, size: Buffer.byteLength(k), metadata: { sha256: 'f'.repeat(64), 'mixed-case': 'a  b' }, cacheControl: 'max-age=60' });
        else expect(viaLean).toBeUndefined();
      }
    } finally {
      send.mockRestore();
    }
  });

  test('a listing from each key in turn starts exactly there on both paths (StartAfter with awkward keys)', async () => {
    const bucket = await makeBucket('old', 'pages');
    const lean = storeFor(bucket, '', '', 'lean');
    const sdk = storeFor(bucket, '', '', 'sdk');
    const keys = [...AWKWARD_KEYS].sort(compareKeys);
    for (const k of keys) await lean.put(k, Buffer.from('x'), sha(Buffer.from('x')), { visibility: 'private' });
    // Start after each key in turn: the next page begins exactly after it, on both paths.
    for (const [i, after] of keys.entries()) {
      for (const s of [lean, sdk]) {
        const got: string[] = [];
        for await (const o of s.list('', { from: after })) got.push(o.key);
        expect(got).toEqual(keys.slice(i));
      }
    }
  });
});

describe('visibility on RGW', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();

  test('the ACL travels with the PUT and the multipart create: anonymous readers get exactly what the rules say', async () => {
    const bucket = await makeBucket('old', 'vis');
    const s = storeFor(bucket);
    await s.preflight();
    expect(s.visibilityMode).toBe('acl');
    const body = Buffer.from('image');
    await s.put('fedora.qcow2', body, sha(body), { visibility: 'public' });
    await s.put('rhel.qcow2', body, sha(body), { visibility: 'private' });
    const w = await s.startMultipart('rhel-big.qcow2', { visibility: 'private' });
    const part = Buffer.alloc(5 * 1024 * 1024, 7);
    await w.writePart(1, part, sha(part));
    await w.complete();
    expect(await anonymousStatus('old', bucket, 'fedora.qcow2')).toBe(200);
    expect(await anonymousStatus('old', bucket, 'rhel.qcow2')).toBe(403);
    expect(await anonymousStatus('old', bucket, 'rhel-big.qcow2')).toBe(403);
    expect(await probeAnonymous(s.anonymousAddress('fedora.qcow2'))).toMatchObject({ access: 'readable' });
    expect(await probeAnonymous(s.anonymousAddress('rhel.qcow2'))).toMatchObject({ access: 'denied' });
  });

  test('detect mode on RGW: ownership controls prove nothing, so ACLs are sent and work', async () => {
    const bucket = await makeBucket('old', 'detect');
    const s = storeFor(bucket, '', 'visibility=detect');
    await s.preflight();
    expect(s.visibilityMode).toBe('detect');
    const body = Buffer.from('x');
    await s.put('rhel-x', body, sha(body), { visibility: 'private' });
    expect(await anonymousStatus('old', bucket, 'rhel-x')).toBe(403);
  });

  test('preflight names a missing bucket and refused credentials', async () => {
    const missing = storeFor('no-such-bucket-here');
    await expect(missing.preflight()).rejects.toMatchObject({ kind: 'no-such-bucket' });
    const e = rgw('old');
    const spec = parseStoreSpec(`${e.endpoint}/anything`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
    const wrong = new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: 'not-the-secret' }, { concurrency: 1 });
    stores.push(wrong);
    await expect(wrong.preflight()).rejects.toMatchObject({ kind: 'access-denied' });
  });
});

test('listing past one page, on both wire paths: every key once, in order, and ranges that start and stop mid-page', async () => {
  const bucket = await makeBucket('old', 'paging');
  const s = storeFor(bucket, 'deep/');
  const keys = Array.from({ length: 2105 }, (_, i) => `k/${String(i).padStart(5, '0')}${i % 7 === 0 ? ' & <x>' : ''}`);
  const body = Buffer.from('x');
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < keys.length) await s.put(keys[next++]!, body, createHash('sha256').update(body).digest(), { visibility: 'private' });
    }),
  );
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const sdk = storeFor(bucket, 'deep/', '', 'sdk');
  // The same listing through both wire paths: continuation tokens, StartAfter, the end of a range.
  for (const reader of [s, sdk]) {
    const all: string[] = [];
    let pages = 0;
    for await (const page of reader.listPages()) {
      pages++;
      for (const o of page) all.push(o.key);
    }
    expect(pages).toBe(3);
    expect(all).toEqual(sorted);
    const from = sorted[999]!;
    const to = sorted[2001]!;
    const ranged: string[] = [];
    for await (const o of reader.list('k/', { from, to })) ranged.push(o.key);
    expect(ranged).toEqual(sorted.slice(999, 2001));
  }
});

test('server-side copy part by part (UploadPartCopy), as for objects over 5 GiB: content, headers, visibility, nothing left open', async () => {
  const bucket = await makeBucket('old', 'partcopy');
  const e = rgw('old');
  const spec = (prefix: string) => parseStoreSpec(`${e.endpoint}/${bucket}/${prefix}`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  const keys = { accessKeyId: e.accessKey, secretAccessKey: e.secretKey };
  const source = new S3Store(spec('src/'), keys, { concurrency: 8 });
  const dest = new S3Store(spec('dst/'), keys, { concurrency: 8, copyObjectMax: 5 * 1024 * 1024, copyPartSize: 5 * 1024 * 1024 });
  stores.push(source, dest);
  const body = randomBytes(12 * 1024 * 1024 + 3);
  const digest = createHash('sha256').update(body).digest();
  await source.put('rhel-10.qcow2', body, digest, { visibility: 'public', contentType: 'application/x-qemu-disk', metadata: { sha256: digest.toString('hex') } });
  expect(dest.canCopyFrom(source)).toBe(true);
  const r = await dest.copyFrom(source, 'rhel-10.qcow2', 'rhel-10.qcow2', body.length, { visibility: 'private', contentType: 'application/x-qemu-disk', cacheControl: 'no-store', metadata: { sha256: digest.toString('hex') } });
  expect(r?.etag).toMatch(/^[0-9a-f]{32}-3$/);
  const head = await dest.head('rhel-10.qcow2');
  expect(head).toMatchObject({ size: body.length, etag: r!.etag, contentType: 'application/x-qemu-disk', cacheControl: 'no-store', metadata: { sha256: digest.toString('hex') } });
  const got = createHash('sha256');
  for await (const c of await dest.get('rhel-10.qcow2')) got.update(c as Buffer);
  expect(got.digest('hex')).toBe(digest.toString('hex'));
  expect(await anonymousStatus('old', bucket, 'dst/rhel-10.qcow2')).toBe(403);
  expect(await anonymousStatus('old', bucket, 'src/rhel-10.qcow2')).toBe(200);
  expect(await dest.listOpenUploads()).toEqual([]);
  // Other credentials: not the same account, so nothing is copied by the server.
  const other = new S3Store({ ...spec('other/'), credentials: { type: 'env', name: 'OTHER' } }, keys, { concurrency: 2 });
  stores.push(other);
  expect(other.canCopyFrom(source)).toBe(false);
  expect(await other.copyFrom(source, 'rhel-10.qcow2', 'x', body.length, { visibility: 'private' })).toBeUndefined();
});
