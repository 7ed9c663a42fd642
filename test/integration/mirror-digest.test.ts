/**
 * `mirror-bucket` with `digest-in-key: quay` between the two RGW clusters, over a generated registry
 * blob store (`datastorage/registry/sha256/<2 hex>/<64 hex>`, Quay's layout): some blobs corrupt on
 * purpose (whole and multipart sizes), a malformed key, and keys the rule does not address. The step
 * runs in process (its real inputs, outputs and summary; the stores it opens itself); the last test
 * runs the bundle, and needs `dist/` rebuilt with this input.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import type { ActionContext } from '../../src/runtime/run-action';
import { Summary } from '../../src/runtime/summary';
import { errors, runBundle } from '../helpers/bundle';
import { quietHost } from '../helpers/quiet-host';
import { client, credentialEnv, listKeys, openUploads, putObject, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const MiB = 1024 * 1024;
const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const blobKey = (digest: string) => `sha256/${digest.slice(0, 2)}/${digest}`;
const bucket = useBuckets();

async function put(id: ClusterId, b: string, key: string, body: Buffer, partSize?: number): Promise<void> {
  await putObject(client(id), { Bucket: b, Key: key }, body, partSize);
}

async function contentHex(id: ClusterId, b: string, key: string): Promise<string> {
  const r = await client(id).send(new GetObjectCommand({ Bucket: b, Key: key }));
  return hex(Buffer.from(await r.Body!.transformToByteArray()));
}

/** A Quay-like tree: good blobs (small, and above the part size written in 6 MiB parts), corrupt ones of both sizes, a malformed key, `_verify`, an upload in progress. */
function registryTree() {
  const good = new Map<string, Buffer>();
  for (let i = 0; i < 10; i++) {
    const body = randomBytes(1 + i * 7919);
    good.set(blobKey(hex(body)), body);
  }
  const big = [randomBytes(11 * MiB + 1), randomBytes(6 * MiB + 5)];
  for (const body of big) good.set(blobKey(hex(body)), body);
  const corrupt = new Map<string, Buffer>();
  // Content that is not the digest its key names: other bytes, a truncated blob, a flipped bit, and a multipart one.
  const truncated = randomBytes(5000);
  const flipped = randomBytes(3000);
  const flippedBody = Buffer.from(flipped);
  flippedBody[1234] ^= 0x10;
  corrupt.set(blobKey(hex(randomBytes(32))), randomBytes(4000));
  corrupt.set(blobKey(hex(truncated)), truncated.subarray(0, 4999));
  corrupt.set(blobKey(hex(flipped)), flippedBody);
  const bigBad = randomBytes(11 * MiB + 3);
  const bigBadKey = blobKey(hex(Buffer.concat([bigBad.subarray(0, 100), Buffer.from('x')])));
  corrupt.set(bigBadKey, bigBad);
  const malformedDigest = hex(randomBytes(16));
  const malformed = `sha256/${malformedDigest.startsWith('ff') ? '00' : 'ff'}/${malformedDigest}`;
  return { good, corrupt, bigKeys: [...good.keys()].filter((k) => good.get(k)!.length > MiB), bigBadKey, malformed };
}

/** A host that keeps the outputs the step sets. */
function recordingHost(inputs: Record<string, string>, env: NodeJS.ProcessEnv, cwd: string) {
  const outputs: Record<string, string> = {};
  const host = { ...quietHost(inputs, { env, cwd }), setOutput: (name: string, value: string) => void (outputs[name] = value) };
  return { host, outputs };
}

