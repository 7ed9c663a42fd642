/**
 * mirror-bucket with `manifest: cache` through the bundle, between the two real RGW clusters, the
 * manifest of verified copies kept by the real `@actions/cache` inside the bundle in a local
 * stand-in for the Actions cache service (v2: twirp and signed blob URLs, all on 127.0.0.1). The
 * source holds a legacy image written in parts of 5 MiB with no sha256 recorded (copies in parts of
 * 6 MiB get other ETags, so only the manifest proves them equal) and a few small objects, and is
 * read through a recording proxy that counts its GETs. Each run is a fresh process, as each job on
 * a runner is; the runner's temporary folder is emptied between runs, so what the second run knows
 * comes from the cache service or not at all.
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { manifestCacheKey } from '../../src/sync/manifest';
import { startActionsCacheService, type ActionsCacheService, type CacheEntry } from '../helpers/actions-cache-service';
import { errors, runBundle, type BundleRun } from '../helpers/bundle';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { client, credentialEnv, putObject, rgw, useBuckets } from '../helpers/rgw';

const MiB = 1024 * 1024;
const bucket = useBuckets();
const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
/** The key the glue documents: `ci-stores-mirror-<pair hash>-<shard I>of<N>-`, then the run id and attempt. */
const KEY_FORM = /^ci-stores-mirror-[0-9a-f]{16}-1of1-\d+-1$/;

/** A legacy image (parts of 5 MiB, no sha256) and small objects whose copies keep their MD5 ETags. */
const legacy = randomBytes(11 * MiB + 3);
const SMALL: Record<string, Buffer> = { 'small.txt': Buffer.from('small\n'), 'logs/a.txt': Buffer.from('log a\n'), 'nested/ünïcödé.txt': Buffer.from('unicode\n') };
const SOURCE_KEYS = ['legacy.qcow2', ...Object.keys(SMALL)].sort();

let src: string;
let proxy: FaultProxy;
let cache: ActionsCacheService;
/** Source GETs, by path, as the source's proxy saw them. */
let gets: string[] = [];
let dir: string;
let workspace: string;
let runnerTemp: string;

