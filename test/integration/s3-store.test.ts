/** The ObjectStore contract on a real S3 server (Ceph RGW 16), plus what only S3 has: visibility. */
import { createHash, randomBytes } from 'node:crypto';
import { probeAnonymous } from '../../src/s3/anonymous';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { describeStoreContract } from '../helpers/store-contract';
import { anonymousStatus, dropBucket, newBucket, rgw } from '../helpers/rgw';

const buckets: string[] = [];
afterAll(async () => {
  for (const b of buckets) await dropBucket('old', b);
});

function storeFor(bucket: string, prefix = '', options = ''): S3Store {
  const e = rgw('old');
  const spec = parseStoreSpec(`${e.endpoint}/${bucket}/${prefix} ${options}`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  return new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: e.secretKey }, { concurrency: 8 });
}

const stores: S3Store[] = [];
afterAll(() => stores.forEach((s) => s.close()));

describeStoreContract('S3 on Ceph RGW, with a prefix', async () => {
  const bucket = await newBucket('old', 'contract');
  buckets.push(bucket);
  const s = storeFor(bucket, `p${randomBytes(3).toString('hex')}/`);
  stores.push(s);
  return s;
});

describe('visibility on RGW', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();

  test('the ACL travels with the PUT and the multipart create: anonymous readers get exactly what the rules say', async () => {
    const bucket = await newBucket('old', 'vis');
    buckets.push(bucket);
    const s = storeFor(bucket);
    stores.push(s);
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
    expect(await probeAnonymous(s.anonymousUrl('fedora.qcow2'))).toMatchObject({ access: 'readable' });
    expect(await probeAnonymous(s.anonymousUrl('rhel.qcow2'))).toMatchObject({ access: 'denied' });
  });

  test('detect mode on RGW: ownership controls prove nothing, so ACLs are sent and work', async () => {
    const bucket = await newBucket('old', 'detect');
    buckets.push(bucket);
    const s = storeFor(bucket, '', 'visibility=detect');
    stores.push(s);
    await s.preflight();
    expect(s.visibilityMode).toBe('detect');
    const body = Buffer.from('x');
    await s.put('rhel-x', body, sha(body), { visibility: 'private' });
    expect(await anonymousStatus('old', bucket, 'rhel-x')).toBe(403);
  });

  test('preflight names a missing bucket and refused credentials', async () => {
    const missing = storeFor('no-such-bucket-here');
    stores.push(missing);
    await expect(missing.preflight()).rejects.toMatchObject({ kind: 'no-such-bucket' });
    const e = rgw('old');
    const spec = parseStoreSpec(`${e.endpoint}/anything`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
    const wrong = new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: 'not-the-secret' }, { concurrency: 1 });
    stores.push(wrong);
    await expect(wrong.preflight()).rejects.toMatchObject({ kind: 'access-denied' });
  });
});

test('listing past one page: every key once, in order, and ranges that start and stop mid-page', async () => {
  const bucket = await newBucket('old', 'paging');
  buckets.push(bucket);
  const s = storeFor(bucket, 'deep/');
  stores.push(s);
  const keys = Array.from({ length: 2105 }, (_, i) => `k/${String(i).padStart(5, '0')}${i % 7 === 0 ? ' & <x>' : ''}`);
  const body = Buffer.from('x');
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < keys.length) await s.put(keys[next++]!, body, createHash('sha256').update(body).digest(), { visibility: 'private' });
    }),
  );
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const all: string[] = [];
  let pages = 0;
  for await (const page of s.listPages()) {
    pages++;
    for (const o of page) all.push(o.key);
  }
  expect(pages).toBe(3);
  expect(all).toEqual(sorted);
  const from = sorted[999]!;
  const to = sorted[2001]!;
  const ranged: string[] = [];
  for await (const o of s.list('k/', { from, to })) ranged.push(o.key);
  expect(ranged).toEqual(sorted.slice(999, 2001));
});
