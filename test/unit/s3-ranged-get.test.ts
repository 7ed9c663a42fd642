/**
 * Ranged GETs at the SDK boundary, for what Ceph RGW always does right and other servers may not:
 * a server that ignores the Range header answers 200 with the whole object, which must never be
 * taken for the tail that was asked for.
 */
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Bucket } from '../../src/s3/bucket';

function bucketAnswering(answer: Record<string, unknown>) {
  const sent: Record<string, unknown>[] = [];
  (jest.spyOn(S3Client.prototype, 'send') as unknown as jest.SpyInstance).mockImplementation(async (cmd: { input: Record<string, unknown> }) => {
    sent.push(cmd.input);
    return { Body: Readable.from([Buffer.from('0123456789')]), ...answer };
  });
  return { bucket: new S3Bucket(new S3Client({ region: 'us-east-1' }), 'images', 's3://images'), sent };
}

afterEach(() => jest.restoreAllMocks());

test('a ranged GET sends Range and a quoted If-Match, and takes a 206 that starts where it asked', async () => {
  const { bucket, sent } = bucketAnswering({ ContentRange: 'bytes 4-9/10' });
  await expect(bucket.get('k', { start: 4, ifMatch: 'abc' })).resolves.toBeInstanceOf(Readable);
  expect(sent).toEqual([{ Bucket: 'images', Key: 'k', Range: 'bytes=4-', IfMatch: '"abc"' }]);
});

test('a whole-object answer to a ranged GET is refused', async () => {
  const { bucket } = bucketAnswering({});
  await expect(bucket.get('k', { start: 4 })).rejects.toMatchObject({ kind: 'invalid-request', message: expect.stringMatching(/did not honour the range/) });
});

test('a GET from byte 0 sends no Range header (an empty object has no byte 0)', async () => {
  const { bucket, sent } = bucketAnswering({});
  await bucket.get('k', { start: 0 });
  await bucket.get('k');
  expect(sent.map((s) => s.Range)).toEqual([undefined, undefined]);
});
