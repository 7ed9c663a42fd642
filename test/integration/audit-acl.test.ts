/**
 * `audit-acl` end to end on RGW: a bucket with objects set right and wrong (a rhel-* made public by
 * ACL, one made public by the bucket policy, one readable by any account holder, a public image made
 * private), a public access block and a lifecycle rule. The bundle runs as a runner runs it; the
 * bucket is then inspected from outside.
 */
import * as fs from 'node:fs';
import {
  GetObjectAclCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type ObjectCannedACL,
} from '@aws-sdk/client-s3';
import { AWKWARD_KEYS } from '../helpers/awkward-keys';
import { runBundle, type BundleRun } from '../helpers/bundle';
import { anonymousStatus, client, credentialEnv, rgw, useBuckets } from '../helpers/rgw';

const makeBucket = useBuckets();

const env = () => credentialEnv(['old']);

/** Key (under images/) to its canned ACL. */
const OBJECTS: Record<string, ObjectCannedACL> = {
  'fedora-42.qcow2': 'public-read', // right
  'rhel-9.qcow2': 'private', // right
  'rhel-8.qcow2': 'public-read', // wrong: public by ACL
  'rhel-10.qcow2': 'private', // wrong: public by the bucket policy below
  'rhel-7.qcow2': 'authenticated-read', // wrong: any account holder can read
  'debian-12.qcow2': 'private', // wrong: a public image made private
};
const WRONG = { exposed: ['rhel-10.qcow2', 'rhel-8.qcow2'], 'exposed-authenticated': ['rhel-7.qcow2'], 'not-readable': ['debian-12.qcow2'] };

