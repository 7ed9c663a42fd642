/**
 * mirror-bucket's glue with `manifest: cache` between folders, the Actions cache played in memory
 * (the service is not reachable here): a run to several destinations keeps one manifest a
 * destination under the cache key a run to that destination alone uses, so switching a job between
 * `destination` and `destinations` keeps what was proven, both ways.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Summary } from '../../src/runtime/summary';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import { ALL_KEYS } from '../../src/storage/key-range';
import { LocalStore } from '../../src/storage/local-store';
import { manifestCacheKey } from '../../src/sync/manifest';
import { quietHost } from '../helpers/quiet-host';

/** The Actions cache in memory: each save kept under its key, a restore taking the newest whose key starts with the prefix. */
const saved: { key: string; path: string; bytes: Buffer }[] = [];
/** When set, saves are refused the way the cache client reports a refusal: a log line and -1, no throw. */
let refuseSaves = false;
jest.mock('@actions/cache', () => ({
  isFeatureAvailable: () => true,
  restoreCache: async (paths: string[], _primary: string, prefixes: string[]) => {
    const hit = [...saved].reverse().find((s) => s.key.startsWith(prefixes[0]!) && s.path === paths[0]);
    if (!hit) return undefined;
    fs.writeFileSync(paths[0]!, hit.bytes);
    return hit.key;
  },
  saveCache: async (paths: string[], key: string) => {
    if (refuseSaves) return -1;
    if (saved.some((s) => s.key === key)) return -1; // as the real client answers a key that exists
    saved.push({ key, path: paths[0]!, bytes: fs.readFileSync(paths[0]!) });
    return 1;
  },
}));

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest();
let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fan-out-cache-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let runs = 0;
async function run(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const outputs: Record<string, string> = {};
  const temp = path.join(dir, 'runner-temp');
  fs.mkdirSync(temp, { recursive: true });
  runs++;
  const warnings: string[] = [];
  const infos: string[] = [];
  const host = { ...quietHost({ mode: 'copy', 'part-size': '5MiB', manifest: 'cache', 'report-path': path.join(dir, `report-${runs}.txt`), ...inputs }, { cwd: dir, env: { ACTIONS_RESULTS_URL: 'http://cache.invalid/', RUNNER_TEMP: temp, GITHUB_RUN_ID: String(runs), ...env } }), setOutput: (n: string, v: string) => void (outputs[n] = v), warning: (m: string) => void warnings.push(m), info: (m: string) => void infos.push(m) };
  await mirrorBucket({ host, summary: new Summary('mirror-bucket'), onInterrupt: () => () => undefined });
  return { outputs, warnings, infos, rows: JSON.parse(outputs.destinations!) as { name: string; matched: number; copied: number; updated: number; manifestEntries: number }[] };
}

