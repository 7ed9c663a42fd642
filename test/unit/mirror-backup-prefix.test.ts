/**
 * mirror-bucket's `backup-prefix` leaves alone everything under the prefix's top folder, as prune
 * does: with the documented `deleted/RUN_ID/`, a sync never backs up again, deletes or counts
 * against max-delete the backups earlier runs left under other run ids.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { Summary } from '../../src/runtime/summary';
import { filterOf, readMirrorBucketInputs } from '../../src/steps/mirror-bucket/inputs';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import { LocalStore } from '../../src/storage/local-store';
import { quietHost } from '../helpers/quiet-host';
import { storeContents } from '../helpers/store-contents';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-backup-prefix-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function put(root: string, keys: readonly string[]): Promise<void> {
  fs.mkdirSync(root, { recursive: true });
  const store = new LocalStore(root);
  for (const key of keys) await store.put(key, Buffer.from(`${key}-content`), sha(Buffer.from(`${key}-content`)), { visibility: 'public' });
}

/** Every key of a folder store with its content. */
const held = (root: string) => storeContents(new LocalStore(root));

let runs = 0;
async function sync(source: string, destination: string, inputs: Record<string, string>): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  const all = { source: `file://${source}`, destination: `file://${destination}`, mode: 'sync', 'report-path': path.join(dir, `report-${++runs}.txt`), ...inputs };
  const host = { ...quietHost(all, { cwd: dir, env: { RUNNER_TEMP: dir } }), setOutput: (n: string, v: string) => void (outputs[n] = v) };
  await mirrorBucket({ host, summary: new Summary('mirror-bucket'), onInterrupt: () => () => undefined });
  return outputs;
}

test('a sync with backup-prefix deleted/run2/ neither deletes, backs up again nor counts the backups under deleted/run1/', async () => {
  const src = path.join(dir, 'src');
  const dst = path.join(dir, 'dst');
  await put(src, ['a', 'b/c']);
  await put(dst, ['a', 'b/c', 'old1', 'old2']);
  const first = await sync(src, dst, { 'backup-prefix': 'deleted/run1/', 'max-delete': '2' });
  expect([first.deleted, first['in-sync']]).toEqual(['2', 'true']);
  const run1 = { 'deleted/run1/old1': 'old1-content', 'deleted/run1/old2': 'old2-content' };
  expect(await held(dst)).toEqual({ a: 'a-content', 'b/c': 'b/c-content', ...run1 });

  // One deletion due: old3. The two backups of run 1 would make three, over max-delete.
  await put(dst, ['old3']);
  const second = await sync(src, dst, { 'backup-prefix': 'deleted/run2/', 'max-delete': '1' });
  expect([second.deleted, second.skipped, second['in-sync']]).toEqual(['1', '0', 'true']);
  expect(await held(dst)).toEqual({ a: 'a-content', 'b/c': 'b/c-content', ...run1, 'deleted/run2/old3': 'old3-content' });

  // No limit: still nothing under deleted/ is touched, and no backup of a backup is made.
  await put(dst, ['old4']);
  const third = await sync(src, dst, { 'backup-prefix': 'deleted/run3/', 'max-delete': 'none' });
  expect([third.deleted, third['in-sync']]).toEqual(['1', 'true']);
  expect(await held(dst)).toEqual({ a: 'a-content', 'b/c': 'b/c-content', ...run1, 'deleted/run2/old3': 'old3-content', 'deleted/run3/old4': 'old4-content' });
});

test.each([
  ['one destination', (d: string[]) => ({ destination: `file://${d[0]}` })],
  ['several', (d: string[]) => ({ destination: '', destinations: d.map((x) => `file://${x}`).join('\n') })],
])('a source holding keys under the backup prefix top folder is refused before anything is written (%s): they would never be mirrored', async (_, where) => {
  const src = path.join(dir, `src-holds-${runs}`);
  const dsts = [path.join(dir, `dst-holds-${runs}-1`), path.join(dir, `dst-holds-${runs}-2`)];
  await put(src, ['a', 'releases/.trash/keep', 'releases/v1.iso']);
  for (const d of dsts) await put(d, ['stray']);
  await expect(sync(src, dsts[0]!, { 'backup-prefix': 'releases/.trash/run1/', ...where(dsts) })).rejects.toThrow(
    /^input "backup-prefix": "releases\/.trash\/run1\/" keeps backups under "releases\/", which a mirror leaves alone in every store, but the source holds keys there \("releases\/.trash\/keep"\), which would never be mirrored; give a backup-prefix whose first folder holds backups only/,
  );
  for (const d of dsts) expect(await held(d)).toEqual({ stray: 'stray-content' });
  // A backup folder the source does not use: the same run goes through.
  const ok = await sync(src, dsts[0]!, { 'backup-prefix': 'deleted/run1/', ...where(dsts) });
  expect(ok['in-sync']).toBe('true');
});

test('filterOf takes a key exactly when include takes it, exclude does not, and it is not under the backup prefix top folder (300 random cases)', () => {
  const segment = fc.constantFrom('deleted', 'del', 'run1', 'run2', 'a', 'x.iso');
  const keyArb = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
  const prefixArb = fc.option(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')), { nil: undefined });
  fc.assert(
    fc.property(fc.array(keyArb, { maxLength: 12 }), prefixArb, fc.constantFrom('', '*.iso'), (keys, prefix, exclude) => {
      const inputs = readMirrorBucketInputs(quietHost({ source: 'file:///srv/a', destination: 'file:///srv/b', mode: 'sync', exclude, ...(prefix === undefined ? {} : { 'backup-prefix': prefix }) }));
      const take = filterOf(inputs);
      // The prefix is taken as a folder (a '/' added); its top folder is its first segment.
      const top = prefix === undefined ? undefined : `${prefix.split('/')[0]}/`;
      for (const key of keys) {
        const excluded = exclude !== '' && key.endsWith('.iso') && !key.includes('/');
        expect([key, take(key)]).toEqual([key, !excluded && (top === undefined || !key.startsWith(top))]);
      }
    }),
    { numRuns: 300, seed: 2313 },
  );
});