async function mixedBucket(): Promise<string> {
  const bucket = await makeBucket('old', 'audit');
  const c = client('old');
  for (const [key, acl] of Object.entries(OBJECTS)) await c.send(new PutObjectCommand({ Bucket: bucket, Key: `images/${key}`, Body: key, ACL: acl }));
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'logs/run-1/log.txt', Body: 'log' }));
  await c.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'Rhel10Oops', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/images/rhel-10*` }],
      }),
    }),
  );
  await c.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: { Rules: [{ ID: 'logs-30d', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } }] },
    }),
  );
  // Set after the policy: new public policies are refused, the one in place stays in force.
  await c.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
  return bucket;
}

async function state(bucket: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(OBJECTS)) {
    const acl = await client('old').send(new GetObjectAclCommand({ Bucket: bucket, Key: `images/${key}` }));
    const groups = (acl.Grants ?? []).filter((g) => g.Grantee?.Type === 'Group').map((g) => `${g.Grantee!.URI!.split('/').pop()}:${g.Permission}`);
    out[key] = `${await anonymousStatus('old', bucket, `images/${key}`)} ${groups.sort().join(',')}`;
  }
  return out;
}

function audit(bucket: string, inputs: Record<string, string> = {}): Promise<BundleRun> {
  return runBundle('audit-acl', { stores: `${rgw('old').endpoint}/${bucket}/images/ credentials=env:OLD name=old`, 'expect-lifecycle': '', concurrency: '8', ...inputs }, { env: env() });
}

function findingsOf(run: BundleRun): Record<string, string[]> {
  const report = JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8'));
  const out: Record<string, string[]> = {};
  for (const f of report.stores[0].findings) (out[f.kind] ??= []).push(f.key ?? '(bucket)');
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

describe('a bucket with objects set right and wrong', () => {
  let bucket: string;
  let before: Record<string, string>;
  beforeAll(async () => {
    bucket = await mixedBucket();
    before = await state(bucket);
  });

  test('the audit finds exactly the wrong objects; a dry run plans their fixes and changes nothing', async () => {
    const run = await audit(bucket, { 'expect-lifecycle': 'logs/ 90', 'allow-more-visible': 'true' });
    expect(run.code).toBe(1); // errors found, fail-on: error
    expect(findingsOf(run)).toEqual(WRONG);
    expect(run.outputs.errors).toBe('3');
    expect(run.outputs.warnings).toBe('1');
    expect(run.outputs['objects-checked']).toBe('6');
    expect(JSON.parse(run.outputs.counts!)).toMatchObject({ exposed: 2, 'exposed-authenticated': 1, 'not-readable': 1, 'lifecycle-mismatch': 0, 'public-write': 0 });
    expect(run.outputs['fixes-planned']).toBe('3');
    expect(run.outputs.fixed).toBe('0');
    const report = JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8'));
    const store = report.stores[0];
    expect(store.bucket.accessBlock).toEqual({ blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: true, restrictPublicBuckets: false });
    expect(store.bucket.ownership).toBe('unknown'); // RGW 16 has no ownership controls
    expect(store.bucket.policyExposures).toEqual([expect.objectContaining({ statement: 'Rhel10Oops', who: 'everyone', access: 'read' })]);
    const causes = Object.fromEntries(store.findings.map((f: { key: string; causes: string[] }) => [f.key, f.causes]));
    expect(causes['rhel-8.qcow2']).toEqual(['acl']);
    expect(causes['rhel-10.qcow2']).toEqual(['policy']);
    const policyFix = store.fixes.find((f: { key: string }) => f.key === 'rhel-10.qcow2');
    expect(policyFix.plan.action).toBe('policy-change');
    expect(policyFix.plan.advice).toContain('Rhel10Oops');
    expect(run.summary).toContain('exposed');
    expect(run.summary).toContain('rhel-8.qcow2');
    expect(run.stdout).toMatch(/::error::exposed: old: rhel-/);
    expect(await state(bucket)).toEqual(before);
    const visible = [run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), run.stderr, run.summary, JSON.stringify(run.outputs), fs.readFileSync(run.outputs.report!, 'utf8')].join('\n');
    expect(visible).not.toContain(rgw('old').secretKey);
  });

  test('a setting off its expectation is a warning, or an error when configured so', async () => {
    const warn = await audit(bucket, { 'expect-lifecycle': 'logs/ 90\ncache/ 7', 'expect-versioning': 'enabled', 'fail-on': 'never', fix: 'false' });
    expect(warn.code).toBe(0);
    expect(findingsOf(warn)['lifecycle-mismatch']).toEqual(['(bucket)']);
    expect(findingsOf(warn)['versioning-mismatch']).toEqual(['(bucket)']);
    expect(warn.outputs.warnings).toBe('3');
    const err = await audit(bucket, { 'expect-lifecycle': 'cache/ 7', 'setting-severity': 'error', 'fail-on': 'never', fix: 'false' });
    expect(err.outputs.errors).toBe('4');
  });

  test('fix mode repairs exactly the wrong objects it may, and reports the policy change it may not make', async () => {
    const run = await audit(bucket, { fix: 'true', 'allow-more-visible': 'true' });
    expect(run.outputs.fixed).toBe('3');
    const after = await state(bucket);
    expect(after['rhel-8.qcow2']).toBe('403 ');
    expect(after['rhel-7.qcow2']).toBe('403 ');
    expect(after['debian-12.qcow2']).toBe('200 AllUsers:READ');
    // Untouched: the right ones, and the one only a bucket policy change can fix.
    for (const key of ['fedora-42.qcow2', 'rhel-9.qcow2', 'rhel-10.qcow2']) expect(after[key]).toBe(before[key]);
    const again = await audit(bucket, { fix: 'false' });
    expect(findingsOf(again)).toEqual({ exposed: ['rhel-10.qcow2'] });
    expect(again.code).toBe(1);
  });
});

test('without allow-more-visible, fix never makes an object public', async () => {
  const bucket = await makeBucket('old', 'audit');
  await client('old').send(new PutObjectCommand({ Bucket: bucket, Key: 'images/fedora-42.qcow2', Body: 'x', ACL: 'private' }));
  const run = await audit(bucket, { fix: 'true' });
  expect(run.code).toBe(0); // a warning, fail-on: error
  expect(findingsOf(run)).toEqual({ 'not-readable': ['fedora-42.qcow2'] });
  expect(run.outputs.fixed).toBe('0');
  expect(await anonymousStatus('old', bucket, 'images/fedora-42.qcow2')).toBe(403);
});

test('bad input: a bucket that does not exist, an expectation that does not parse', async () => {
  const missing = await audit('no-such-bucket-here');
  expect(missing.code).toBe(1);
  expect(missing.stdout).toMatch(/::error::input "stores": old: .*NoSuchBucket.*does not exist/);
  const bad = await audit('no-such-bucket-here', { 'expect-lifecycle': 'logs/ ninety' });
  expect(bad.stdout).toContain('::error::input "expect-lifecycle": line 1 "logs/ ninety" is not "PREFIX DAYS"');
  const folder = await runBundle('audit-acl', { stores: 'file:///tmp/images' });
  expect(folder.stdout).toMatch(/::error::input "stores": ".*images" is a folder; audit-acl checks S3 stores/);
});

test('credentials that cannot read ACLs: the permission is named; auto goes on anonymously, required stops', async () => {
  const bucket = await makeBucket('old', 'audit');
  const c = client('old');
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'images/fedora-42.qcow2', Body: 'x', ACL: 'public-read' }));
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'images/rhel-8.qcow2', Body: 'x', ACL: 'public-read' }));
  // The second user may list and read the bucket, nothing more: no ACLs, no policy, no settings.
  const otherUser = rgw('old').otherUser;
  await c.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam:::user/${otherUser}`] }, Action: ['s3:ListBucket', 's3:GetObject'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
      }),
    }),
  );
  const otherEnv = { OTHER_ACCESS_KEY_ID: rgw('old').otherAccessKey, OTHER_SECRET_ACCESS_KEY: rgw('old').otherSecretKey };
  const stores = `${rgw('old').endpoint}/${bucket}/images/ credentials=env:OTHER name=old`;
  const auto = await runBundle('audit-acl', { stores, 'fail-on': 'never' }, { env: otherEnv });
  expect(auto.code).toBe(0);
  const found = findingsOf(auto);
  expect(found.exposed).toEqual(['rhel-8.qcow2']); // seen anonymously all the same
  expect(found['acl-unreadable']).toEqual(['(bucket)']);
  const report = JSON.parse(fs.readFileSync(auto.outputs.report!, 'utf8'));
  expect(report.stores[0].aclsRead).toBe(false);
  expect(report.stores[0].findings.find((f: { kind: string }) => f.kind === 'acl-unreadable').message).toContain('needs s3:GetBucketAcl');
  const required = await runBundle('audit-acl', { stores, 'acl-checks': 'required' }, { env: otherEnv });
  expect(required.code).toBe(1);
  expect(required.stdout).toMatch(/::error::input "acl-checks" is "required", but the credentials cannot read ACLs: .*needs s3:GetBucketAcl/);
});

