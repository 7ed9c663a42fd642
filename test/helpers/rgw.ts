/**
 * Access to the RGW clusters the integration suite runs against ("old" and "new" provider), as
 * started by `scripts/rgw` in the global setup. Tests use the AWS SDK directly to look at the stores
 * from outside, independently of the code under test.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  PutObjectCommand,
  UploadPartCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  AbortMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

export const REPO = path.resolve(__dirname, '..', '..');
export const RGW_ROOT = process.env.RGW_ROOT ?? path.join(REPO, '.rgw');

/**
 * The clusters the global setup starts: name, port and the port of their HTTPS endpoint
 * (CI_STORES_TEST_PORT moves all four, e.g. for a second checkout: it takes that port and the three above;
 * CI_STORES_TEST_CLUSTERS=NAME names them NAME-old and NAME-new instead of test-old and test-new).
 */
const BASE_PORT = Number(process.env.CI_STORES_TEST_PORT ?? 7480);
const CLUSTER_STEM = process.env.CI_STORES_TEST_CLUSTERS || 'test';
export const CLUSTERS = {
  old: { name: `${CLUSTER_STEM}-old`, port: BASE_PORT, tlsPort: BASE_PORT + 2 },
  new: { name: `${CLUSTER_STEM}-new`, port: BASE_PORT + 1, tlsPort: BASE_PORT + 3 },
} as const;
export type ClusterId = keyof typeof CLUSTERS;

export interface RgwEnv {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly otherAccessKey: string;
  readonly otherSecretKey: string;
  /** The user name of the second user (whose keys are otherAccessKey / otherSecretKey), for policies. */
  readonly otherUser: string;
  readonly region: string;
  /** `https://127.0.0.1:PORT`, signed by the cluster's own CA (`scripts/rgw start --tls`). */
  readonly tlsEndpoint: string;
  readonly tlsPort: number;
  /** The PEM file of the CA that signed the cluster's certificate. */
  readonly caFile: string;
  /** The PEM file of a CA that signed nothing the cluster serves. */
  readonly otherCaFile: string;
}

/** Reads the env file `scripts/rgw start` wrote for a cluster. */
export function rgw(id: ClusterId): RgwEnv {
  const file = path.join(RGW_ROOT, CLUSTERS[id].name, 'env');
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_]+)=['"]?([^'"]*)['"]?$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return {
    endpoint: vars.RGW_ENDPOINT!,
    accessKey: vars.RGW_ACCESS_KEY!,
    secretKey: vars.RGW_SECRET_KEY!,
    otherAccessKey: vars.RGW_OTHER_ACCESS_KEY!,
    otherSecretKey: vars.RGW_OTHER_SECRET_KEY!,
    otherUser: vars.RGW_OTHER_USER!,
    region: vars.RGW_REGION ?? 'us-east-1',
    tlsEndpoint: vars.RGW_TLS_ENDPOINT!,
    tlsPort: Number(vars.RGW_TLS_PORT),
    caFile: vars.RGW_CA_FILE!,
    otherCaFile: vars.RGW_OTHER_CA_FILE!,
  };
}

/**
 * The `ci` user's keys of each cluster named, as the `credentials=env:OLD` / `env:NEW` of a store
 * line reads them (OLD_ACCESS_KEY_ID, OLD_SECRET_ACCESS_KEY, ...): as a workflow fills them from secrets.
 */
export function credentialEnv(ids: readonly ClusterId[] = ['old', 'new']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const id of ids) {
    const e = rgw(id);
    env[`${id.toUpperCase()}_ACCESS_KEY_ID`] = e.accessKey;
    env[`${id.toUpperCase()}_SECRET_ACCESS_KEY`] = e.secretKey;
  }
  return env;
}

/**
 * What the runner sets for a job of a push to cockpit-project/bots (repository, commit, run, attempt,
 * job, event), as the actions read them; `over` replaces or adds variables (a suite's own run id,
 * job or GITHUB_API_URL).
 */
export function githubEnv(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'cockpit-project/bots',
    GITHUB_SHA: 'c0ffee'.padEnd(40, '0'),
    GITHUB_RUN_ID: '77',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'tests',
    ...over,
  };
}