beforeAll(async () => {
  src = await bucket('old', 'mcache-src');
  const c = client('old');
  await putObject(c, { Bucket: src, Key: 'src/legacy.qcow2', ACL: 'public-read' }, legacy, 5 * MiB);
  for (const [key, body] of Object.entries(SMALL)) await c.send(new PutObjectCommand({ Bucket: src, Key: `src/${key}`, Body: body, ACL: 'public-read' }));
  // Rate 0: nothing injected; the rule only records each GET of a source object.
  proxy = await startFaultProxy({ upstream: rgw('old').endpoint, rules: [{ kind: 'delay', delayMs: 0, match: (r) => (r.op === 'GetObject' && r.signed && r.path.startsWith(`/${src}/src/`) && void gets.push(r.path), false) }] });
  cache = await startActionsCacheService();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcache-'));
  // One workspace and one RUNNER_TEMP for every run, as on a runner: the cache version hashes the
  // path given to @actions/cache, and the archive holds it relative to the workspace.
  workspace = path.join(dir, 'work');
  runnerTemp = path.join(dir, 'temp');
  fs.mkdirSync(workspace);
});
afterAll(async () => {
  await proxy?.close();
  await cache?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const source = () => `${proxy.url}/${src}/src/ credentials=env:OLD`;
const sourceDisplay = () => `s3://${src}/src/ at ${proxy.url}`;
const destination = (b: string) => `${rgw('new').endpoint}/${b}/m/ credentials=env:NEW`;
const destinationDisplay = (b: string) => `s3://${b}/m/ at ${rgw('new').endpoint}`;
/** The cache key prefix of one pair (shard 1 of 1), as a run to that destination alone uses it. */
const pairKey = (b: string) => manifestCacheKey({ source: sourceDisplay(), destination: destinationDisplay(b) }, { index: 1, count: 1 });

/** One run of the bundle as one job: RUNNER_TEMP emptied first (the runner does that between jobs). */
async function run(runId: number, inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<BundleRun & { requests: typeof cache.requests }> {
  fs.rmSync(runnerTemp, { recursive: true, force: true });
  fs.mkdirSync(runnerTemp);
  gets = [];
  const before = cache.requests.length;
  const r = await runBundle(
    'mirror-bucket',
    {
      source: source(),
      mode: 'sync',
      // Parts of 6 MiB: the legacy image's copies get other ETags than its parts of 5 MiB.
      'part-size': '6MiB',
      manifest: 'cache',
      'report-path': path.join(dir, `report-${runId}.txt`),
      ...inputs,
    },
    { cwd: workspace, env: { ...credentialEnv(), ...cache.env(), RUNNER_TEMP: runnerTemp, GITHUB_RUN_ID: String(runId), GITHUB_RUN_ATTEMPT: '1', ...env } },
  );
  return { ...r, requests: cache.requests.slice(before) };
}

const warnings = (r: BundleRun) => r.stdout.split('\n').filter((l) => l.startsWith('::warning'));
const ops = (r: { requests: typeof cache.requests }) => r.requests.map((q) => `${q.op} ${q.status}`);

/** The files an entry's archive holds, and the manifest's header and entry lines. */
function archived(entry: CacheEntry): { names: string[]; header: { source: string; destination: string }; lines: string[] } {
  const file = path.join(dir, `entry-${entry.id}.tar`);
  fs.writeFileSync(file, entry.bytes!);
  // GNU tar finds the compression (zstd or gzip, whichever @actions/cache chose) by itself.
  const names = execFileSync('tar', ['-tf', file, '-P'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const text = gunzipSync(execFileSync('tar', ['-xOf', file, '-P', names[0]!], { maxBuffer: 64 * MiB })).toString('utf8');
  const [first, ...lines] = text.split('\n').filter(Boolean);
  return { names, header: JSON.parse(first!) as { source: string; destination: string }, lines };
}

/** The cache service was only ever asked on loopback, with the runtime token, and every request succeeded. */
function expectCleanCacheTraffic(r: { requests: typeof cache.requests }): void {
  const port = new URL(cache.url).port;
  for (const q of r.requests) {
    expect(q.host).toBe(`127.0.0.1:${port}`);
    expect(q.status).toBeLessThan(300);
    if (q.op.startsWith('Put') || q.op === 'GetBlob') continue;
    expect(q.authorization).toBe(`Bearer ${cache.token}`);
  }
}

describe('mirror-bucket with manifest: cache through the bundle and the real @actions/cache', () => {
  test('one destination: the first run copies everything and saves one entry under the pair key; the second restores it and reads nothing from the source', async () => {
    const a = await bucket('new', 'mcache-a');
    const first = await run(101, { destination: destination(a) });
    expect(errors(first)).toEqual([]);
    expect(warnings(first)).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('no manifest in the Actions cache yet');
    expect([first.outputs.copied, first.outputs['manifest-entries']]).toEqual([String(SOURCE_KEYS.length), '1']);
    expect(gets.sort()).toEqual(SOURCE_KEYS.map((k) => `/${src}/src/${k}`).sort());
    // Asked for the pair's entry (none yet), then created one, uploaded it with one Put Blob, finalized it.
    expect(ops(first)).toEqual(['GetCacheEntryDownloadURL 200', 'CreateCacheEntry 200', 'PutBlob 201', 'FinalizeCacheEntryUpload 200']);
    expectCleanCacheTraffic(first);
    expect(first.requests[0]!.body).toMatchObject({ key: `${pairKey(a)}none`, restore_keys: [pairKey(a)] });
    expect(cache.saved().map((e) => e.key)).toEqual([`${pairKey(a)}101-1`]);
    const [entry] = cache.saved();
    expect(entry!.key).toMatch(KEY_FORM);
    // The entry holds the manifest file, at its place in RUNNER_TEMP as seen from the workspace: the pair named, the legacy image recorded.
    const held = archived(entry!);
    expect(held.names).toEqual([`../temp/${pairKey(a).slice(0, -1)}.manifest.gz`]);
    expect(held.header).toMatchObject({ source: sourceDisplay(), destination: destinationDisplay(a) });
    expect(held.lines.map((l) => JSON.parse(l.split('\t')[0]!))).toEqual(['legacy.qcow2']);
    const listed = await client('new').send(new ListObjectsV2Command({ Bucket: a }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(SOURCE_KEYS.map((k) => `m/${k}`).sort());
    const copy = await client('new').send(new GetObjectCommand({ Bucket: a, Key: 'm/legacy.qcow2' }));
    expect(sha256(await copy.Body!.transformToByteArray())).toBe(sha256(legacy));
    expect(copy.ETag).not.toBe((await client('old').send(new HeadObjectCommand({ Bucket: src, Key: 'src/legacy.qcow2' }))).ETag);

    const second = await run(102, { destination: destination(a) });
    expect(errors(second)).toEqual([]);
    expect(warnings(second)).toEqual([]);
    expect(second.code).toBe(0);
    // Proven from the listings and the restored manifest: nothing read from the source, nothing copied.
    expect(gets).toEqual([]);
    expect([second.outputs.matched, second.outputs.copied, second.outputs.updated, second.outputs['source-reads']]).toEqual([String(SOURCE_KEYS.length), '0', '0', '0']);
    expect(JSON.parse(second.outputs.methods!)).toMatchObject({ manifest: 1, none: 0 });
    expect(second.stdout).toContain(`manifest restored from the Actions cache (${pairKey(a)}101-1)`);
    // Restored the first run's entry (same version), then saved its own under its run.
    expect(ops(second)).toEqual(['GetCacheEntryDownloadURL 200', 'GetBlob 200', 'CreateCacheEntry 200', 'PutBlob 201', 'FinalizeCacheEntryUpload 200']);
    expectCleanCacheTraffic(second);
    expect(second.requests[0]!.body!.version).toBe(entry!.version);
    expect(second.requests[1]!.entry).toBe(entry!.id);
    expect(cache.saved().map((e) => e.key)).toEqual([`${pairKey(a)}101-1`, `${pairKey(a)}102-1`]);
  });

  test('a runner without zstd: @actions/cache falls back to gzip, and the re-run still restores and reads nothing', async () => {
    // A PATH holding tar and gzip only: @actions/cache looks for zstd on the PATH, and tar runs gzip from it.
    const bin = path.join(dir, 'bin-without-zstd');
    fs.mkdirSync(bin, { recursive: true });
    for (const tool of ['tar', 'gzip']) {
      const found = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      if (!fs.existsSync(path.join(bin, tool))) fs.symlinkSync(found, path.join(bin, tool));
    }
    const e = await bucket('new', 'mcache-e');
    const savedBefore = cache.saved().length;
    const first = await run(401, { destination: destination(e) }, { PATH: bin });
    expect(errors(first)).toEqual([]);
    expect(warnings(first)).toEqual([]);
    expect(first.code).toBe(0);
    const [entry] = cache.saved().slice(savedBefore);
    expect(entry?.key).toBe(`${pairKey(e)}401-1`);
    // A gzip stream (zstd's magic is 28 b5 2f fd), holding the manifest file.
    expect(entry!.bytes!.subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(archived(entry!).header).toMatchObject({ source: sourceDisplay(), destination: destinationDisplay(e) });
    const second = await run(402, { destination: destination(e) }, { PATH: bin });
    expect(errors(second)).toEqual([]);
    expect(second.code).toBe(0);
    expect(gets).toEqual([]);
    expect([second.outputs.copied, second.outputs.updated, second.outputs['source-reads']]).toEqual(['0', '0', '0']);
    expect(second.stdout).toContain(`manifest restored from the Actions cache (${pairKey(e)}401-1)`);
  });

  test('a cache service that refuses this token reads and writes: the run warns of both, copies what it must and passes; nothing saved', async () => {
    const d = await bucket('new', 'mcache-d');
    const savedBefore = cache.saved().length;
    cache.refuse.set('GetCacheEntryDownloadURL', { status: 403, msg: 'cache read denied: the token has no readable cache scope' });
    cache.refuse.set('CreateCacheEntry', { status: 403, msg: 'cache write denied: the token has no writable cache scope' });
    try {
      const r = await run(301, { destination: destination(d) });
      expect(errors(r)).toEqual([]);
      expect(r.code).toBe(0);
      expect([r.outputs.copied, r.outputs['in-sync']]).toEqual([String(SOURCE_KEYS.length), 'true']);
      // The restore's refusal is the cache client's warning; its refused save, which the client logs
      // only as an info line, is the glue's own warning.
      expect(warnings(r)).toEqual([expect.stringContaining('Failed to restore: '), expect.stringContaining('could not save the manifest to the Actions cache: the cache service did not keep it')]);
      expect(warnings(r)[0]).toContain('cache read denied:');
      expect(r.stdout).toContain('Failed to save: ');
      expect(ops(r)).toEqual(['GetCacheEntryDownloadURL 403', 'CreateCacheEntry 403']);
      expect(cache.saved().length).toBe(savedBefore);
    } finally {
      cache.refuse.clear();
    }
  });

  test('two destinations: one entry a destination under the keys a run to each alone uses; the re-run restores both and reads nothing; a run to one of them alone restores the fan-out entry', async () => {
    const [b, c] = [await bucket('new', 'mcache-b'), await bucket('new', 'mcache-c')];
    const savedBefore = cache.saved().length;
    const fan = await run(201, { destinations: `${destination(b)} name=b\n${destination(c)} name=c` });
    expect(errors(fan)).toEqual([]);
    expect(warnings(fan)).toEqual([]);
    expect(fan.code).toBe(0);
    // Each source object read once for both destinations.
    expect(gets.sort()).toEqual(SOURCE_KEYS.map((k) => `/${src}/src/${k}`).sort());
    const rows = (r: BundleRun) => (JSON.parse(r.outputs.destinations ?? '[]') as { name: string; matched: number; copied: number; updated: number; manifestEntries: number }[]).map((x) => [x.name, x.matched, x.copied, x.updated, x.manifestEntries]);
    expect(rows(fan)).toEqual([['b', 0, 4, 0, 1], ['c', 0, 4, 0, 1]]);
    expectCleanCacheTraffic(fan);
    const fanSaved = cache.saved().slice(savedBefore);
    expect(fanSaved.map((e) => e.key).sort()).toEqual([`${pairKey(b)}201-1`, `${pairKey(c)}201-1`].sort());
    for (const e of fanSaved) expect(e.key).toMatch(KEY_FORM);
    for (const [e, d] of fanSaved.map((x) => [x, x.key.startsWith(pairKey(b)) ? b : c] as const)) expect(archived(e).header).toMatchObject({ source: sourceDisplay(), destination: destinationDisplay(d) });

    const again = await run(202, { destinations: `${destination(b)} name=b\n${destination(c)} name=c` });
    expect(errors(again)).toEqual([]);
    expect(warnings(again)).toEqual([]);
    expect(again.code).toBe(0);
    expect(gets).toEqual([]);
    expect(rows(again)).toEqual([['b', 4, 0, 0, 1], ['c', 4, 0, 0, 1]]);
    expect(again.outputs['source-reads']).toBe('0');
    expect(again.stdout).toContain(`manifest restored from the Actions cache (${pairKey(b)}201-1)`);
    expect(again.stdout).toContain(`manifest restored from the Actions cache (${pairKey(c)}201-1)`);
    expect(again.requests.filter((q) => q.op === 'GetBlob').map((q) => q.entry).sort()).toEqual(fanSaved.map((e) => e.id).sort());
    expectCleanCacheTraffic(again);

    // A run to c alone finds the entry the fan-out saved for that pair.
    const alone = await run(203, { destination: destination(c) });
    expect(errors(alone)).toEqual([]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain(`manifest restored from the Actions cache (${pairKey(c)}202-1)`);
    expect(gets).toEqual([]);
    expect([alone.outputs.matched, alone.outputs.copied, alone.outputs.updated]).toEqual([String(SOURCE_KEYS.length), '0', '0']);
  });
});

describe('the cache stand-in itself', () => {
  test('a block upload as the Azure client sends it (Put Block, Put Block List), a ranged GET, and refusals', async () => {
    const { BlockBlobClient } = await import('@azure/storage-blob');
    const post = (method: string, body: unknown, token = cache.token) =>
      fetch(`${cache.url}twirp/github.actions.results.api.v1.CacheService/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const version = 'b'.repeat(64);
    expect((await post('CreateCacheEntry', { key: 'blocks-1', version }, 'wrong')).status).toBe(401);
    const created = (await (await post('CreateCacheEntry', { key: 'blocks-1', version })).json()) as { ok: boolean; signed_upload_url: string };
    expect(created.ok).toBe(true);
    expect((await post('CreateCacheEntry', { key: 'blocks-1', version })).status).toBe(409);
    const bytes = randomBytes(300_000);
    const file = path.join(dir, 'blocks');
    fs.writeFileSync(file, bytes);
    const before = cache.requests.length;
    await new BlockBlobClient(created.signed_upload_url).uploadFile(file, { blockSize: 100_000, maxSingleShotSize: 1_000, concurrency: 2 });
    expect(cache.requests.slice(before).map((q) => q.op)).toEqual(['PutBlock', 'PutBlock', 'PutBlock', 'PutBlockList']);
    // Not found before it is finalized; finalize checks the size.
    expect(((await (await post('GetCacheEntryDownloadURL', { key: 'blocks-1', version })).json()) as { ok?: boolean }).ok).toBeFalsy();
    expect(((await (await post('FinalizeCacheEntryUpload', { key: 'blocks-1', version, size_bytes: '5' })).json()) as { ok?: boolean }).ok).toBeFalsy();
    expect(((await (await post('FinalizeCacheEntryUpload', { key: 'blocks-1', version, size_bytes: String(bytes.length) })).json()) as { ok: boolean }).ok).toBe(true);
    // Another version does not match; the prefix does, through the restore keys.
    expect(((await (await post('GetCacheEntryDownloadURL', { key: 'blocks-1', version: 'c'.repeat(64) })).json()) as { ok?: boolean }).ok).toBeFalsy();
    const found = (await (await post('GetCacheEntryDownloadURL', { key: 'blocks-none', restore_keys: ['blocks-'], version })).json()) as { ok: boolean; signed_download_url: string; matched_key: string };
    expect([found.ok, found.matched_key]).toEqual([true, 'blocks-1']);
    expect(Buffer.from(await (await fetch(found.signed_download_url)).arrayBuffer())).toEqual(bytes);
    const ranged = await fetch(found.signed_download_url, { headers: { range: 'bytes=10-19' } });
    expect([ranged.status, ranged.headers.get('content-range')]).toEqual([206, `bytes 10-19/${bytes.length}`]);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    // A download URL with its signature changed, or used to upload, is refused.
    expect((await fetch(found.signed_download_url.replace(/sig=[^&]+/, 'sig=x'))).status).toBe(403);
    expect((await fetch(found.signed_download_url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' })).status).toBe(403);
  });
});
