/**
 * `upload-image` end to end: the ncc bundle under Node 24, run like a runner runs it, against two
 * real RGW clusters (the "old" and the "new" provider), then both stores inspected from outside.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errors, NODE24, runBundle, type BundleRun } from '../helpers/bundle';
import { PutObjectAclCommand } from '@aws-sdk/client-s3';
import { anonymousStatus, client, credentialEnv, headMeta, listKeys, openUploads, REPO, rgw, useBuckets } from '../helpers/rgw';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const makeBucket = useBuckets();

function storesInput(b: { old: string; new: string }): string {
  return [`${rgw('old').endpoint}/${b.old}/images credentials=env:OLD name=old`, `${rgw('new').endpoint}/${b.new}/images credentials=env:NEW name=new`].join('\n');
}

function workspace(files: Record<string, Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

function expectNoSecrets(run: BundleRun, ...secrets: string[]): void {
  // `::add-mask::` is how a value reaches the runner's masker; everything else must never hold one.
  const visible = [run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
  for (const s of secrets) expect(visible).not.toContain(s);
}

test('the bundle runs on Node 24, the runtime action.yml declares', () => {
  expect(execFileSync(NODE24, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
  expect(fs.readFileSync(path.join(REPO, 'actions/upload-image/action.yml'), 'utf8')).toMatch(/using: 'node24'/);
});

describe('dual-write to two RGW clusters', () => {
  const image = randomBytes(45 * 1024 * 1024 + 17);
  const rhel = randomBytes(300 * 1024);
  let buckets: { old: string; new: string };
  let ws: string;
  let first: BundleRun;

  beforeAll(async () => {
    buckets = await makeBucket.pair('dual');
    ws = workspace({ 'fedora-42.qcow2': image, 'rhel-9-4.qcow2': rhel, 'notes.txt': Buffer.from('not an image') });
    first = await runBundle('upload-image', { files: '*.qcow2', stores: storesInput(buckets), 'part-size': '8MiB', concurrency: '4' }, { cwd: ws, env: credentialEnv() });
  });

  test('succeeds with a result per file and store, in outputs and the summary', () => {
    expect(errors(first)).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.outputs.uploaded).toBe('4');
    expect(first.outputs.skipped).toBe('0');
    expect(first.outputs.failed).toBe('0');
    expect(Number(first.outputs.bytes)).toBe(2 * (image.length + rhel.length));
    expect(JSON.parse(first.outputs.keys!)).toEqual(['fedora-42.qcow2', 'rhel-9-4.qcow2']);
    const results = JSON.parse(first.outputs.results!);
    expect(results).toEqual([
      expect.objectContaining({ key: 'fedora-42.qcow2', visibility: 'public', sha256: sha256(image), ok: true }),
      expect.objectContaining({ key: 'rhel-9-4.qcow2', visibility: 'private', sha256: sha256(rhel), ok: true }),
    ]);
    expect(results[0].stores).toEqual([
      expect.objectContaining({ store: 'old', outcome: 'uploaded', anonymous: 'readable' }),
      expect.objectContaining({ store: 'new', outcome: 'uploaded', anonymous: 'readable' }),
    ]);
    expect(results[1].stores.map((s: { anonymous: string }) => s.anonymous)).toEqual(['denied', 'denied']);
    expect(JSON.parse(first.outputs.stores!)).toEqual([
      { store: 'old', uploaded: 2, skipped: 0, failed: 0, planned: 0 },
      { store: 'new', uploaded: 2, skipped: 0, failed: 0, planned: 0 },
    ]);
    expect(first.summary).toContain('## upload-image');
    expect(first.summary).toMatch(/\| fedora-42.qcow2 \| 45.0 MiB \| public \| old \| ✅ uploaded \| readable \|/);
    expect(first.summary).toMatch(/\| rhel-9-4.qcow2 \| 300.0 KiB \| private \| new \| ✅ uploaded \| denied \|/);
  });

  test('both stores hold the same content, with the sha256 recorded, and no open multipart upload', async () => {
    for (const id of ['old', 'new'] as const) {
      expect(await listKeys(id, buckets[id])).toEqual(['images/fedora-42.qcow2', 'images/rhel-9-4.qcow2']);
      const h = await headMeta(id, buckets[id], 'images/fedora-42.qcow2');
      expect(h.ContentLength).toBe(image.length);
      expect(h.Metadata?.sha256).toBe(sha256(image));
      expect(h.ETag).toMatch(/-6"$/); // 45 MiB in 8 MiB parts
      expect((await headMeta(id, buckets[id], 'images/rhel-9-4.qcow2')).Metadata?.sha256).toBe(sha256(rhel));
      expect(await openUploads(id, buckets[id])).toEqual([]);
    }
  });

  test('strangers can read the public image and not the rhel one, on both providers', async () => {
    for (const id of ['old', 'new'] as const) {
      expect(await anonymousStatus(id, buckets[id], 'images/fedora-42.qcow2')).toBe(200);
      expect(await anonymousStatus(id, buckets[id], 'images/rhel-9-4.qcow2')).toBe(403);
    }
  });

  test('a re-run converges: everything is skipped, nothing is written', async () => {
    const again = await runBundle('upload-image', { files: '*.qcow2', stores: storesInput(buckets), 'part-size': '8MiB' }, { cwd: ws, env: credentialEnv() });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ uploaded: '0', skipped: '4', failed: '0', bytes: '0' });
  });

  test('secrets never reach the log, the outputs or the summary', () => {
    expectNoSecrets(first, rgw('old').secretKey, rgw('new').secretKey, rgw('old').accessKey);
    expect(first.stdout).toContain(`::add-mask::${rgw('old').secretKey}`);
  });
});

// The lean request sends every single PUT to these stores; CI_STORES_WIRE=sdk makes the SDK send
// them, as it does for AWS. CreateMultipartUpload goes through the SDK on both.
describe.each(['lean', 'sdk'] as const)('Content-Type and Cache-Control on every write, %s wire', (wire) => {
  const iso = randomBytes(200 * 1024);
  const disk = randomBytes(6 * 1024 * 1024 + 11);
  const files = { 'boot.iso': iso, 'fedora-42.qcow2': disk };
  let buckets: { old: string; new: string };
  let ws: string;
  const run = (extra: Record<string, string>) =>
    runBundle('upload-image', { files: '*', stores: storesInput(buckets), 'part-size': '5MiB', ...extra }, { cwd: ws, env: { ...credentialEnv(), CI_STORES_WIRE: wire } });
  const headers = async () => {
    const out: [string, string, string | undefined, string | undefined, string | undefined][] = [];
    for (const id of ['old', 'new'] as const) {
      for (const name of Object.keys(files)) {
        const h = await headMeta(id, buckets[id], `images/${name}`);
        out.push([id, name, h.ContentType, h.CacheControl, h.ETag?.replace(/^".*-(\d+)"$/, 'parts: $1')]);
      }
    }
    return out;
  };

  beforeAll(async () => {
    buckets = await makeBucket.pair(`hdr-${wire}`);
    ws = workspace(files);
  });

  test('by name, with a cache-control: a single PUT and a multipart upload carry both, on both providers; a re-run skips', async () => {
    const first = await run({ 'cache-control': 'public, max-age=86400' });
    expect(errors(first)).toEqual([]);
    expect(first.outputs).toMatchObject({ uploaded: '4', skipped: '0', failed: '0' });
    expect(first.stdout).toContain('boot.iso -> boot.iso: public: ');
    expect(first.stdout).toContain('; Content-Type application/x-iso9660-image, Cache-Control public, max-age=86400');
    expect(await headers()).toEqual([
      ['old', 'boot.iso', 'application/x-iso9660-image', 'public, max-age=86400', expect.stringMatching(/^"[0-9a-f]{32}"$/)],
      ['old', 'fedora-42.qcow2', 'application/octet-stream', 'public, max-age=86400', 'parts: 2'],
      ['new', 'boot.iso', 'application/x-iso9660-image', 'public, max-age=86400', expect.stringMatching(/^"[0-9a-f]{32}"$/)],
      ['new', 'fedora-42.qcow2', 'application/octet-stream', 'public, max-age=86400', 'parts: 2'],
    ]);
    const again = await run({ 'cache-control': 'public, max-age=86400' });
    expect(again.outputs).toMatchObject({ uploaded: '0', skipped: '4', failed: '0', bytes: '0' });
  });

  test('other headers asked for: every copy is written again with them, and the result says what differed', async () => {
    const changed = await run({ 'content-type': 'application/x-qemu-disk', 'cache-control': 'no-cache' });
    expect(errors(changed)).toEqual([]);
    expect(changed.outputs).toMatchObject({ uploaded: '4', skipped: '0', failed: '0', bytes: String(2 * (iso.length + disk.length)) });
    const results = JSON.parse(changed.outputs.results!);
    expect(results[0].stores[0]).toMatchObject({
      store: 'old',
      outcome: 'uploaded',
      reason: 'written again: same sha256, but Content-Type is "application/x-iso9660-image", not "application/x-qemu-disk", Cache-Control is "public, max-age=86400", not "no-cache"',
    });
    expect(changed.summary).toContain('written again: same sha256, but Content-Type is');
    expect((await headers()).map(([id, name, type, cache]) => [id, name, type, cache])).toEqual([
      ['old', 'boot.iso', 'application/x-qemu-disk', 'no-cache'],
      ['old', 'fedora-42.qcow2', 'application/x-qemu-disk', 'no-cache'],
      ['new', 'boot.iso', 'application/x-qemu-disk', 'no-cache'],
      ['new', 'fedora-42.qcow2', 'application/x-qemu-disk', 'no-cache'],
    ]);
    for (const id of ['old', 'new'] as const) expect(await openUploads(id, buckets[id])).toEqual([]);
  });
});

test('a store that is only reachable with a key folder, Cockpit style', async () => {
  const bucket = await makeBucket('old', 'keydir');
  const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-'));
  fs.writeFileSync(path.join(keys, '127.0.0.1'), `${rgw('old').accessKey} ${rgw('old').secretKey}\n`);
  const ws = workspace({ 'cirros.qcow2': Buffer.from('tiny image') });
  const run = await runBundle('upload-image', { files: 'cirros.qcow2', stores: `${rgw('old').endpoint}/${bucket}`, credentials: `key-dir:${keys}` }, { cwd: ws });
  expect(errors(run)).toEqual([]);
  expect(run.outputs.uploaded).toBe('1');
  expectNoSecrets(run, rgw('old').secretKey);
});

test('the CLI runs the same operation outside GitHub Actions', async () => {
  const bucket = await makeBucket('new', 'cli');
  const ws = workspace({ 'rhel-10.qcow2': randomBytes(1024) });
  const out = execFileSync(NODE24, [path.join(REPO, 'dist/cli/index.js'), 'upload-image', '--files', 'rhel-10.qcow2', '--stores', `${rgw('new').endpoint}/${bucket} credentials=env:NEW`], {
    cwd: ws,
    env: { PATH: process.env.PATH, ...credentialEnv() },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(out).toContain('uploaded=1');
  expect(await anonymousStatus('new', bucket, 'rhel-10.qcow2')).toBe(403);
});

test('the CLI refuses a mistyped flag before anything runs: exit 2, nothing in the bucket', async () => {
  const bucket = await makeBucket('new', 'cli-typo');
  const ws = workspace({ 'fedora-42.qcow2': randomBytes(1024) });
  const cli = (...flags: string[]) =>
    spawnSync(NODE24, [path.join(REPO, 'dist/cli/index.js'), 'upload-image', '--files', 'fedora-42.qcow2', '--stores', `${rgw('new').endpoint}/${bucket} credentials=env:NEW`, ...flags], {
      cwd: ws,
      env: { PATH: process.env.PATH, ...credentialEnv() },
      encoding: 'utf8',
    });
  const typo = cli('--dryrun', 'true');
  expect(typo.status).toBe(2);
  expect(typo.stderr).toContain('unknown flag --dryrun for upload-image; did you mean --dry-run?');
  expect(typo.stdout).toBe('');
  expect(await listKeys('new', bucket)).toEqual([]);
  const dry = cli('--dry-run', 'true');
  expect(dry.status).toBe(0);
  expect(await listKeys('new', bucket)).toEqual([]);
  expect(cli().status).toBe(0);
  expect(await listKeys('new', bucket)).toEqual(['fedora-42.qcow2']);
});

describe('bad input: a clear error naming the input and value, and nothing written', () => {
  let buckets: { old: string; new: string };
  let ws: string;
  const content = randomBytes(9 * 1024 * 1024);
  beforeAll(async () => {
    buckets = await makeBucket.pair('bad');
    ws = workspace({ 'img.qcow2': Buffer.from('img'), [`fedora-${'0'.repeat(64)}.qcow2`]: content });
  });

  const cases: [string, Record<string, string>, RegExp, NodeJS.ProcessEnv?][] = [
    ['a missing file', { files: 'missing.qcow2' }, /input "files": "missing.qcow2": no such file/],
    ['a glob that matches nothing', { files: '*.iso' }, /input "files": "\*.iso" matches no file/],
    ['a bad store URL', { stores: 'ftp://example.com/b' }, /input "stores": line 1: "ftp:\/\/example.com\/b": unsupported scheme "ftp:"; allowed: https:, http:, s3:, file:/],
    ['a bad visibility rule', { 'visibility-rules': 'rhel* secret' }, /input "visibility-rules": rule 1 "rhel\* secret" is not "GLOB public" or "GLOB private"/],
    ['an unknown visibility mode', { 'visibility-mode': 'public' }, /input "visibility-mode": "public" is not allowed; allowed: auto, acl, policy, detect/],
    ['a bad require', { require: '3' }, /input "require": "3" is out of range; allowed: all, any, or a number from 1 to 2/],
    ['a part size below S3\'s minimum', { 'part-size': '1MiB' }, /input "part-size": "1MiB" is out of range; allowed: 5MiB to 5GiB/],
    ['a concurrency out of range', { concurrency: '0' }, /input "concurrency": "0" is not allowed; allowed: a whole number from 1 to 64/],
    ['a boolean that is not one', { 'dry-run': 'yes' }, /input "dry-run": "yes" is not allowed; allowed: true, false/],
    ['an unknown key placeholder', { key: '{os}/{name}' }, /input "key": unknown placeholder \{os\}/],
    ['a store without credentials', {}, /credentials=env:OLD needs OLD_ACCESS_KEY_ID and OLD_SECRET_ACCESS_KEY/, { NEW_ACCESS_KEY_ID: 'x' }],
    ['wrong credentials', {}, /old: HeadBucket .*: .*403.*the credentials were refused/, { ...credentialEnv(), OLD_SECRET_ACCESS_KEY: 'wrong-secret-value' }],
  ];

  // Every row gets four cells: with fewer, jest would take `env` for a done() callback.
  test.each(cases.map(([a, b, c, d]) => [a, b, c, d] as const))('%s', async (_, inputs, message, env) => {
    const run = await runBundle('upload-image', { files: 'img.qcow2', stores: storesInput(buckets), ...inputs }, { cwd: ws, env: env ?? credentialEnv() });
    expect(run.code).toBe(1);
    expect(errors(run).join('\n')).toMatch(message);
    expect(run.summary).toMatch(message);
    for (const id of ['old', 'new'] as const) expect(await listKeys(id, buckets[id])).toEqual([]);
  });

  test('a bucket that does not exist', async () => {
    const run = await runBundle('upload-image', { files: 'img.qcow2', stores: `${storesInput(buckets)}\n${rgw('new').endpoint}/no-such-bucket-x credentials=env:NEW` }, { cwd: ws, env: credentialEnv() });
    expect(run.code).toBe(1);
    expect(errors(run).join('\n')).toMatch(/no-such-bucket-x.*NoSuchBucket.*the bucket does not exist/);
    for (const id of ['old', 'new'] as const) expect(await listKeys(id, buckets[id])).toEqual([]);
  });

  test('a sha256 name that does not match the content (multipart): refused, no object, no open upload', async () => {
    const run = await runBundle('upload-image', { files: 'fedora-*.qcow2', stores: storesInput(buckets), 'part-size': '5MiB' }, { cwd: ws, env: credentialEnv() });
    expect(run.code).toBe(1);
    expect(errors(run).join('\n')).toMatch(new RegExp(`promises sha256 0{64} but the content's sha256 is ${sha256(content)}; nothing was written`));
    for (const id of ['old', 'new'] as const) {
      expect(await listKeys(id, buckets[id])).toEqual([]);
      expect(await openUploads(id, buckets[id])).toEqual([]);
    }
  });

  test('dry run checks the stores and writes nothing', async () => {
    const run = await runBundle('upload-image', { files: 'img.qcow2', stores: storesInput(buckets), 'dry-run': 'true' }, { cwd: ws, env: credentialEnv() });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.results!)[0].stores.map((s: { outcome: string }) => s.outcome)).toEqual(['planned', 'planned']);
    for (const id of ['old', 'new'] as const) expect(await listKeys(id, buckets[id])).toEqual([]);
  });
});

describe('bucket policies on RGW', () => {
  async function withPolicy(stem: string, statement: (bucket: string) => object): Promise<string> {
    const { PutBucketPolicyCommand } = await import('@aws-sdk/client-s3');
    const { client } = await import('../helpers/rgw');
    const bucket = await makeBucket('old', stem);
    await client('old').send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement(bucket)] }) }));
    return bucket;
  }
  const images = { 'fedora-42.qcow2': Buffer.from('fedora'), 'rhel-9.qcow2': Buffer.from('rhel') };

  test('a policy that lets anyone read the whole bucket: the rhel image is refused before it exists, and the step fails', async () => {
    const bucket = await withPolicy('exposing', (b) => ({ Sid: 'EveryoneReads', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${b}/*` }));
    const run = await runBundle('upload-image', { files: '*.qcow2', stores: `${rgw('old').endpoint}/${bucket} credentials=env:OLD` }, { cwd: workspace(images), env: credentialEnv() });
    expect(run.code).toBe(1);
    expect(errors(run).join('\n')).toMatch(/rhel-9.qcow2 \(.*not uploaded: the bucket policy \(statement "EveryoneReads"\) lets anyone read rhel-9.qcow2/);
    expect(await listKeys('old', bucket)).toEqual(['fedora-42.qcow2']);
  });

  test("policy mode with Cockpit's AWS policy (public except rhel*): no ACL is sent, the policy decides, and both are right", async () => {
    const bucket = await withPolicy('cockpit', (b) => ({ Sid: 'PublicExceptRhel', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: `arn:aws:s3:::${b}/rhel*` }));
    const run = await runBundle('upload-image', { files: '*.qcow2', stores: `${rgw('old').endpoint}/${bucket} credentials=env:OLD visibility=policy` }, { cwd: workspace(images), env: credentialEnv() });
    expect(errors(run)).toEqual([]);
    expect(run.outputs.uploaded).toBe('2');
    expect(await anonymousStatus('old', bucket, 'fedora-42.qcow2')).toBe(200);
    expect(await anonymousStatus('old', bucket, 'rhel-9.qcow2')).toBe(403);
  });
});

/** A rhel image and a fedora image of random content, and the workspace files that hold them. */
function rhelAndFedora() {
  const rhel = randomBytes(64 * 1024);
  const fedora = randomBytes(32 * 1024);
  return { rhel, fedora, files: { 'rhel-9.6-x86_64.qcow2': rhel, 'fedora-42.qcow2': fedora } };
}