describe('keys with dot segments and empty segments: each object is checked itself', () => {
  // Public by ACL, each one: the rhel ones are exposed. A URL parser would turn `images/./rhel-a`
  // into `images/rhel-a` (no such object: 403, "private, as it should be") and `images/..` into
  // the bucket, so a probe built from a URL string saw none of them.
  const RHEL = ['./rhel-a', 'a/../rhel-b', 'a//rhel-c', 'rhel-d/.', '/rhel-e', 'rhel-f/..', '../rhel-g', 'x/./y/../rhel-h', 'rhel-i/', '%2E%2E/rhel-j'];
  const PUBLIC = ['./fedora-a', 'b/../fedora-b', '..', '.'];
  // Whole-key rules too: a key whose last segment is '.', '..' or empty names no file.
  const rules = 'rhel* private\n**/rhel*/** private\n**/rhel*/ private\n* public';
  let bucket: string;
  beforeAll(async () => {
    bucket = await makeBucket('old', 'audit-dots');
    for (const key of [...RHEL, ...PUBLIC]) await client('old').send(new PutObjectCommand({ Bucket: bucket, Key: `images/${key}`, Body: key, ACL: 'public-read' }));
    // Read from outside, key by key: each is there and readable by anyone.
    for (const key of [...RHEL, ...PUBLIC]) expect([key, await anonymousStatus('old', bucket, `images/${key}`)]).toEqual([key, 200]);
  });

  test.each([['auto'], ['skip']])('acl-checks %s: every rhel object is found exposed, nothing else is found', async (aclChecks) => {
    const run = await audit(bucket, { 'visibility-rules': rules, 'acl-checks': aclChecks, 'fail-on': 'never' });
    expect(run.code).toBe(0);
    expect(findingsOf(run)).toEqual({ exposed: [...RHEL].sort() });
    expect(run.outputs['objects-checked']).toBe(String(RHEL.length + PUBLIC.length));
  });

  test('fix mode makes each of them private, verified by a denial of the object itself', async () => {
    const run = await audit(bucket, { 'visibility-rules': rules, fix: 'true', 'fail-on': 'never' });
    expect(run.outputs.fixed).toBe(String(RHEL.length));
    for (const key of RHEL) expect([key, await anonymousStatus('old', bucket, `images/${key}`)]).toEqual([key, 403]);
    for (const key of PUBLIC) expect([key, await anonymousStatus('old', bucket, `images/${key}`)]).toEqual([key, 200]);
    expect(findingsOf(await audit(bucket, { 'visibility-rules': rules, 'fail-on': 'never' }))).toEqual({});
  });
});

