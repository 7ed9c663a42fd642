/**
 * AWS behaviours that Ceph RGW 16 lacks, at the SDK boundary: BucketOwnerEnforced buckets (ACL
 * headers refused with AccessControlListNotSupported), ownership-controls answers, and a
 * CompleteMultipartUpload whose answer was lost. Everything else is tested against RGW itself.
 */
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { ObjectHeaders } from '../../src/s3/bucket';
import { LeanClient } from '../../src/s3/lean-client';
import { multipartEtag } from '../../src/storage/etag';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';

type Sent = { command: string; input: Record<string, unknown> };

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** An S3Store on an AWS URL whose SDK calls are answered by `answer` and recorded. */
function fakeAws(visibility: string, answer: (command: string, input: Record<string, unknown>) => unknown) {
  const sent: Sent[] = [];
  (jest.spyOn(S3Client.prototype, 'send') as unknown as jest.SpyInstance).mockImplementation(async (cmd: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const command = cmd.constructor.name.replace(/Command$/, '');
    sent.push({ command, input: cmd.input });
    const r = answer(command, cmd.input);
    if (r instanceof Error) throw r;
    return r ?? {};
  });
  // Single PUTs do not go through the SDK: answer them as the PutObject they stand for.
  jest.spyOn(LeanClient.prototype, 'put').mockImplementation(async (key: string, _body: Buffer, _sha: Buffer, headers: ObjectHeaders) => {
    const input = { Key: key, ACL: headers.acl };
    sent.push({ command: 'PutObject', input });
    const r = answer('PutObject', input);
    if (r instanceof Error) throw r;
    return { etag: (r as { ETag?: string } | undefined)?.ETag };
  });
  const spec = parseStoreSpec(`https://cockpit-images.s3.us-east-1.amazonaws.com/ visibility=${visibility}`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  const store = new S3Store(spec, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' }, { concurrency: 4 });
  return { store, sent };
}

const body = Buffer.from('image');
const digest = createHash('sha256').update(body).digest();
const acls = (sent: Sent[], command: string) => sent.filter((s) => s.command === command).map((s) => s.input.ACL);

afterEach(() => jest.restoreAllMocks());

test('AWS defaults to detect; BucketOwnerEnforced switches to policy mode and no ACL header is ever sent', async () => {
  const { store, sent } = fakeAws('detect', (c) => (c === 'GetBucketOwnershipControls' ? { OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } } : c === 'CreateMultipartUpload' ? { UploadId: 'u1' } : {}));
  await store.preflight();
  expect(store.visibilityMode).toBe('policy');
  await store.put('fedora.qcow2', body, digest, { visibility: 'public' });
  await store.put('rhel.qcow2', body, digest, { visibility: 'private' });
  await store.startMultipart('big.qcow2', { visibility: 'private' });
  expect(acls(sent, 'PutObject')).toEqual([undefined, undefined]);
  expect(acls(sent, 'CreateMultipartUpload')).toEqual([undefined]);
});

test('an answer that is not an ownership document (Ceph answers a listing) proves nothing: ACLs are sent', async () => {
  const { store, sent } = fakeAws('detect', (c) => (c === 'GetBucketOwnershipControls' ? {} : {}));
  await store.preflight();
  expect(store.visibilityMode).toBe('detect');
  await store.put('rhel.qcow2', body, digest, { visibility: 'private' });
  expect(acls(sent, 'PutObject')).toEqual(['private']);
});

test('detect: AccessControlListNotSupported means the refused request created nothing; it is repeated without ACL, and so is every later one', async () => {
  const { store, sent } = fakeAws('detect', (c, input) => {
    if (c === 'GetBucketOwnershipControls') return awsError('AccessDenied', 403);
    if (c === 'PutObject' && input.ACL !== undefined) return awsError('AccessControlListNotSupported', 400);
    return {};
  });
  await store.preflight();
  await store.put('fedora.qcow2', body, digest, { visibility: 'public' });
  await store.put('rhel.qcow2', body, digest, { visibility: 'private' });
  expect(acls(sent, 'PutObject')).toEqual(['public-read', undefined, undefined]);
  expect(store.visibilityMode).toBe('policy');
});

test('acl mode on a BucketOwnerEnforced bucket fails with a message that says what to change', async () => {
  const { store } = fakeAws('acl', (c, input) => (c === 'PutObject' && input.ACL ? awsError('AccessControlListNotSupported', 400) : {}));
  await expect(store.put('x', body, digest, { visibility: 'public' })).rejects.toMatchObject({
    kind: 'acl-not-supported',
    message: expect.stringContaining('use visibility=policy'),
  });
});

test('policy mode never sends an ACL, whatever the visibility', async () => {
  const { store, sent } = fakeAws('policy', (c) => (c === 'CreateMultipartUpload' ? { UploadId: 'u' } : {}));
  await store.preflight();
  await store.put('rhel', body, digest, { visibility: 'private' });
  await store.startMultipart('fedora', { visibility: 'public' });
  expect(sent.filter((s) => 'ACL' in s.input && s.input.ACL !== undefined)).toEqual([]);
});

describe('a CompleteMultipartUpload whose answer is lost', () => {
  const part = Buffer.alloc(1024, 3);
  const partMd5 = createHash('md5').update(part).digest();

  test('is resolved by the object: our parts, our ETag, so it did complete', async () => {
    const { store, sent } = fakeAws('policy', (c) => {
      if (c === 'CreateMultipartUpload') return { UploadId: 'u' };
      if (c === 'UploadPart') return { ETag: `"${partMd5.toString('hex')}"` };
      if (c === 'CompleteMultipartUpload') return awsError('NoSuchUpload', 404);
      if (c === 'HeadObject') return { ContentLength: 1024, ETag: `"${multipartEtag([partMd5])}"` };
      return {};
    });
    const w = await store.startMultipart('img', { visibility: 'public' });
    await w.writePart(1, part, createHash('sha256').update(part).digest());
    await expect(w.complete()).resolves.toEqual({ etag: multipartEtag([partMd5]) });
    await w.abort();
    expect(sent.map((s) => s.command)).not.toContain('AbortMultipartUpload');
  });

  test('is a failure when the object holds something else', async () => {
    const { store } = fakeAws('policy', (c) => {
      if (c === 'CreateMultipartUpload') return { UploadId: 'u' };
      if (c === 'UploadPart') return { ETag: '"x"' };
      if (c === 'CompleteMultipartUpload') return awsError('NoSuchUpload', 404);
      if (c === 'HeadObject') return { ContentLength: 5, ETag: '"0123456789abcdef0123456789abcdef"' };
      return {};
    });
    const w = await store.startMultipart('img', { visibility: 'public' });
    await w.writePart(1, part, createHash('sha256').update(part).digest());
    await expect(w.complete()).rejects.toMatchObject({ kind: 'not-found' });
  });
});