describe('visibility follows the image, not only the key', () => {
  const { rhel, fedora, files } = rhelAndFedora();

  test('key images/{sha256}{ext}: the rhel image is private on both providers, and the summary says its file name matched', async () => {
    const buckets = await makeBucket.pair('sha-key');
    const run = await runBundle('upload-image', { files: '*.qcow2', stores: storesInput(buckets), key: 'images/{sha256}{ext}' }, { cwd: workspace(files), env: credentialEnv() });
    expect(errors(run)).toEqual([]);
    expect(run.code).toBe(0);
    const rhelKey = `images/${sha256(rhel)}.qcow2`;
    const fedoraKey = `images/${sha256(fedora)}.qcow2`;
    const results = JSON.parse(run.outputs.results!);
    expect(results).toEqual([
      expect.objectContaining({ key: fedoraKey, visibility: 'public', decidedBy: 'both' }),
      expect.objectContaining({
        key: rhelKey,
        visibility: 'private',
        decidedBy: 'name',
        visibilityReason: 'private: file name "rhel-9.6-x86_64.qcow2" matches rhel* private (rule 1)',
      }),
    ]);
    for (const id of ['old', 'new'] as const) {
      expect(await anonymousStatus(id, buckets[id], `images/${rhelKey}`)).toBe(403);
      expect(await anonymousStatus(id, buckets[id], `images/${fedoraKey}`)).toBe(200);
    }
    expect(run.summary).toContain('### Visibility');
    expect(run.summary).toContain(`| rhel-9.6-x86_64.qcow2 | ${rhelKey} | private | file name | private: file name "rhel-9.6-x86_64.qcow2" matches rhel* private (rule 1) |`);
    expect(run.stdout).toContain(`rhel-9.6-x86_64.qcow2 -> ${rhelKey}: private: file name`);
  });

  test('key {stem}/disk.qcow2: private, and both the file name and the key\'s folder matched', async () => {
    const bucket = await makeBucket('new', 'stem-key');
    const run = await runBundle('upload-image', { files: 'rhel-*.qcow2', stores: `${rgw('new').endpoint}/${bucket} credentials=env:NEW`, key: '{stem}/disk.qcow2' }, { cwd: workspace(files), env: credentialEnv() });
    expect(errors(run)).toEqual([]);
    expect(JSON.parse(run.outputs.results!)[0]).toMatchObject({ key: 'rhel-9.6-x86_64/disk.qcow2', visibility: 'private', decidedBy: 'both' });
    expect(await anonymousStatus('new', bucket, 'rhel-9.6-x86_64/disk.qcow2')).toBe(403);
    expect(run.summary).toContain('| file name and key | private: key folder "rhel-9.6-x86_64" matches rhel* private (rule 1); file name "rhel-9.6-x86_64.qcow2" matches rhel* private (rule 1) |');
  });
});

