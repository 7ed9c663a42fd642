/**
 * @jest-environment ./test/helpers/host-realm-errors.js
 *
 * The S3 store over HTTPS against the clusters' TLS endpoints (`scripts/rgw start --tls`), with the
 * store URLs real providers use, the host names resolved to the local cluster inside this process
 * only (helpers/test-hosts.ts): the store contract on both wires; a missing or wrong CA and a name
 * the certificate does not hold stop upload-image and upload-logs in preflight with nothing
 * written; NODE_EXTRA_CA_CERTS is honoured by Node itself (through a bundle, in a process of its own).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { uploadImage } from '../../src/actions/upload-image/main';
import { uploadLogs } from '../../src/actions/upload-logs/main';
import type { ActionContext } from '../../src/runtime/run-action';
import { Summary } from '../../src/runtime/summary';
import { wireFromEnv, type Wire } from '../../src/s3/client';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { errors, runBundle } from '../helpers/bundle';
import { quietHost } from '../helpers/quiet-host';
import { client, dropBucket, githubEnv, listKeys, newBucket, openUploads, rgw } from '../helpers/rgw';
import { describeStoreContract } from '../helpers/store-contract';
import { resolveTestHosts } from '../helpers/test-hosts';

const hosts = resolveTestHosts();
const buckets: { id: 'old' | 'new'; bucket: string }[] = [];
const stores: S3Store[] = [];
afterAll(async () => {
  stores.forEach((s) => s.close());
  hosts.uninstall();
  for (const { id, bucket } of buckets) await dropBucket(id, bucket);
});

async function bucketOn(id: 'old' | 'new', stem: string): Promise<string> {
  const bucket = await newBucket(id, stem);
  buckets.push({ id, bucket });
  return bucket;
}

function open(line: string, wire: Wire): S3Store {
  const e = rgw('old');
  const spec = parseStoreSpec(line, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  const s = new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: e.secretKey }, { concurrency: 8, wire });
  stores.push(s);
  return s;
}

/** Store URLs in the forms users write for Linode and AWS, at the cluster's TLS port. */
const FORMS = {
  // Linode: the bucket in the host; requests go path-style to the regional host (both wires).
  linode: (bucket: string) => `https://${bucket}.us-east-1.linodeobjects.com:${rgw('old').tlsPort}`,
  // AWS: the bucket in the host, and on the wire too (virtual-hosted), where the SDK's endpoint
  // resolution puts it for either wire (sdk-endpoints.test.ts runs it on both).
  aws: (bucket: string) => `https://${bucket}.s3.us-east-1.amazonaws.com:${rgw('old').tlsPort}`,
} as const;

// The Linode form on both wires; the AWS form on the wire CI_STORES_WIRE names (lean by default).
const RUNS: [keyof typeof FORMS, Wire][] = [['linode', 'lean'], ['linode', 'sdk'], ['aws', wireFromEnv()]];
for (const [form, wire] of RUNS) {
  describeStoreContract(`S3 on Ceph RGW over HTTPS, ${form} URL form, ${wire} wire`, async () => {
    const bucket = await bucketOn('old', `tls-${form}`);
    return open(`${FORMS[form](bucket)}/p${randomBytes(3).toString('hex')}/ ca=${rgw('old').caFile}`, wire);
  });
}

test('the provider host names were the ones connected to: the regional host for Linode, the bucket`s virtual host for AWS', () => {
  expect(hosts.lookups).toContain('us-east-1.linodeobjects.com');
  expect(hosts.lookups.filter((h) => /^tls-aws-[0-9a-f]{8}\.s3\.us-east-1\.amazonaws\.com$/.test(h)).length).toBeGreaterThan(0);
  // Nothing else was looked up: every request went to loopback.
  expect(hosts.lookups.filter((h) => !/(^|\.)(linodeobjects\.com|amazonaws\.com|test)$/.test(h))).toEqual([]);
});

