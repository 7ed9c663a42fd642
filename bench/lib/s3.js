'use strict';
/**
 * Buckets on a bench cluster through the AWS SDK, independently of the code being measured:
 * create a fresh one, look at what a tool left in it, and drop it (objects, open multipart uploads,
 * then the bucket).
 */
const { randomBytes } = require('node:crypto');
const {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListMultipartUploadsCommand,
  AbortMultipartUploadCommand,
} = require('@aws-sdk/client-s3');

const clients = new Map();

/** An SDK client for a cluster (as described by rgw.describe), set up the way Ceph 16 needs. */
function client(cluster) {
  if (!clients.has(cluster.endpoint)) {
    clients.set(
      cluster.endpoint,
      new S3Client({
        endpoint: cluster.endpoint,
        region: cluster.region,
        credentials: { accessKeyId: cluster.accessKey, secretAccessKey: cluster.secretKey },
        forcePathStyle: true,
        // The SDK's default CRC32 trailers are refused by Ceph 16 (411 MissingContentLength).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    );
  }
  return clients.get(cluster.endpoint);
}

/** Creates an empty bucket named `STEM-<random>` and resolves to its name. */
async function createBucket(cluster, stem) {
  const bucket = `${stem}-${randomBytes(4).toString('hex')}`;
  await client(cluster).send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** Every object in a bucket: [{ key, size }], in listing order. */
async function listObjects(cluster, bucket) {
  const out = [];
  let token;
  do {
    const r = await client(cluster).send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push({ key: o.Key, size: o.Size });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** HEAD of one object: { size, metadata }. */
async function headObject(cluster, bucket, key) {
  const r = await client(cluster).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { size: r.ContentLength, metadata: r.Metadata ?? {} };
}

/**
 * Aborts open multipart uploads, deletes every object, then the bucket. One DeleteObject per key:
 * bench buckets hold a handful of keys, and DeleteObjects would need a Content-MD5 that the SDK
 * no longer adds with WHEN_REQUIRED checksums.
 */
async function dropBucket(cluster, bucket) {
  const c = client(cluster);
  let uploads;
  do {
    uploads = (await c.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
    for (const u of uploads) await c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  } while (uploads.length > 0);
  for (const o of await listObjects(cluster, bucket)) await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.key }));
  await c.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Closes the SDK clients' sockets so that the process can exit. */
function closeClients() {
  for (const c of clients.values()) c.destroy();
  clients.clear();
}

module.exports = { client, createBucket, listObjects, headObject, dropBucket, closeClients };