describe('a private write is remembered by the object, for those that see only its key', () => {
  const { rhel, fedora, files } = rhelAndFedora();

  test('uploaded under {sha256}, mirrored to the other provider private, audited as private, and a public copy is found exposed', async () => {
    const buckets = await makeBucket.pair('marker');
    const up = await runBundle('upload-image', { files: '*.qcow2', stores: `${rgw('old').endpoint}/${buckets.old} credentials=env:OLD`, key: 'images/{sha256}{ext}' }, { cwd: workspace(files), env: credentialEnv() });
    expect(errors(up)).toEqual([]);
    const rhelKey = `images/${sha256(rhel)}.qcow2`;
    const fedoraKey = `images/${sha256(fedora)}.qcow2`;
    expect((await headMeta('old', buckets.old, rhelKey)).Metadata).toMatchObject({ visibility: 'private' });
    expect((await headMeta('old', buckets.old, fedoraKey)).Metadata?.visibility).toBeUndefined();

    // The mirror's rules see a hex key, which they call public; the source's marker makes the copy private.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marker-'));
    const mirror = await runBundle(
      'mirror-bucket',
      { source: `${rgw('old').endpoint}/${buckets.old} credentials=env:OLD`, destination: `${rgw('new').endpoint}/${buckets.new} credentials=env:NEW`, mode: 'copy', 'verify-visibility': 'all', 'report-path': path.join(dir, 'report.txt') },
      { cwd: dir, env: credentialEnv() },
    );
    expect(errors(mirror)).toEqual([]);
    expect(mirror.code).toBe(0);
    expect(await anonymousStatus('new', buckets.new, rhelKey)).toBe(403);
    expect(await anonymousStatus('new', buckets.new, fedoraKey)).toBe(200);
    expect((await headMeta('new', buckets.new, rhelKey)).Metadata).toMatchObject({ visibility: 'private' });
    expect(mirror.summary).toContain(`+ ${rhelKey}: only in the source: copied (streamed, read checked by sha256), private (marked private in the source)`);

    // The audit of the destination: the marked object is private as it should be, no finding.
    const auditOf = () => runBundle('audit-acl', { stores: `${rgw('new').endpoint}/${buckets.new} credentials=env:NEW name=new`, 'expect-lifecycle': '', 'fail-on': 'never' }, { cwd: dir, env: credentialEnv() });
    const kindsOf = (run: BundleRun) => JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8')).stores[0].findings.map((f: { kind: string; key?: string; message: string }) => `${f.kind} ${f.key ?? ''}`);
    const clean = await auditOf();
    expect(errors(clean)).toEqual([]);
    expect(kindsOf(clean)).toEqual([]);

    // Someone makes it public by hand: the audit says it is exposed, and why it must be private.
    await client('new').send(new PutObjectAclCommand({ Bucket: buckets.new, Key: rhelKey, ACL: 'public-read' }));
    const exposed = await auditOf();
    expect(kindsOf(exposed)).toEqual([`exposed ${rhelKey}`]);
    expect(JSON.parse(fs.readFileSync(exposed.outputs.report!, 'utf8')).stores[0].findings[0].message).toMatch(/^private by its x-amz-meta-visibility: private marker/);

    // And upload-image, asked for the same file, does not call that copy good.
    const again = await runBundle('upload-image', { files: 'rhel-*.qcow2', stores: `${rgw('new').endpoint}/${buckets.new} credentials=env:NEW`, key: 'images/{sha256}{ext}' }, { cwd: workspace(files), env: credentialEnv() });
    expect(again.code).not.toBe(0);
    expect(errors(again).join('\n')).toContain(`private object(s) readable anonymously: ${rhelKey}`);
  });
});
