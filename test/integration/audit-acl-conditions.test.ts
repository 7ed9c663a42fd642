/**
 * Conditional access on RGW: does Ceph RGW 16 evaluate `aws:SourceIp` and `aws:Referer` in bucket
 * policies (it does), and `audit-acl` through its bundle on a bucket shaped like Fedora's EC2
 * mirrors: objects readable by anyone from inside 10.0.0.0/8 only, others by Referer, a rhel image
 * the same condition opens, and an object a public ACL opens to everyone.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { PutBucketPolicyCommand, PutObjectCommand, type ObjectCannedACL } from '@aws-sdk/client-s3';
import { runBundle, type BundleRun } from '../helpers/bundle';
import { anonymousStatus, client, credentialEnv, rgw, useBuckets } from '../helpers/rgw';

const makeBucket = useBuckets();
const EC2_ONLY = 'IpAddress aws:SourceIp 10.0.0.0/8 (statement "Ec2Only")';
const FROM_CI = 'StringLike aws:Referer https://ci.example/* (statement "FromCi")';

/** An anonymous GET with the given headers: the status. */
function anonymousGet(bucket: string, key: string, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port } = new URL(rgw('old').endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: `/${bucket}/${key}`, method: 'GET', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A bucket with objects under the given ACLs and a policy of the given statements. */
async function bucketWith(objects: Record<string, ObjectCannedACL>, statements: object[]): Promise<string> {
  const bucket = await makeBucket('old', 'cond');
  const c = client('old');
  for (const [key, acl] of Object.entries(objects)) await c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key, ACL: acl }));
  if (statements.length > 0) await c.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  return bucket;
}