test('a policy whose Resource wildcards the bucket (arn:aws:s3:::*/rhel*) is a read exposure; a rhel folder makes its objects private', async () => {
  const bucket = await makeBucket('old', 'audit');
  const c = client('old');
  // Written by upload-image with key `{stem}/disk.qcow2`: the folder carries the image's name.
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'rhel-9.6-x86_64/disk.qcow2', Body: 'x', ACL: 'private' }));
  await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'fedora-42/disk.qcow2', Body: 'x', ACL: 'public-read' }));
  await c.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'AnyBucketRhel', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*/rhel*' }] }),
    }),
  );
  // RGW 16 lets `*` match the bucket only (AWS lets it run on into the key): the object at the top is readable.
  expect(await anonymousStatus('old', bucket, 'rhel-9.6-x86_64/disk.qcow2')).toBe(200);
  const run = await runBundle('audit-acl', { stores: `${rgw('old').endpoint}/${bucket} credentials=env:OLD name=old`, 'expect-lifecycle': '', 'fail-on': 'never' }, { env: env() });
  const report = JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8'));
  expect(report.stores[0].bucket.policyExposures).toEqual([expect.objectContaining({ statement: 'AnyBucketRhel', who: 'everyone', access: 'read' })]);
  // Private by its folder's name, readable through the policy: exposed, and the policy named as the cause.
  expect(findingsOf(run)).toEqual({ exposed: ['rhel-9.6-x86_64/disk.qcow2'] });
  expect(report.stores[0].findings[0].causes).toEqual(['policy']);
  expect(report.stores[0].findings[0].message).toContain('rhel* private');
});

describe('keys of every awkward class, audited through both wire paths', () => {
  // Every key twice, public by ACL: under pub/ (public by the rules, unless a folder in it is a
  // rhel one) and under rhel-x/ (private by its folder, so exposed). A key the listing misread, or
  // a probe sent to another object, shows as a missing, extra or check-failed finding.
  const PUB = AWKWARD_KEYS.map((k) => `pub/${k}`);
  const RHEL = AWKWARD_KEYS.map((k) => `rhel-x/${k}`);
  // Private by the default rules: a rhel folder in the key, or a key ending in '/' (it names no
  // file, so no glob matches it, and an object no rule matches is private).
  const exposedByRule = PUB.filter((k) => k.split('/').some((segment) => segment.startsWith('rhel')) || k.endsWith('/'));
  let bucket: string;
  beforeAll(async () => {
    bucket = await makeBucket('old', 'audit-awkward');
    for (const key of [...PUB, ...RHEL]) await client('old').send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x', ACL: 'public-read' }));
  });

  test.each([['lean'], ['sdk']])('wire %s: every object checked, exactly the private ones exposed', async (wire) => {
    const run = await runBundle('audit-acl', { stores: `${rgw('old').endpoint}/${bucket} credentials=env:OLD name=old`, 'expect-lifecycle': '', 'fail-on': 'never' }, { env: { ...env(), CI_STORES_WIRE: wire } });
    expect(run.code).toBe(0);
    expect(run.outputs['objects-checked']).toBe(String(PUB.length + RHEL.length));
    expect(findingsOf(run)).toEqual({ exposed: [...RHEL, ...exposedByRule].sort() });
  });
});
