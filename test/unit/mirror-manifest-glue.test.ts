/**
 * mirror-bucket's glue with `manifest` files, in process between folders, to one destination and
 * to several: a file in a folder that does not exist yet is written there; one that cannot be
 * written is refused before the run naming input `manifest`; and the `manifest-entries` output and
 * the destinations rows count only the manifests kept (none where a listing failed).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError } from '../../src/config/configuration-error';
import { Summary } from '../../src/runtime/summary';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import { LocalStore } from '../../src/storage/local-store';
import { quietHost } from '../helpers/quiet-host';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-glue-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let runs = 0;
/** Outputs of the latest run, kept when it fails (a failed run still sets them). */
let outputs: Record<string, string> = {};
async function run(inputs: Record<string, string>) {
  outputs = {};
  runs++;
  const host = { ...quietHost({ mode: 'copy', 'report-path': path.join(dir, `out-${runs}`, 'report.txt'), ...inputs }, { cwd: dir, env: { RUNNER_TEMP: dir } }), setOutput: (n: string, v: string) => void (outputs[n] = v) };
  await mirrorBucket({ host, summary: new Summary('mirror-bucket'), onInterrupt: () => () => undefined });
  return { outputs, rows: outputs.destinations === undefined ? [] : (JSON.parse(outputs.destinations) as { manifestEntries: number; ok: boolean }[]) };
}

/** A folder store under the test's folder holding `keys` (each its own name as content); its file:// spec. */
async function folder(name: string, keys: readonly string[]): Promise<string> {
  const root = path.join(dir, name);
  fs.mkdirSync(root, { recursive: true });
  const s = new LocalStore(root);
  // Written in parts: a multipart ETag, which the copies' ETags cannot prove equal, so each pair gets a manifest entry.
  for (const k of keys) {
    const body = Buffer.from(`${k}-content`);
    const w = await s.startMultipart(k, { visibility: 'public' });
    await w.writePart(1, body.subarray(0, 4), sha(body.subarray(0, 4)));
    await w.writePart(2, body.subarray(4), sha(body.subarray(4)));
    await w.complete();
  }
  return `file://${root}`;
}

describe('a manifest file in a folder that does not exist yet is written there', () => {
  test('two destinations', async () => {
    const [src, d1, d2] = await Promise.all([folder('a-src', ['x', 'y']), folder('a-d1', []), folder('a-d2', [])]);
    const m = path.join(dir, 'a-m');
    const r = await run({ source: src, destinations: `${d1}\n${d2}`, manifest: `${m}/d1.gz\n${m}/d2.gz` });
    expect(r.outputs['manifest-entries']).toBe('4');
    expect(fs.readdirSync(m).sort()).toEqual(['d1.gz', 'd2.gz']);
  });

  test('one destination', async () => {
    const [src, d1] = await Promise.all([folder('b-src', ['x', 'y']), folder('b-d1', [])]);
    const file = path.join(dir, 'b-m', 'deeper', 'd1.gz');
    const r = await run({ source: src, destination: d1, manifest: file });
    expect(r.outputs['manifest-entries']).toBe('2');
    expect(fs.existsSync(file)).toBe(true);
  });
});

describe('a manifest file that cannot be written is refused before the run, naming input "manifest"', () => {
  for (const several of [true, false]) {
    test(several ? 'two destinations' : 'one destination', async () => {
      const tag = several ? 'c' : 'd';
      const [src, d1, d2] = await Promise.all([folder(`${tag}-src`, ['x']), folder(`${tag}-d1`, []), folder(`${tag}-d2`, [])]);
      const blocker = path.join(dir, `${tag}-blocker`);
      fs.writeFileSync(blocker, 'a file, not a folder');
      const good = path.join(dir, `${tag}-m`, 'd1.gz');
      const inputs: Record<string, string> = several ? { destinations: `${d1}\n${d2}`, manifest: `${good}\n${blocker}/d2.gz` } : { destination: d1, manifest: `${blocker}/d1.gz` };
      const err = await run({ source: src, ...inputs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as Error).message).toContain('input "manifest"');
      expect((err as Error).message).toContain(blocker);
      // Nothing copied, and no temporary manifest left behind by the destination that could open its file.
      expect(fs.readdirSync(path.join(dir, `${tag}-d1`)).filter((n) => !n.startsWith('.'))).toEqual([]);
      if (several) expect(fs.readdirSync(path.dirname(good))).toEqual([]);
    });
  }
});

describe('manifest-entries counts only the manifests kept', () => {
  /**
   * Makes `name`'s listing fail after its second page: 1,001 keys after the source's, so that the
   * source's keys are copied there (and given manifest entries) before the failure, then a symbolic
   * link, which cannot be an object.
   */
  function failingAfterCopies(name: string): void {
    const root = path.join(dir, name);
    for (let i = 0; i <= 1000; i++) fs.writeFileSync(path.join(root, `zz${String(i).padStart(4, '0')}`), 'filler');
    fs.symlinkSync('/nonexistent', path.join(root, 'zz-link'));
  }

  test('two destinations, the listing of one failing after some of the keys were copied there: 0 entries for it', async () => {
    const [src, d1, d2] = await Promise.all([folder('e-src', ['x', 'y']), folder('e-d1', []), folder('e-d2', [])]);
    failingAfterCopies('e-d2');
    const m = path.join(dir, 'e-m');
    // The run fails (a listing failed), its outputs set all the same.
    await expect(run({ source: src, destinations: `${d1}\n${d2}`, manifest: `${m}/d1.gz\n${m}/d2.gz` })).rejects.toThrow(/listing/);
    const rows = JSON.parse(outputs.destinations!) as { manifestEntries: number }[];
    expect(rows.map((row) => row.manifestEntries)).toEqual([2, 0]);
    expect(outputs['manifest-entries']).toBe('2');
    expect(fs.readdirSync(m)).toEqual(['d1.gz']);
  });

  test('one destination whose listing fails after some of the keys were copied there: 0 entries', async () => {
    const [src, d1] = await Promise.all([folder('f-src', ['x', 'y']), folder('f-d1', [])]);
    failingAfterCopies('f-d1');
    const m = path.join(dir, 'f-m');
    await expect(run({ source: src, destination: d1, manifest: `${m}/d1.gz` })).rejects.toThrow(/listing/);
    const rows = JSON.parse(outputs.destinations!) as { manifestEntries: number }[];
    expect(outputs['manifest-entries']).toBe('0');
    expect(rows.map((row) => row.manifestEntries)).toEqual([0]);
  });
});

describe('a report file that cannot be written fails the run before it starts, leaving no temporary manifest', () => {
  for (const several of [true, false]) {
    test(several ? 'two destinations' : 'one destination', async () => {
      const tag = several ? 'g' : 'h';
      const [src, d1, d2] = await Promise.all([folder(`${tag}-src`, ['x']), folder(`${tag}-d1`, []), folder(`${tag}-d2`, [])]);
      const blocker = path.join(dir, `${tag}-report-blocker`);
      fs.writeFileSync(blocker, 'a file, not a folder');
      const m = path.join(dir, `${tag}-m`);
      const inputs: Record<string, string> = several ? { destinations: `${d1}\n${d2}`, manifest: `${m}/d1.gz\n${m}/d2.gz` } : { destination: d1, manifest: `${m}/d1.gz` };
      await expect(run({ source: src, ...inputs, 'report-path': path.join(blocker, 'out', 'report.txt') })).rejects.toThrow(/ENOTDIR|EEXIST/);
      expect(fs.readdirSync(m)).toEqual([]);
    });
  }
});