test('manifest: cache: a run to several destinations proves what a run to one proved, and the other way round', async () => {
  // A legacy image: written in parts of 1 MiB, no sha256 recorded; its copies (parts of 5 MiB) get other ETags.
  const src = new LocalStore(path.join(dir, 'src'));
  fs.mkdirSync(path.join(dir, 'src'));
  const body = randomBytes(6 * MiB + 5);
  const w = await src.startMultipart('legacy.qcow2', { visibility: 'public' });
  for (let at = 0, n = 1; at < body.length; at += MiB, n++) await w.writePart(n, body.subarray(at, at + MiB), sha(body.subarray(at, at + MiB)));
  await w.complete();
  for (const d of ['d1', 'd2']) fs.mkdirSync(path.join(dir, d));
  const [source, d1, d2] = ['src', 'd1', 'd2'].map((d) => `file://${path.join(dir, d)}`);
  const keyOf = (destination: string) => manifestCacheKey({ source: source!, destination: destination! }, ALL_KEYS);

  // One destination: copies, records the pair, saves it under the pair's key.
  const one = await run({ source: source!, destination: d1! });
  expect([one.outputs.copied, one.outputs['manifest-entries']]).toEqual(['1', '1']);
  expect(saved.map((s) => s.key.startsWith(keyOf(d1!)))).toEqual([true]);

  // Several: d1's pair proven by the manifest the one-destination run saved; d2 copied; one entry each, each under its pair's key.
  const many = await run({ source: source!, destinations: `${d1}\n${d2}` });
  expect(many.rows.map((r) => [r.name, r.matched, r.copied, r.updated, r.manifestEntries])).toEqual([[d1, 1, 0, 0, 1], [d2, 0, 1, 0, 1]]);
  expect(JSON.parse(many.outputs.methods!)).toMatchObject({ manifest: 1, none: 0 });
  expect(many.outputs['manifest-entries']).toBe('2');
  expect(saved.slice(1).map((s) => s.key.slice(0, keyOf(d1!).length)).sort()).toEqual([keyOf(d1!), keyOf(d2!)].sort());

  // Back to one destination, d2: proven by the manifest the fan-out saved for that pair.
  const back = await run({ source: source!, destination: d2! });
  expect([back.outputs.matched, back.outputs.copied, back.outputs.updated, back.outputs['source-reads']]).toEqual(['1', '0', '0', '0']);
  expect(JSON.parse(back.outputs.methods!)).toMatchObject({ manifest: 1 });

  // And the fan-out again: nothing copied, nothing read.
  const again = await run({ source: source!, destinations: `${d1}\n${d2}` });
  expect(again.rows.map((r) => [r.matched, r.copied, r.updated])).toEqual([[1, 0, 0], [1, 0, 0]]);
  expect(again.outputs['source-reads']).toBe('0');
});

test('manifest: cache: a save the cache service does not keep (the client logs it and returns -1) is a warning a destination, and the run passes', async () => {
  const src = path.join(dir, 'refused-src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'a.txt'), 'a');
  const dests = ['refused-d1', 'refused-d2'].map((d) => (fs.mkdirSync(path.join(dir, d)), `file://${path.join(dir, d)}`));
  const before = saved.length;
  refuseSaves = true;
  try {
    const one = await run({ source: `file://${src}`, destination: dests[0]! });
    expect([one.outputs.copied, one.outputs['in-sync']]).toEqual(['1', 'true']);
    expect(one.warnings).toEqual([expect.stringContaining('could not save the manifest to the Actions cache: the cache service did not keep it')]);
    const many = await run({ source: `file://${src}`, destinations: dests.join('\n') });
    expect(many.outputs['in-sync']).toBe('true');
    expect(many.warnings.filter((w) => w.includes('could not save the manifest to the Actions cache'))).toHaveLength(2);
  } finally {
    refuseSaves = false;
  }
  expect(saved.length).toBe(before);
});

test('manifest: cache: two steps over one pair in one run attempt each save their own entry; a job whose cache mode forbids writes saves nothing and says so without a warning', async () => {
  const src = path.join(dir, 'steps-src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'a.txt'), 'a');
  fs.mkdirSync(path.join(dir, 'steps-d'));
  const [source, destination] = [`file://${src}`, `file://${path.join(dir, 'steps-d')}`];
  const before = saved.length;
  // The same run and attempt: a sync step, then a check step (the runner names each step in GITHUB_ACTION).
  const sync = await run({ source, destination }, { GITHUB_RUN_ID: '77', GITHUB_ACTION: '__ci-stores_ci-stores' });
  const check = await run({ source, destination, mode: 'check' }, { GITHUB_RUN_ID: '77', GITHUB_ACTION: '__ci-stores_ci-stores_2' });
  expect([sync.warnings, check.warnings]).toEqual([[], []]);
  expect(saved.slice(before).map((e) => e.key.slice(e.key.indexOf('77-')))).toEqual(['77-1-__ci-stores_ci-stores', '77-1-__ci-stores_ci-stores_2']);

  for (const mode of ['read', 'none', ' Read ']) {
    const n = saved.length;
    const r = await run({ source, destination }, { ACTIONS_CACHE_MODE: mode });
    expect([r.warnings, saved.length]).toEqual([[], n]);
    expect(r.infos).toContain(`manifest not saved: this job's Actions cache mode (${mode}) does not let it write`);
  }
});