const ec2Only = (bucket: string, resources: string[]) => ({
  Sid: 'Ec2Only',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: resources.map((r) => `arn:aws:s3:::${bucket}/${r}`),
  Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
});
const fromCi = (bucket: string) => ({
  Sid: 'FromCi',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${bucket}/web/*`,
  Condition: { StringLike: { 'aws:Referer': 'https://ci.example/*' } },
});

function audit(bucket: string, rules: string, inputs: Record<string, string> = {}): Promise<BundleRun> {
  return runBundle('audit-acl', { stores: `${rgw('old').endpoint}/${bucket} credentials=env:OLD name=old`, 'visibility-rules': rules, 'expect-lifecycle': '', ...inputs }, { env: credentialEnv(['old']) });
}

interface ReportFinding {
  kind: string;
  key?: string;
  severity: string;
  message: string;
}
const reportOf = (run: BundleRun) => JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8'));
function findingsOf(run: BundleRun): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of reportOf(run).stores[0].findings as ReportFinding[]) (out[f.kind] ??= []).push(f.key ?? '(bucket)');
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}
const messageOf = (run: BundleRun, key: string) => (reportOf(run).stores[0].findings as ReportFinding[]).find((f) => f.key === key)!.message;

test('RGW evaluates aws:SourceIp and aws:Referer: 127.0.0.1 is outside 10.0.0.0/8, a matching Referer gets in', async () => {
  const bucket = await bucketWith({ 'fedora/repomd.xml': 'private', 'web/page.html': 'private' }, []);
  const put = (statements: object[]) => client('old').send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  await put([ec2Only(bucket, ['fedora/*']), fromCi(bucket)]);
  expect(await anonymousGet(bucket, 'fedora/repomd.xml')).toBe(403);
  expect(await anonymousGet(bucket, 'web/page.html')).toBe(403);
  expect(await anonymousGet(bucket, 'web/page.html', { Referer: 'https://ci.example/run/1' })).toBe(200);
  expect(await anonymousGet(bucket, 'web/page.html', { Referer: 'https://elsewhere.example/' })).toBe(403);
  // The same policy with the loopback range: the condition, not the statement, was what denied.
  await put([{ ...ec2Only(bucket, ['fedora/*']), Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } } }]);
  expect(await anonymousGet(bucket, 'fedora/repomd.xml')).toBe(200);
  // A conditional Deny is enforced too: everyone allowed, denied outside 10.0.0.0/8.
  await put([
    { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
    { Sid: 'OutsideEc2', Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*`, Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
  ]);
  expect(await anonymousGet(bucket, 'fedora/repomd.xml')).toBe(403);
});

describe('a mirror bucket readable from EC2 only', () => {
  let bucket: string;
  let run: BundleRun;
  beforeAll(async () => {
    bucket = await bucketWith(
      { 'fedora/42/repodata/repomd.xml': 'private', 'fedora/42/Packages/bash.rpm': 'private', 'rhel-9.qcow2': 'private', 'web/page.html': 'private', 'open/readme.txt': 'public-read' },
      [],
    );
    await client('old').send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ec2Only(bucket, ['fedora/*', 'rhel*', 'open/*']), fromCi(bucket)] }) }),
    );
    run = await audit(bucket, 'rhel* private\nfedora/** restricted\nweb/** restricted\nopen/** restricted\n* public', { 'fail-on': 'never' });
  });

  test('restricted objects are reported with their condition; a private rule and a public ACL are violated', async () => {
    expect(run.code).toBe(0);
    expect(findingsOf(run)).toEqual({
      'exposed-restricted': ['rhel-9.qcow2'],
      unrestricted: ['open/readme.txt'],
      restricted: ['fedora/42/Packages/bash.rpm', 'fedora/42/repodata/repomd.xml', 'web/page.html'],
    });
    expect(messageOf(run, 'rhel-9.qcow2')).toBe(`private by rule "rhel* private", anonymous read denied here, but bucket policy statement "Ec2Only" lets anyone read it under a condition: ${EC2_ONLY}`);
    expect(messageOf(run, 'fedora/42/repodata/repomd.xml')).toContain(`lets anyone read it only under a condition: ${EC2_ONLY}`);
    expect(messageOf(run, 'web/page.html')).toContain(`only under a condition: ${FROM_CI}`);
    expect(messageOf(run, 'open/readme.txt')).toMatch(/^restricted by rule "open\/\*\* restricted", but strangers read it without any condition through an ACL grant to AllUsers/);
    expect(run.outputs.errors).toBe('2');
    expect(run.outputs.notices).toBe('3');
    expect(JSON.parse(run.outputs.counts!)).toMatchObject({ 'exposed-restricted': 1, unrestricted: 1, restricted: 3, exposed: 0, 'latent-public-grant': 0 });
    const store = reportOf(run).stores[0];
    expect(store.bucket.policyExposures).toEqual([
      expect.objectContaining({ statement: 'Ec2Only', who: 'everyone', access: 'read', conditional: true, condition: 'IpAddress aws:SourceIp 10.0.0.0/8' }),
      expect.objectContaining({ statement: 'FromCi', who: 'everyone', access: 'read', conditional: true, condition: 'StringLike aws:Referer https://ci.example/*' }),
    ]);
    expect(store.fixes.find((f: { key: string }) => f.key === 'open/readme.txt').plan).toEqual({ action: 'set-acl', acl: 'private' });
    expect(store.fixes.find((f: { key: string }) => f.key === 'rhel-9.qcow2').plan.action).toBe('policy-change');
    for (const text of ['**exposed-restricted** (error): 1', '**unrestricted** (error): 1', '**restricted** (notice): 3', 'read (everyone, Ec2Only: keys matching', 'only if IpAddress aws:SourceIp 10.0.0.0/8)']) expect(run.summary).toContain(text);
    expect(run.stdout).toMatch(/::error::exposed-restricted: old: rhel-9\.qcow2: .*IpAddress aws:SourceIp 10\.0\.0\.0\/8/);
    // Nothing was changed by the dry run.
    expect(await anonymousStatus('old', bucket, 'open/readme.txt')).toBe(200);
  });

  test('with the default fail-on the run fails on the two errors, naming their kinds', async () => {
    const failed = await audit(bucket, 'rhel* private\nfedora/** restricted\nweb/** restricted\nopen/** restricted\n* public');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/::error::2 finding\(s\) at fail-on level "error" or above: exposed-restricted 1, unrestricted 1\./);
  });
});

test('the restricted rule is satisfied by the condition alone; a public rule, or none, is not', async () => {
  const bucket = await bucketWith({ 'fedora/42/repodata/repomd.xml': 'private', 'fedora/42/Packages/bash.rpm': 'private' }, []);
  await client('old').send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ec2Only(bucket, ['fedora/*'])] }) }));
  const declared = await audit(bucket, 'fedora/** restricted', { 'fail-on': 'warning' });
  expect(declared.code).toBe(0);
  expect([declared.outputs.errors, declared.outputs.warnings, declared.outputs.notices]).toEqual(['0', '0', '2']);
  expect(findingsOf(declared)).toEqual({ restricted: ['fedora/42/Packages/bash.rpm', 'fedora/42/repodata/repomd.xml'] });
  // Under the default rules (rhel* private, * public) the same objects are public ones strangers cannot read: the condition named.
  const asPublic = await audit(bucket, 'rhel* private\n* public', { 'fail-on': 'never' });
  expect(findingsOf(asPublic)).toEqual({ 'not-readable': ['fedora/42/Packages/bash.rpm', 'fedora/42/repodata/repomd.xml'] });
  expect(messageOf(asPublic, 'fedora/42/repodata/repomd.xml')).toContain(`only under a condition: ${EC2_ONLY}`);
  // Under a private rule: each one exposed under the condition.
  const asPrivate = await audit(bucket, 'fedora/** private', { 'fail-on': 'never' });
  expect(findingsOf(asPrivate)).toEqual({ 'exposed-restricted': ['fedora/42/Packages/bash.rpm', 'fedora/42/repodata/repomd.xml'] });
});
