/**
 * Ordered publication between the two RGW clusters: a generated dnf-like repository (packages,
 * repodata files named by their sha256, a repomd.xml naming them) mirrored once, then changed on the
 * source (packages added and removed, new repodata) and mirrored again while a reader loop on the
 * destination reads repomd.xml, every file it names and every package those name, checking each
 * sha256. With publish-last and delete-delay the reader never meets a 404 or a mismatch.
 *
 * The mirror runs in process (the step's own main, through real inputs): the bundle in dist/ is
 * built from the sources only when a release is made. The last test runs the bundle.
 */
import { DeleteBucketPolicyCommand, DeleteObjectCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import type { ActionContext } from '../../src/runtime/run-action';
import { Summary } from '../../src/runtime/summary';
import { quietHost } from '../helpers/quiet-host';
import { errors, runBundle } from '../helpers/bundle';
import { client, credentialEnv, listKeys, rgw, useBuckets } from '../helpers/rgw';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;
const bucket = useBuckets();
const ROOT = 'fedora/42/x86_64/os/';
/** Between the last write and the first deletion: longer than a reader's pass over the repository. */
const DELETE_DELAY_S = 15;

/** A repository: package name -> content, and the repodata it is published with. */
interface Repo {
  readonly packages: Map<string, Buffer>;
  /** Key (below ROOT) -> content, repomd.xml included. */
  readonly files: Map<string, Buffer>;
}

/** The repodata of `packages`: primary and other lists (gzip, named by their sha256) and repomd.xml naming both. */
function repodata(packages: Map<string, Buffer>, generation: number): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const lines = [...packages].map(([name, body]) => `<package><location href="Packages/${name}"/><checksum type="sha256">${sha256(body)}</checksum></package>`);
  const data: [string, Buffer][] = [
    ['primary', gzipSync(Buffer.from(`<metadata generation="${generation}">\n${lines.join('\n')}\n</metadata>\n`))],
    ['other', gzipSync(Buffer.from(`<otherdata generation="${generation}" packages="${packages.size}"/>\n`))],
  ];
  const entries: string[] = [];
  for (const [type, body] of data) {
    const href = `repodata/${sha256(body)}-${type}.xml.gz`;
    files.set(href, body);
    entries.push(`<data type="${type}"><location href="${href}"/><checksum type="sha256">${sha256(body)}</checksum></data>`);
  }
  files.set('repodata/repomd.xml', Buffer.from(`<repomd><revision>${generation}</revision>\n${entries.join('\n')}\n</repomd>\n`));
  return files;
}

function makeRepo(packages: Map<string, Buffer>, generation: number): Repo {
  const files = new Map<string, Buffer>();
  for (const [name, body] of packages) files.set(`Packages/${name}`, body);
  for (const [k, v] of repodata(packages, generation)) files.set(k, v);
  return { packages, files };
}

/** `count` small packages, and `big` of 6 MiB (multipart at 5 MiB parts, so slower than the rest). */
function packages(prefix: string, count: number, big = 0): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) out.set(`${prefix}-${i}-1.fc42.x86_64.rpm`, randomBytes(2048 + i * 97));
  // Sorted last among the packages: in key order they would be the last writes before repodata.
  for (let i = 0; i < big; i++) out.set(`zz-${prefix}-big-${i}-1.fc42.x86_64.rpm`, randomBytes(6 * MiB + i));
  return out;
}

const hrefs = (xml: string) => [...xml.matchAll(/<location href="([^"]+)"\/><checksum type="sha256">([0-9a-f]{64})<\/checksum>/g)].map((m) => ({ href: m[1]!, sha: m[2]! }));

/** What the reader saw: passes over the repository, the revisions it met, and every problem. */
interface Reading {
  passes: number;
  readonly revisions: Set<string>;
  readonly problems: string[];
  longestPassMs: number;
}

/**
 * Reads the destination as dnf would, over and over until `stop()`: repomd.xml, every file it
 * names, every package those name, each checked against its sha256.
 */
