/**
 * The nightly `reconcile` composite, run step by step as a runner runs it: the mirror copies what
 * the old store has and the new lacks, then the audit checks both stores and finds what is exposed.
 */
import { PutObjectCommand, PutObjectAclCommand } from '@aws-sdk/client-s3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runComposite } from '../helpers/composite';
import { anonymousStatus, client, dropBucket, listKeys, newBucket, rgw, type ClusterId } from '../helpers/rgw';

const made: [ClusterId, string][] = [];
afterAll(async () => {
  for (const [id, b] of made) await dropBucket(id, b);
});

test('mirror then audit: the missing objects are copied, an exposed rhel image on the old store is found', async () => {
  const src = await newBucket('old', 'nightly-old');
  const dst = await newBucket('new', 'nightly-new');
  made.push(['old', src], ['new', dst]);
  const put = (key: string, acl: 'public-read' | 'private') => client('old').send(new PutObjectCommand({ Bucket: src, Key: key, Body: Buffer.from(key), ACL: acl }));
  await put('fedora-42.qcow2', 'public-read');
  await put('rhel-9.qcow2', 'private');
  await put('rhel-8.qcow2', 'private');
  // The old store has a rhel image made public by hand: the mirror must not copy that mistake.
  await client('old').send(new PutObjectAclCommand({ Bucket: src, Key: 'rhel-8.qcow2', ACL: 'public-read' }));
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  const r = await runComposite(
    'reconcile',
    { source: `${rgw('old').endpoint}/${src} credentials=env:OLD name=old`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW name=new` },
    { cwd, env: { OLD_ACCESS_KEY_ID: rgw('old').accessKey, OLD_SECRET_ACCESS_KEY: rgw('old').secretKey, NEW_ACCESS_KEY_ID: rgw('new').accessKey, NEW_SECRET_ACCESS_KEY: rgw('new').secretKey } },
  );
  const [mirror, audit] = r.steps;
  expect(mirror).toMatchObject({ id: 'mirror', ran: true, code: 0 });
  expect(r.outputs).toMatchObject({ copied: '3', 'in-sync': 'true' });
  expect((await listKeys('new', dst)).sort()).toEqual(['fedora-42.qcow2', 'rhel-8.qcow2', 'rhel-9.qcow2']);
  expect(await anonymousStatus('new', dst, 'rhel-8.qcow2')).toBe(403);
  // The audit ran on both stores and fails the job on the exposed image of the old one.
  expect(audit).toMatchObject({ id: 'audit', ran: true, code: 1 });
  expect(r.outputs['audit-errors']).toBe('1');
  const findings = fs.readFileSync(r.outputs['audit-report']!, 'utf8');
  expect(findings).toContain('rhel-8.qcow2');
  expect(r.summary).toContain('mirror-bucket');
  expect(r.summary).toContain('audit-acl');

  const mirrorOnly = await runComposite(
    'reconcile',
    { source: `${rgw('old').endpoint}/${src} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${dst} credentials=env:NEW`, audit: 'false' },
    { cwd, env: { OLD_ACCESS_KEY_ID: rgw('old').accessKey, OLD_SECRET_ACCESS_KEY: rgw('old').secretKey, NEW_ACCESS_KEY_ID: rgw('new').accessKey, NEW_SECRET_ACCESS_KEY: rgw('new').secretKey } },
  );
  expect(mirrorOnly.steps.map((s) => [s.id, s.ran, s.code])).toEqual([['mirror', true, 0], ['audit', false, null]]);
  expect(mirrorOnly.outputs).toMatchObject({ copied: '0', 'in-sync': 'true' });
});