/** An SDK client for a cluster's `ci` user (or `other`), set up as Ceph 16 needs. */
export function client(id: ClusterId, user: 'ci' | 'other' = 'ci'): S3Client {
  const e = rgw(id);
  return new S3Client({
    endpoint: e.endpoint,
    region: e.region,
    forcePathStyle: true,
    credentials: user === 'ci' ? { accessKeyId: e.accessKey, secretAccessKey: e.secretKey } : { accessKeyId: e.otherAccessKey, secretAccessKey: e.otherSecretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a bucket with a unique name on a cluster. */
export async function newBucket(id: ClusterId, stem = 'test'): Promise<string> {
  const bucket = `${stem}-${randomBytes(4).toString('hex')}`;
  await client(id).send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** Makes buckets for the tests of a file or a describe block; see {@link useBuckets}. */
export interface TestBuckets {
  /** A new bucket with a unique name on cluster `id`. */
  (id: ClusterId, stem?: string): Promise<string>;
  /** One new bucket on each cluster, the old one first. */
  pair(stem?: string): Promise<{ old: string; new: string }>;
}

/**
 * Buckets for the tests of the enclosing file or describe block: each one made through the returned
 * function is emptied and deleted (open uploads aborted first) after the block's tests.
 */
export function useBuckets(): TestBuckets {
  const made: [ClusterId, string][] = [];
  afterAll(async () => {
    for (const [id, bucket] of made) await dropBucket(id, bucket);
  });
  const make = async (id: ClusterId, stem?: string): Promise<string> => {
    const bucket = await newBucket(id, stem);
    made.push([id, bucket]);
    return bucket;
  };
  return Object.assign(make, { pair: async (stem?: string) => ({ old: await make('old', stem), new: await make('new', stem) }) });
}

/**
 * Writes one object as a single PutObject, or, given `partSize`, as a multipart upload in parts of
 * that size (its ETag then ends in `-N`, as a store that wrote it in parts lists it).
 */
export async function putObject(c: S3Client, input: CreateMultipartUploadCommandInput & { Bucket: string; Key: string }, body: Buffer, partSize?: number): Promise<void> {
  if (partSize === undefined) {
    await c.send(new PutObjectCommand({ ...input, Body: body }));
    return;
  }
  const { UploadId } = await c.send(new CreateMultipartUploadCommand(input));
  const parts = [];
  for (let at = 0, n = 1; at < body.length; at += partSize, n++) {
    const { ETag } = await c.send(new UploadPartCommand({ Bucket: input.Bucket, Key: input.Key, UploadId, PartNumber: n, Body: body.subarray(at, at + partSize) }));
    parts.push({ PartNumber: n, ETag });
  }
  await c.send(new CompleteMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId, MultipartUpload: { Parts: parts } }));
}

/**
 * Every key in a bucket, in listing order. Asks for url-encoded keys and decodes them as a form
 * (URLSearchParams, independently of the code under test): the SDK reads a whitespace-only key in
 * a plain listing as ''.
 */
export async function listKeys(id: ClusterId, bucket: string, prefix?: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await client(id).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, EncodingType: 'url' }));
    if (r.EncodingType !== 'url') throw new Error('the server did not url-encode the listing');
    for (const o of r.Contents ?? []) out.push(new URLSearchParams(`k=${o.Key!}`).get('k')!);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export async function openUploads(id: ClusterId, bucket: string): Promise<string[]> {
  const r = await client(id).send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (r.Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`);
}

export async function headMeta(id: ClusterId, bucket: string, key: string) {
  return client(id).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

/**
 * What an anonymous reader gets for a key: the HTTP status of an unsigned GET of exactly that key.
 * Sent with `http.request` and a path, not `fetch(url)`: a URL parser would resolve the key's `.`
 * and `..` segments and read another object.
 */
export async function anonymousStatus(id: ClusterId, bucket: string, key: string): Promise<number> {
  const { hostname, port } = new URL(rgw(id).endpoint);
  const bytes = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  const target = `/${bucket}/${key.split('/').map(bytes).join('/')}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: target, method: 'GET', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Empties and deletes a bucket, aborting open uploads first. */
export async function dropBucket(id: ClusterId, bucket: string): Promise<void> {
  const c = client(id);
  const u = await c.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const up of u.Uploads ?? []) await c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: up.Key, UploadId: up.UploadId }));
  for (const k of await listKeys(id, bucket)) await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
  await c.send(new DeleteBucketCommand({ Bucket: bucket }));
}