async function readerLoop(b: string, prefix: string, stop: () => boolean): Promise<Reading> {
  const c = client('new');
  const reading: Reading = { passes: 0, revisions: new Set(), problems: [], longestPassMs: 0 };
  const get = async (key: string): Promise<Buffer | undefined> => {
    try {
      const r = await c.send(new GetObjectCommand({ Bucket: b, Key: `${prefix}${key}` }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      reading.problems.push(`${key}: ${(e as Error).name}`);
      return undefined;
    }
  };
  const check = (key: string, body: Buffer | undefined, want: string): body is Buffer => {
    if (body === undefined) return false;
    if (sha256(body) === want) return true;
    reading.problems.push(`${key}: sha256 mismatch`);
    return false;
  };
  while (!stop()) {
    const started = Date.now();
    const repomd = await get('repodata/repomd.xml');
    if (repomd) {
      const text = repomd.toString();
      reading.revisions.add(/<revision>(\d+)<\/revision>/.exec(text)?.[1] ?? '?');
      for (const data of hrefs(text)) {
        const body = await get(data.href);
        if (!check(data.href, body, data.sha) || !data.href.endsWith('-primary.xml.gz')) continue;
        const named = hrefs(gunzipSync(body).toString());
        // A client fetches several packages at once.
        for (let i = 0; i < named.length; i += 16) {
          await Promise.all(named.slice(i, i + 16).map(async (p) => check(p.href, await get(p.href), p.sha)));
        }
      }
    }
    reading.passes++;
    reading.longestPassMs = Math.max(reading.longestPassMs, Date.now() - started);
  }
  return reading;
}

async function runMirror(inputs: Record<string, string>, cwd: string): Promise<{ outputs: Record<string, string>; summary: string; error?: Error }> {
  const outputs: Record<string, string> = {};
  const host = { ...quietHost(inputs, { env: credentialEnv(), cwd }), setOutput: (name: string, value: string) => void (outputs[name] = value) };
  const summary = new Summary('mirror-bucket');
  const ctx: ActionContext = { host, summary, onInterrupt: () => () => undefined };
  const error = await mirrorBucket(ctx).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { outputs, summary: summary.render(), error };
}

async function putAll(b: string, files: Map<string, Buffer>): Promise<void> {
  const c = client('old');
  await Promise.all([...files].map(([k, body]) => c.send(new PutObjectCommand({ Bucket: b, Key: `${ROOT}${k}`, Body: body }))));
}

describe('a package repository mirrored with ordered publication', () => {
  let src: string;
  let dst: string;
  let dir: string;
  let first: Repo;
  let second: Repo;
  const inputs = (extra: Record<string, string> = {}) => ({
    source: `${rgw('old').endpoint}/${src}/${ROOT} credentials=env:OLD`,
    destination: `${rgw('new').endpoint}/${dst}/${ROOT} credentials=env:NEW`,
    mode: 'sync',
    'part-size': '5MiB',
    transfers: '8',
    'publish-last': '**/repodata/**\n**/repomd.xml',
    'delete-delay': `${DELETE_DELAY_S}s`,
    'report-path': path.join(dir, 'report.txt'),
    ...extra,
  });

  beforeAll(async () => {
    src = await bucket('old', 'repo-src');
    dst = await bucket('new', 'repo-dst');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repo-'));
    first = makeRepo(packages('alpha', 40, 1), 1);
    await putAll(src, first.files);
  });

  test('the first sync publishes the whole tree, repodata after the packages and repomd.xml last', async () => {
    const r = await runMirror(inputs(), dir);
    expect(r.error).toBeUndefined();
    expect(r.outputs).toMatchObject({ copied: String(first.files.size), failed: '0', deleted: '0', 'in-sync': 'true' });
    expect(r.summary).toMatch(/Publication phases/);
    expect(r.summary).toMatch(/\| 1 \| `\*\*\/repodata\/\*\*` \| 2 \| 2 \| 0 \|/);
    expect(r.summary).toMatch(/\| 2 \| `\*\*\/repomd.xml` \| 1 \| 1 \| 0 \|/);
    expect((await listKeys('new', dst)).length).toBe(first.files.size);
  });

  test('a second sync that adds and removes packages never shows a reader a 404 or a wrong checksum', async () => {
    // Half the packages go, new ones (and a new big one) come, and the repodata is made anew.
    const kept = new Map([...first.packages].filter(([name], i) => i % 2 === 0 && !name.startsWith('zz-')));
    second = makeRepo(new Map([...kept, ...packages('beta', 30, 2)]), 2);
    await putAll(src, second.files);
    const gone = [...first.files.keys()].filter((k) => !second.files.has(k));
    for (const k of gone) await client('old').send(new DeleteObjectCommand({ Bucket: src, Key: `${ROOT}${k}` }));

    let done = false;
    const reader = readerLoop(dst, ROOT, () => done);
    // Let the reader settle on the first revision before the sync starts.
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const r = await runMirror(inputs(), dir).finally(() => (done = true));
    const seconds = (Date.now() - started) / 1000;
    const reading = await reader;
    console.log(`[publication] second sync ${seconds.toFixed(1)} s, ${gone.length} deleted; reader: ${reading.passes} passes, revisions ${[...reading.revisions].join(',')}, longest pass ${reading.longestPassMs} ms, ${reading.problems.length} problem(s)`);
    expect(r.error).toBeUndefined();
    expect(r.outputs).toMatchObject({ failed: '0', deleted: String(gone.length), 'in-sync': 'true' });
    expect(reading.problems).toEqual([]);
    // The reader was there before and after the switch, and each pass fitted in the delete delay.
    expect([...reading.revisions].sort()).toEqual(['1', '2']);
    expect(reading.passes).toBeGreaterThan(3);
    expect(reading.longestPassMs).toBeLessThan(DELETE_DELAY_S * 1000);
    expect((await listKeys('new', dst)).map((k) => k.slice(ROOT.length)).sort()).toEqual([...second.files.keys()].sort());
  });

  test('a package the destination refuses stops publication before the repodata: the published repodata stays whole, nothing is deleted', async () => {
    const third = makeRepo(new Map([...second.packages, ['gamma-1.fc42.x86_64.rpm', randomBytes(4096)]]), 3);
    await putAll(src, third.files);
    const stale = [...second.files.keys()].filter((k) => !third.files.has(k));
    for (const k of stale) await client('old').send(new DeleteObjectCommand({ Bucket: src, Key: `${ROOT}${k}` }));
    // The destination refuses that one package (an explicit deny binds the bucket's owner too).
    const deny = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${dst}/${ROOT}Packages/gamma-*` }] };
    await client('new').send(new PutBucketPolicyCommand({ Bucket: dst, Policy: JSON.stringify(deny) }));
    let r: Awaited<ReturnType<typeof runMirror>>;
    try {
      r = await runMirror(inputs({ 'delete-delay': '0' }), dir);
    } finally {
      await client('new').send(new DeleteBucketPolicyCommand({ Bucket: dst }));
    }
    expect(r.error?.message).toMatch(/^1 object\(s\) failed \(first: Packages\/gamma-1\.fc42\.x86_64\.rpm: copy: .*\); publication stopped before phase 1 \(phase 0 had 1 failure\(s\) .*\), nothing of it or later was written; nothing was deleted; see the report /);
    expect(r.outputs).toMatchObject({ failed: '1', deleted: '0', 'in-sync': 'false' });
    expect(r.summary).toMatch(/\*\*Publication stopped before phase 1:\*\* phase 0 had 1 failure/);
    expect(r.summary).toMatch(/\| 1 \| `\*\*\/repodata\/\*\*` \| 2 \| 0 \| 0 \| 0 B \| not started \|/);
    // The destination still publishes revision 2, whole: one pass of the reader finds everything.
    let passes = 0;
    const reading = await readerLoop(dst, ROOT, () => passes++ > 0);
    expect([...reading.revisions]).toEqual(['2']);
    expect(reading.problems).toEqual([]);
    const held = (await listKeys('new', dst)).map((k) => k.slice(ROOT.length));
    for (const k of second.files.keys()) expect(held).toContain(k);
  });

  test('the bundle: a dry run lists the phases and writes nothing (needs dist/ built with publish-last)', async () => {
    const empty = await bucket('new', 'repo-dry');
    const r = await runBundle('mirror-bucket', { ...inputs(), destination: `${rgw('new').endpoint}/${empty}/${ROOT} credentials=env:NEW`, 'dry-run': 'true' }, { env: { ...credentialEnv(), RUNNER_DEBUG: '1' }, cwd: dir });
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/phase 1 \(\*\*\/repodata\/\*\*\): 2 object\(s\) to write \(dry run: none is written\)/);
    expect(r.stdout).toMatch(/phase 2 \(\*\*\/repomd\.xml\): 1 object\(s\) to write/);
    expect(r.summary).toMatch(/### Publication phases \(dry run: what each would write\)/);
    // Each key's line (debug) carries its phase.
    expect(r.stdout).toMatch(/::debug::\+ repodata\/repomd\.xml: only in the source: would be copied \(dry run\).* \[phase 2\]\n/);
    expect(r.stdout).toMatch(/::debug::\+ repodata\/[0-9a-f]{64}-primary\.xml\.gz: only in the source: would be copied \(dry run\).* \[phase 1\]\n/);
    expect(r.summary).toMatch(/\| 2 \| `\*\*\/repomd\.xml` \| 1 \| 1 \| 0 \| \d+ B \| done \|/);
    expect(await listKeys('new', empty)).toEqual([]);
    // Everything still to write: the destination does not hold what the source holds.
    expect(r.outputs['in-sync']).toBe('false');
  });
});
