/**
 * The nightly `reconcile` action, run as its bundle the way a runner runs it: the mirror copies
 * what the old store has and the new lacks, then the audit checks both stores and finds what is
 * exposed. Each part's inputs and outputs pass through; the step fails when either part failed,
 * after both ran.
 */
import { PutObjectCommand, PutObjectAclCommand } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errors, runBundle } from '../helpers/bundle';
import { anonymousStatus, client, credentialEnv, listKeys, rgw, useBuckets } from '../helpers/rgw';

const makeBucket = useBuckets();


/** An old bucket with two rhel images (one made public by hand) and a public fedora image, and an empty new one. */
async function buckets(): Promise<{ src: string; dst: string; source: string; destination: string }> {
  const src = await makeBucket('old', 'nightly-old');
  const dst = await makeBucket('new', 'nightly-new');
  const put = (key: string, acl: 'public-read' | 'private') => client('old').send(new PutObjectCommand({ Bucket: src, Key: key, Body: Buffer.from(key), ACL: acl }));
  await put('fedora-42.qcow2', 'public-read');
  await put('rhel-9.qcow2', 'private');
  await put('rhel-8.qcow2', 'private');
  // The old store has a rhel image made public by hand: the mirror must not copy that mistake.
  await client('old').send(new PutObjectAclCommand({ Bucket: src, Key: 'rhel-8.qcow2', ACL: 'public-read' }));
  return { src, dst, source: `${rgw('old').endpoint}/${src} credentials=env:OLD name=old`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW name=new` };
}

/** The names under `outputs:` of the action.yml. */
function declaredOutputs(): string[] {
  const yml = fs.readFileSync(path.join(__dirname, '..', '..', 'actions', 'reconcile', 'action.yml'), 'utf8');
  return [...yml.slice(yml.indexOf('\noutputs:\n'), yml.indexOf('\nruns:\n')).matchAll(/\n {2}([a-z0-9-]+):\n/g)].map((m) => m[1]!);
}

test('mirror then audit: the missing objects are copied, an exposed rhel image on the old store is found', async () => {
  const { src, dst, destination } = await buckets();
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  const r = await runBundle('reconcile', { source: `${rgw('old').endpoint}/${src} credentials=env:OLD name=old`, destination }, { cwd, env: credentialEnv() });
  // The mirror part succeeded.
  expect(r.outputs['mirror-outcome']).toBe('success');
  expect(r.outputs).toMatchObject({ copied: '3', 'in-sync': 'true' });
  expect((await listKeys('new', dst)).sort()).toEqual(['fedora-42.qcow2', 'rhel-8.qcow2', 'rhel-9.qcow2']);
  expect(await anonymousStatus('new', dst, 'rhel-8.qcow2')).toBe(403);
  // The audit ran on both stores and fails the job on the exposed image of the old one.
  expect(r.outputs['audit-outcome']).toBe('failure');
  expect(r.code).toBe(1);
  expect(r.outputs['audit-errors']).toBe('1');
  const findings = fs.readFileSync(r.outputs['audit-report']!, 'utf8');
  expect(findings).toContain('rhel-8.qcow2');
  expect(r.summary).toContain('mirror-bucket');
  expect(r.summary).toContain('audit-acl');
  // One error line: the step's failure, naming the part that failed.
  expect(errors(r).filter((e) => e.startsWith('audit-acl failed: '))).toHaveLength(1);

  const mirrorOnly = await runBundle('reconcile', { source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, audit: 'false' }, { cwd, env: credentialEnv() });
  expect([mirrorOnly.code, mirrorOnly.outputs['mirror-outcome'], mirrorOnly.outputs['audit-outcome']]).toEqual([0, 'success', 'skipped']);
  expect(mirrorOnly.outputs).toMatchObject({ copied: '0', 'in-sync': 'true' });
  expect(Object.keys(mirrorOnly.outputs).filter((n) => n.startsWith('audit-') && n !== 'audit-outcome')).toEqual([]);
});

test('every output of both parts is set, under the names action.yml declares', async () => {
  const { source, destination } = await buckets();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  const r = await runBundle('reconcile', { source, destination, 'fail-on': 'never', 'report-path': 'out/mirror.txt', 'audit-report-path': 'out/audit.json' }, { cwd: dir, env: credentialEnv() });
  expect(r.code).toBe(0);
  // shards and keys are plan-shards outputs: below.
  expect(Object.keys(r.outputs).sort()).toEqual(declaredOutputs().filter((n) => n !== 'shards' && n !== 'keys').sort());
  expect(r.outputs).toMatchObject({ matched: '0', copied: '3', updated: '0', deleted: '0', failed: '0', 'mirror-outcome': 'success' });
  expect(r.outputs).toMatchObject({ 'audit-errors': '1', 'audit-objects-checked': '6', 'audit-fixes-planned': '1', 'audit-fixed': '0', 'audit-outcome': 'success' });
  expect(JSON.parse(r.outputs['audit-counts']!)).toMatchObject({ exposed: 1 });
  expect(JSON.parse(r.outputs.methods!)).toEqual(expect.any(Object));
  // Each part its own report file, where it was told.
  expect(r.outputs['mirror-report']).toBe(path.join(dir, 'out', 'mirror.txt'));
  expect(r.outputs['audit-report']).toBe(path.join(dir, 'out', 'audit.json'));
  expect(fs.readFileSync(path.join(dir, 'out', 'mirror.txt'), 'utf8')).toContain('+ rhel-8.qcow2');
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'out', 'audit.json'), 'utf8')).errors).toBe(1);

  // plan-shards passes through as well: shards and keys, and the audit after it.
  const plan = await runBundle('reconcile', { source, destination, mode: 'plan-shards', 'shard-count': '2', audit: 'false' }, { cwd: dir, env: credentialEnv() });
  expect(plan.code).toBe(0);
  expect(plan.outputs.keys).toBe('3');
  expect(JSON.parse(plan.outputs.shards!)).toHaveLength(2);
});

test('dry-run: true changes nothing; fail-on, fix and audit-stores reach the audit', async () => {
  const { dst, source, destination } = await buckets();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  const r = await runBundle('reconcile', { source, destination, 'dry-run': 'true', 'fail-on': 'warning', fix: 'false', 'audit-stores': source }, { cwd: dir, env: credentialEnv() });
  expect(await listKeys('new', dst)).toEqual([]);
  // Three copies due and none made: not in sync after this run.
  expect(r.outputs).toMatchObject({ copied: '3', 'mirror-outcome': 'success', 'in-sync': 'false' });
  expect(r.summary).toContain('(dry run)');
  // The old store only, every object, nothing planned (fix: false).
  expect(r.outputs).toMatchObject({ 'audit-objects-checked': '3', 'audit-errors': '1', 'audit-fixes-planned': '0', 'audit-outcome': 'failure' });
  expect(JSON.parse(fs.readFileSync(r.outputs['audit-report']!, 'utf8')).stores.map((s: { name: string }) => s.name)).toEqual(['old']);
  expect(r.code).toBe(1);

  // fail-on: never, and the same findings pass the step.
  const never = await runBundle('reconcile', { source, destination, 'dry-run': 'true', 'fail-on': 'never' }, { cwd: dir, env: credentialEnv() });
  expect([never.code, never.outputs['audit-errors'], never.outputs['audit-outcome']]).toEqual([0, '1', 'success']);
  expect(await listKeys('new', dst)).toEqual([]);
});

test('a failed mirror still gets its audit; the step fails after both, and the summary tells both', async () => {
  const { dst, source, destination } = await buckets();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  // check mode fails: the new store lacks all three.
  const r = await runBundle('reconcile', { source, destination, mode: 'check', 'fail-on': 'never' }, { cwd: dir, env: credentialEnv() });
  expect(r.code).toBe(1);
  expect(r.outputs).toMatchObject({ 'mirror-outcome': 'failure', missing: '3', 'in-sync': 'false' });
  expect(r.outputs).toMatchObject({ 'audit-outcome': 'success', 'audit-errors': '1', 'audit-objects-checked': '3' });
  // The step's one failure line names the mirror (the audit annotates its findings on lines of their own).
  expect(errors(r).filter((e) => / failed: /.test(e))).toEqual([expect.stringMatching(/^mirror-bucket failed: the stores differ: 3 only in the source/)]);
  const mirrorPart = r.summary.indexOf('## mirror-bucket');
  const auditPart = r.summary.indexOf('## audit-acl');
  expect(mirrorPart).toBeGreaterThan(0);
  expect(auditPart).toBeGreaterThan(mirrorPart);
  expect(r.summary.slice(mirrorPart, auditPart)).toContain('the stores differ');
  expect(r.summary.slice(auditPart)).toContain('rhel-8.qcow2');
  expect(await listKeys('new', dst)).toEqual([]);
});

test('a bad audit input fails the step before the mirror writes anything', async () => {
  const { dst, source, destination } = await buckets();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  const r = await runBundle('reconcile', { source, destination, 'fail-on': 'sometimes' }, { cwd: dir, env: credentialEnv() });
  expect(r.code).toBe(1);
  expect(errors(r)).toEqual(['input "fail-on": "sometimes" is not allowed; allowed: error, warning, never']);
  expect(await listKeys('new', dst)).toEqual([]);
});
