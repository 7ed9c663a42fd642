/**
 * `download-image` end to end: the ncc bundle under Node 24, run like a runner runs it, against the
 * two RGW clusters (the "old" and the "new" provider); the file on disk inspected afterwards.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { errors, runBundle, type BundleRun } from '../helpers/bundle';
import { anonymousStatus, client, credentialEnv, headMeta, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const makeBucket = useBuckets();

const image = randomBytes(1536 * 1024 + 11);
const good = hex(image);

let buckets: { old: string; new: string };
beforeAll(async () => {
  buckets = await makeBucket.pair('dl');
});

/** Puts an object as upload-image leaves it: private unless said otherwise, its sha256 recorded. */
async function put(id: ClusterId, key: string, body: Buffer, o: { sha256?: string; acl?: 'public-read' } = {}): Promise<void> {
  await client(id).send(
    new PutObjectCommand({ Bucket: buckets[id], Key: `images/${key}`, Body: body, ACL: o.acl, Metadata: o.sha256 === undefined ? {} : { sha256: o.sha256 } }),
  );
}

const storeLine = (id: ClusterId) => `${rgw(id).endpoint}/${buckets[id]}/images credentials=env:${id.toUpperCase()} name=${id}`;

function download(key: string, ws: string, extra: Record<string, string> = {}): Promise<BundleRun> {
  return runBundle('download-image', { 'object-key': key, 'save-to': 'images/', stores: [storeLine('old'), storeLine('new')].join('\n'), ...extra }, { cwd: ws, env: credentialEnv() });
}

function expectClean(run: BundleRun): void {
  const visible = [run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
  for (const secret of [rgw('old').secretKey, rgw('new').secretKey]) expect(visible).not.toContain(secret);
}

const workspace = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'));

test('the second store serves a private object when the first lacks it; the summary says which and what was verified', async () => {
  await put('new', 'fedora-42.qcow2', image, { sha256: good });
  expect(await anonymousStatus('new', buckets.new, 'images/fedora-42.qcow2')).toBe(403);
  const ws = workspace();
  const run = await download('fedora-42.qcow2', ws);
  expect(errors(run)).toEqual([]);
  expect(run.code).toBe(0);
  const dest = path.join(ws, 'images', 'fedora-42.qcow2');
  expect(run.outputs).toEqual({ path: dest, store: 'new', sha256: good, size: String(image.length), 'resumed-from': '0', skipped: 'false', 'verified-by': 'metadata' });
  expect(hex(fs.readFileSync(dest))).toBe(good);
  expect(fs.readdirSync(path.dirname(dest))).toEqual(['fedora-42.qcow2']);
  expect(run.stdout).toMatch(/old: skipped, does not have it/);
  expect(run.summary).toContain('| old | ⏭️ skipped | does not have it |');
  expect(run.summary).toContain('| new | ✅ served |');
  expect(run.summary).toContain('sha256 verified against the sha256 the store recorded');
  expectClean(run);

  const again = await download('fedora-42.qcow2', ws);
  expect(again.code).toBe(0);
  expect(again.outputs).toMatchObject({ store: '', skipped: 'true', sha256: good });
});

test('fastest: a store that never answers, listed first, does not hold the download up', async () => {
  const key = `fedora-41-${good}.qcow2`;
  await put('old', key, image);
  // Accepts connections and never says a word: in listed order, its HEAD would wait for the timeout.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const ws = workspace();
    const started = Date.now();
    const run = await runBundle(
      'download-image',
      { 'object-key': key, 'save-to': 'images/', order: 'fastest', stores: [`http://127.0.0.1:${port}/${buckets.old}/images credentials=env:OLD name=silent`, storeLine('new'), storeLine('old')].join('\n') },
      { cwd: ws, env: credentialEnv() },
    );
    expect(errors(run)).toEqual([]);
    expect(run.outputs).toMatchObject({ store: 'old', 'verified-by': 'name', sha256: good });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(hex(fs.readFileSync(path.join(ws, 'images', key)))).toBe(good);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('a partial download left behind is resumed from where it stopped', async () => {
  await put('old', 'centos-10.qcow2', image, { sha256: good });
  const head = await headMeta('old', buckets.old, 'images/centos-10.qcow2');
  const ws = workspace();
  const dest = path.join(ws, 'images', 'centos-10.qcow2');
  fs.mkdirSync(path.dirname(dest));
  fs.writeFileSync(`${dest}.part`, image.subarray(0, 700_000));
  fs.writeFileSync(`${dest}.part.json`, JSON.stringify({ version: 1, key: 'centos-10.qcow2', size: image.length, etag: head.ETag!.replace(/"/g, ''), sha256: good, store: 'old' }));
  const run = await download('centos-10.qcow2', ws);
  expect(errors(run)).toEqual([]);
  expect(run.outputs).toMatchObject({ store: 'old', 'resumed-from': '700000', sha256: good });
  expect(run.stdout).toContain(`resuming from byte 700000 of ${image.length}`);
  expect(run.summary).toContain('resumed from byte 700000');
  expect(hex(fs.readFileSync(dest))).toBe(good);
  expect(fs.readdirSync(path.dirname(dest))).toEqual(['centos-10.qcow2']);
});

test('an object whose content does not match its recorded sha256 is refused on every store; nothing is left at the destination', async () => {
  const corrupt = Buffer.from(image);
  corrupt[123_456] ^= 0x55;
  await put('old', 'rhel-9.qcow2', corrupt, { sha256: good });
  await put('new', 'rhel-9.qcow2', corrupt, { sha256: good });
  const ws = workspace();
  const run = await download('rhel-9.qcow2', ws);
  expect(run.code).toBe(1);
  const [message] = errors(run);
  expect(message).toMatch(new RegExp(`old: the content's sha256 is ${hex(corrupt)}, but the metadata says ${good}`));
  expect(message).toMatch(/new: the content's sha256 is/);
  expect(message).toMatch(/Nothing was written to /);
  expect(fs.readdirSync(path.join(ws, 'images'))).toEqual([]);
  expect(run.summary).toContain('❌ failed');
  expect(run.outputs).toEqual({});
});

test('bad input names the input, the value and what is allowed, before any request', async () => {
  const run = await download('fedora-42.qcow2', workspace(), { 'require-sha256': 'yes' });
  expect(run.code).toBe(1);
  expect(errors(run)).toEqual(['input "require-sha256": "yes" is not allowed; allowed: true, false']);
});