describe('digest-in-key: quay, from the old provider to the new', () => {
  const t = registryTree();
  let src: string;
  let dst: string;
  let dir: string;
  const inputs = (extra: Record<string, string> = {}) => ({
    source: `${rgw('old').endpoint}/${src}/datastorage/registry/ credentials=env:OLD`,
    destination: `${rgw('new').endpoint}/${dst}/datastorage/registry/ credentials=env:NEW`,
    'digest-in-key': 'quay',
    exclude: 'uploads/**',
    'part-size': '5MiB',
    'report-path': path.join(dir, 'report.txt'),
    ...extra,
  });
  /** Runs the step in process; resolves its outputs, summary and error (if it threw). */
  const run = async (extra: Record<string, string> = {}) => {
    const { host, outputs } = recordingHost(inputs(extra), credentialEnv(), dir);
    const summary = new Summary('test');
    const ctx: ActionContext = { host, summary, onInterrupt: () => () => undefined };
    const error = await mirrorBucket(ctx).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const report = fs.readFileSync(path.join(dir, 'report.txt'), 'utf8').trim().split('\n');
    return { outputs, summary: summary.render(), error, report };
  };
  const dstKeys = async () => (await listKeys('new', dst)).map((k) => k.slice('datastorage/registry/'.length)).sort();

  beforeAll(async () => {
    src = await bucket('old', 'digest-src');
    dst = await bucket('new', 'digest-dst');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-digest-'));
    const at = (k: string) => `datastorage/registry/${k}`;
    for (const [k, body] of t.good) await put('old', src, at(k), body, body.length > MiB ? 6 * MiB : undefined);
    for (const [k, body] of t.corrupt) await put('old', src, at(k), body, body.length > MiB ? 6 * MiB : undefined);
    await put('old', src, at(t.malformed), randomBytes(100));
    await put('old', src, at('_verify'), Buffer.from('verified\n'));
    await put('old', src, at('uploads/0b9e1c52-partial'), randomBytes(700));
  }, 120_000);

  test('a copy verifies every blob it copies; corrupt and malformed ones are reported and absent from the destination, nothing left open', async () => {
    const r = await run();
    expect(r.error?.name).toBe('MirrorFailedError');
    expect(r.error?.message).toMatch(/^4 source object\(s\) do not match the digest their key names and 1 key\(s\) break the layout; none of them was copied/);
    expect(r.outputs).toMatchObject({ corrupt: '4', malformed: '1', unaddressed: '1', 'digest-verified': String(t.good.size), copied: String(t.good.size + 1), failed: '0', 'in-sync': 'false' });
    expect(await dstKeys()).toEqual([...t.good.keys(), '_verify'].sort());
    for (const [k, body] of t.good) expect([k, await contentHex('new', dst, `datastorage/registry/${k}`)]).toEqual([k, hex(body)]);
    expect(await openUploads('new', dst)).toEqual([]);
    expect(r.report.filter((l) => l.startsWith('#')).sort()).toEqual([...t.corrupt.keys()].map((k) => `# ${k}`).sort());
    expect(r.report).toContain(`! ${t.malformed}`);
    expect(r.summary).toContain('**4 corrupt** source object(s) and **1 malformed** key(s)');
    expect(r.summary).toContain(t.bigBadKey);
  }, 180_000);

  test('sync deletes nothing while a source is corrupt', async () => {
    await put('new', dst, 'datastorage/registry/sha256/old/only-here', Buffer.from('x'));
    const r = await run({ mode: 'sync' });
    expect(r.error?.name).toBe('MirrorFailedError');
    expect(r.outputs).toMatchObject({ corrupt: '4', deleted: '0', copied: '0', matched: String(t.good.size + 1) });
    expect(await dstKeys()).toContain('sha256/old/only-here');
  }, 180_000);

  test('check mode proves each pair by reading the destination: a wrong destination differs, corrupt bytes copied as they were are named, a source changed since is not read', async () => {
    const [first, second, third] = [...t.good.keys()].filter((k) => t.good.get(k)!.length > 1000 && t.good.get(k)!.length < MiB);
    // The destination gets a flipped bit (same size) under one key; the corrupt bytes of a source under another.
    const wrong = Buffer.from(t.good.get(first!)!);
    wrong[0] ^= 1;
    await put('new', dst, `datastorage/registry/${first}`, wrong);
    const [corruptKey, corruptBody] = [...t.corrupt][0]!;
    await put('new', dst, `datastorage/registry/${corruptKey}`, corruptBody);
    // The source of a pair the destination proves is rewritten (same size, other bytes): check mode never reads it.
    await put('old', src, `datastorage/registry/${second}`, randomBytes(t.good.get(second!)!.length));
    const r = await run({ mode: 'check', exclude: 'uploads/**\nsha256/old/**' });
    expect(r.error?.name).toBe('MirrorFailedError');
    const methods = JSON.parse(r.outputs.methods!) as Record<string, number>;
    // Every addressed pair in both stores decided by its digest, the multipart ones (other part sizes) included.
    expect(methods).toMatchObject({ digest: t.good.size + 1, etag: 1 });
    expect(r.outputs).toMatchObject({ corrupt: '1', differ: '1', missing: '3', matched: String(t.good.size), 'digest-verified': String(t.good.size - 1) });
    expect(r.report).toEqual(expect.arrayContaining([`* ${first}`, `= ${second}`, `= ${third}`, `# ${corruptKey}`, ...t.bigKeys.map((k) => `= ${k}`)]));
  }, 180_000);
});

describe('the bundle (needs dist/ rebuilt with digest-in-key)', () => {
  test('reports corrupt blobs, copies the rest verified, and fails', async () => {
    const { old: src, new: dst } = await bucket.pair('digest-bundle');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-digest-bundle-'));
    const good = randomBytes(2000);
    const bad = randomBytes(2000);
    const badKey = blobKey(hex(randomBytes(1)));
    await put('old', src, `r/${blobKey(hex(good))}`, good);
    await put('old', src, `r/${badKey}`, bad);
    const r = await runBundle(
      'mirror-bucket',
      {
        source: `${rgw('old').endpoint}/${src}/r/ credentials=env:OLD`,
        destination: `${rgw('new').endpoint}/${dst}/r/ credentials=env:NEW`,
        'digest-in-key': 'quay',
        'report-path': path.join(dir, 'report.txt'),
      },
      { env: credentialEnv(), cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(errors(r)).toEqual([expect.stringMatching(/^1 source object\(s\) do not match the digest their key names/)]);
    expect(r.outputs).toMatchObject({ corrupt: '1', copied: '1', 'digest-verified': '1' });
    expect(await listKeys('new', dst)).toEqual([`r/${blobKey(hex(good))}`]);
    expect(r.summary).toContain(badKey);
  }, 60_000);
});