describe('a certificate the store cannot trust stops the run in preflight, with nothing written', () => {
  let ws: string;
  let oldBucket: string;
  let newBucketName: string;
  beforeAll(async () => {
    oldBucket = await bucketOn('old', 'tls-bad');
    newBucketName = await bucketOn('new', 'tls-bad');
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-'));
    fs.writeFileSync(path.join(ws, 'fedora-42.qcow2'), 'fedora');
    fs.mkdirSync(path.join(ws, 'logs'));
    fs.writeFileSync(path.join(ws, 'logs', 'test.log'), 'ok\n');
  });
  afterEach(async () => {
    // Read through clients that trust the clusters: nothing arrived, nothing is open.
    expect(await listKeys('old', oldBucket)).toEqual([]);
    expect(await listKeys('new', newBucketName)).toEqual([]);
    expect(await openUploads('old', oldBucket)).toEqual([]);
    expect(await openUploads('new', newBucketName)).toEqual([]);
  });

  const good = () => `${rgw('new').tlsEndpoint}/${newBucketName}/in credentials=env:NEW name=new ca=${rgw('new').caFile}`;
  const port = () => rgw('old').tlsPort;
  const BAD: [string, () => string, RegExp][] = [
    ['no ca=', () => `https://127.0.0.1:${port()}/${oldBucket}/in credentials=env:OLD name=old`, /unknown CA: it is not signed by a CA this store trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
    ['the wrong CA', () => `https://127.0.0.1:${port()}/${oldBucket}/in credentials=env:OLD name=old ca=${rgw('old').otherCaFile}`, /unknown CA: it is not signed by a CA this store trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
    ['a host name the certificate does not hold', () => `https://${oldBucket}.wrong-name.test:${port()}/${oldBucket}/in credentials=env:OLD name=old ca=${rgw('old').caFile}`, /certificate of tls-bad-[0-9a-f]{8}\.wrong-name\.test was refused: name mismatch/],
  ];
  const env = (): NodeJS.ProcessEnv => ({
    OLD_ACCESS_KEY_ID: rgw('old').accessKey,
    OLD_SECRET_ACCESS_KEY: rgw('old').secretKey,
    NEW_ACCESS_KEY_ID: rgw('new').accessKey,
    NEW_SECRET_ACCESS_KEY: rgw('new').secretKey,
    ...githubEnv(),
  });
  const run = async (main: (ctx: ActionContext) => Promise<void>, inputs: Record<string, string>) => {
    const ctx: ActionContext = { host: quietHost(inputs, { env: env(), cwd: ws }), summary: new Summary('test'), onInterrupt: () => () => undefined };
    return main(ctx).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  };

  test.each(BAD)('upload-image, %s: the message names the store, the endpoint, the problem and the fix', async (_label, bad, problem) => {
    const e = await run(uploadImage, { files: 'fedora-42.qcow2', stores: `${bad()}\n${good()}` });
    expect(e?.constructor.name).toBe('ConfigurationError');
    expect(e?.message).toMatch(new RegExp(`^input "stores": old: HeadBucket s3://${oldBucket} at https://[^ ]+:${port()}: the server's TLS certificate `));
    expect(e?.message).toMatch(problem);
    expect(e?.message).toMatch(/with the store option ca=PATH .*\. Nothing was written\.$/);
  });

  test.each(BAD)('upload-logs, %s', async (_label, bad, problem) => {
    const e = await run(uploadLogs, { path: 'logs', stores: `${bad()}\n${good()}`, prefix: 'ci/{run-id}' });
    expect(e).toBeInstanceOf(Error);
    expect(e?.message).toMatch(new RegExp(`old: HeadBucket s3://${oldBucket} at https://[^ ]+:${port()}: the server's TLS certificate `));
    expect(e?.message).toMatch(problem);
  });

  test('the same stores with the right CA upload (the checks above fail for the certificate alone)', async () => {
    const right = `https://127.0.0.1:${port()}/${oldBucket}/in credentials=env:OLD name=old ca=${rgw('old').caFile}`;
    expect(await run(uploadImage, { files: 'fedora-42.qcow2', stores: `${right}\n${good()}` })).toBeUndefined();
    expect(await listKeys('old', oldBucket)).toEqual(['in/fedora-42.qcow2']);
    expect(await listKeys('new', newBucketName)).toEqual(['in/fedora-42.qcow2']);
    // Leave the buckets empty for the checks after each test.
    await client('old').send(new DeleteObjectCommand({ Bucket: oldBucket, Key: 'in/fedora-42.qcow2' }));
    await client('new').send(new DeleteObjectCommand({ Bucket: newBucketName, Key: 'in/fedora-42.qcow2' }));
  });
});

test('NODE_EXTRA_CA_CERTS, read by Node itself at start: a bundle run trusts the cluster with it and refuses it without (needs no ca=)', async () => {
  const bucket = await bucketOn('old', 'tls-extra');
  const e = rgw('old');
  const inputs = { stores: `${e.tlsEndpoint}/${bucket}/ credentials=env:OLD`, 'fail-on': 'never' };
  const env = { OLD_ACCESS_KEY_ID: e.accessKey, OLD_SECRET_ACCESS_KEY: e.secretKey };
  const trusted = await runBundle('audit-acl', inputs, { env: { ...env, NODE_EXTRA_CA_CERTS: e.caFile } });
  expect(errors(trusted)).toEqual([]);
  expect(trusted.code).toBe(0);
  const refused = await runBundle('audit-acl', inputs, { env });
  expect(refused.code).toBe(1);
  expect(errors(refused).join('\n')).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
});
