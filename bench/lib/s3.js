'use strict';
/**
 * Buckets on a bench cluster through the AWS SDK, independently of the code being measured:
 * create a fresh one, look at what a tool left in it, and drop it (objects, open multipart uploads,
 * then the bucket).
 */
const { createHash, randomBytes } = require('node:crypto');
const {
  S3Client,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
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

/** Every object in a bucket (under `prefix`, if given): [{ key, size }], in listing order. */
async function listObjects(cluster, bucket, prefix) {
  const out = [];
  let token;
  do {
    const r = await client(cluster).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
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
 * Aborts open multipart uploads, deletes every object, then the bucket. A handful of keys go one
 * DeleteObject each; more go in DeleteObjects batches (deleteKeys).
 */
async function dropBucket(cluster, bucket) {
  const c = client(cluster);
  let uploads;
  do {
    uploads = (await c.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
    for (const u of uploads) await c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  } while (uploads.length > 0);
  const keys = (await listObjects(cluster, bucket)).map((o) => o.key);
  if (keys.length <= 10) for (const key of keys) await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  else await deleteKeys(cluster, bucket, keys);
  await c.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Deletes many keys: DeleteObjects in batches of 1,000, a few batches at once. Ceph 16 refuses a
 * DeleteObjects without Content-MD5, which the SDK no longer adds with WHEN_REQUIRED checksums, so
 * a middleware adds it to these requests.
 */
async function deleteKeys(cluster, bucket, keys, { batch = 1000, parallel = 4 } = {}) {
  const c = client(cluster);
  const batches = [];
  for (let i = 0; i < keys.length; i += batch) batches.push(keys.slice(i, i + batch));
  const one = async (ks) => {
    const cmd = new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ks.map((Key) => ({ Key })), Quiet: true } });
    cmd.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request;
        if (req && req.body !== undefined && req.headers) {
          for (const h of Object.keys(req.headers)) if (/^(content-md5|x-amz-checksum-|x-amz-sdk-checksum-algorithm)/i.test(h)) delete req.headers[h];
          req.headers['content-md5'] = createHash('md5').update(req.body).digest('base64');
        }
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'benchContentMd5' },
    );
    const r = await c.send(cmd);
    if ((r.Errors ?? []).length > 0) {
      const e = r.Errors[0];
      throw new Error(`DeleteObjects on ${bucket}: ${r.Errors.length} key(s) not deleted, e.g. ${e.Key}: ${e.Code} ${e.Message ?? ''}`);
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, batches.length) }, async () => {
      while (next < batches.length) await one(batches[next++]);
    }),
  );
}

/** Closes the SDK clients' sockets so that the process can exit. */
function closeClients() {
  for (const c of clients.values()) c.destroy();
  clients.clear();
}

module.exports = { client, createBucket, listObjects, headObject, dropBucket, deleteKeys, closeClients };
