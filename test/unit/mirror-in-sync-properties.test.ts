/**
 * mirror-bucket's `in-sync` output held to what the stores hold after the run. The glue runs in
 * process between folder stores over random contents, copy or sync, dry run or not, one destination
 * or several (some unavailable, some whose listing fails, max-delete withholding deletions), and its
 * `in-sync` is compared with an oracle that lists the folders after the run: copy mode, every
 * source key in the destination with the same bytes; sync mode, the same keys with the same bytes;
 * a destination that took no part or whose listing failed, false. The output may be stricter than
 * the oracle only when the run failed; it is never laxer.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { Summary } from '../../src/runtime/summary';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import { LocalStore } from '../../src/storage/local-store';
import { quietHost } from '../helpers/quiet-host';
import { storeContents } from '../helpers/store-contents';

const KEYS = ['a', 'b/c', 'b/d', 'e.txt'];
/** Contents of different sizes, and two of the same size: a pair of those differs by its ETag only. */
const BODIES = ['', 'x', 'y', 'hello'];
const CASES = 100;

type Contents = Record<string, string>;
interface Place {
  readonly contents: Contents;
  /** A symbolic link in the folder: its listing fails. */
  readonly broken: boolean;
  /** Never created: its preflight fails and it takes no part. */
  readonly missing: boolean;
}
interface Scenario {
  readonly source: Place;
  readonly destinations: readonly Place[];
  readonly mode: 'copy' | 'sync';
  readonly dryRun: boolean;
  readonly maxDelete: string;
  readonly require: string;
}

const contentsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...BODIES), { maxKeys: KEYS.length });
const flag = (weight: number) => fc.oneof({ arbitrary: fc.constant(false), weight }, { arbitrary: fc.constant(true), weight: 1 });
const placeArb: fc.Arbitrary<Place> = fc.record({ contents: contentsArb, broken: flag(8), missing: flag(8) });
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  source: fc.record({ contents: contentsArb, broken: flag(12), missing: fc.constant(false) }),
  destinations: fc.array(placeArb, { minLength: 1, maxLength: 3 }),
  mode: fc.constantFrom('copy' as const, 'sync' as const),
  dryRun: fc.boolean(),
  maxDelete: fc.constantFrom('none', '0', '1', '1000'),
  require: fc.constantFrom('all', 'any'),
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'in-sync-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function makePlace(root: string, place: Place): Promise<void> {
  if (place.missing) return;
  fs.mkdirSync(root, { recursive: true });
  const store = new LocalStore(root);
  for (const [key, text] of Object.entries(place.contents)) await store.put(key, Buffer.from(text), sha(Buffer.from(text)), { visibility: 'public' });
  if (place.broken) fs.symlinkSync(path.join(root, 'a'), path.join(root, 'z-link'));
}

/** Every key of a folder with its bytes, read back through the folder store; undefined when it cannot be listed whole. */
async function contentsOf(root: string): Promise<Map<string, string> | undefined> {
  const store = new LocalStore(root);
  try {
    await store.preflight();
    return new Map(Object.entries(await storeContents(store)));
  } catch {
    return undefined;
  }
}

/** The oracle: whether every destination holds what the source holds, read from the folders after the run. */
async function oracle(s: Scenario, src: string, dsts: readonly string[]): Promise<boolean> {
  const source = await contentsOf(src);
  if (source === undefined) return false;
  for (const [i, d] of dsts.entries()) {
    if (s.destinations[i]!.missing) return false;
    const held = await contentsOf(d);
    if (held === undefined) return false;
    if ([...source].some(([key, text]) => held.get(key) !== text)) return false;
    if (s.mode === 'sync' && held.size !== source.size) return false;
  }
  return true;
}

let cases = 0;
/** Runs the glue on a fresh copy of the scenario's folders: what it said, whether it failed, and what the oracle says of the folders after it. */
async function runCase(s: Scenario): Promise<{ said: string | undefined; failed: boolean; holds: boolean }> {
  const root = path.join(dir, `case-${++cases}`);
  const src = path.join(root, 'src');
  const dsts = s.destinations.map((_, i) => path.join(root, `d${i}`));
  await makePlace(src, s.source);
  for (const [i, d] of dsts.entries()) await makePlace(d, s.destinations[i]!);
  const spec = (p: string) => `file://${p}`;
  const where: Record<string, string> = dsts.length === 1 ? { destination: spec(dsts[0]!) } : { destinations: dsts.map(spec).join('\n'), require: s.require };
  const outputs: Record<string, string> = {};
  const inputs = { source: spec(src), ...where, mode: s.mode, 'dry-run': String(s.dryRun), 'max-delete': s.maxDelete, 'report-path': path.join(root, 'report.txt') };
  const host = { ...quietHost(inputs, { cwd: root, env: { RUNNER_TEMP: root } }), setOutput: (n: string, v: string) => void (outputs[n] = v) };
  let failed = false;
  try {
    await mirrorBucket({ host, summary: new Summary('mirror-bucket'), onInterrupt: () => () => undefined });
  } catch {
    failed = true;
  }
  const holds = await oracle(s, src, dsts);
  fs.rmSync(root, { recursive: true, force: true });
  return { said: outputs['in-sync'], failed, holds };
}

test(`in-sync after a run agrees with the stores' contents after it (${CASES} random runs, one destination or several)`, async () => {
  const tally = { several: 0, dryRun: 0, failed: 0, inSync: 0, dryRunPending: 0 };
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (s) => {
      const { said, failed, holds } = await runCase(s);
      tally.several += s.destinations.length > 1 ? 1 : 0;
      tally.dryRun += s.dryRun ? 1 : 0;
      tally.failed += failed ? 1 : 0;
      tally.inSync += said === 'true' ? 1 : 0;
      tally.dryRunPending += s.dryRun && !failed && !holds ? 1 : 0;
      // Never laxer than the stores; stricter only where the run failed.
      if (said === 'true' && !holds) throw new Error(`in-sync is true, but the stores differ after the run`);
      if (holds && said !== 'true' && !failed) throw new Error(`in-sync is ${said} after a run that passed, but the stores agree`);
    }),
    { numRuns: CASES, seed: 2312 },
  );
  console.log(`[property] in-sync: ${tally.several} run(s) to several destinations, ${tally.dryRun} dry run(s) (${tally.dryRunPending} passed with something due), ${tally.failed} failed, ${tally.inSync} said in sync`);
}, 120_000);

test('a dry run with a copy, an update or a deletion pending is not in sync; one with nothing to do is (one destination and two)', async () => {
  const place = (contents: Contents): Place => ({ contents, broken: false, missing: false });
  const table: [Scenario['mode'], Contents, boolean][] = [
    ['copy', { a: 'x' }, true],
    ['copy', { a: 'x', e: 'y' }, true],
    ['copy', {}, false],
    ['copy', { a: 'y' }, false],
    ['sync', { a: 'x' }, true],
    ['sync', { a: 'x', e: 'y' }, false],
  ];
  for (const [mode, held, inSync] of table) {
    for (const destinations of [[place(held)], [place(held), place({ a: 'x' })]]) {
      const result = await runCase({ source: place({ a: 'x' }), destinations, mode, dryRun: true, maxDelete: '1000', require: 'all' });
      expect([mode, held, destinations.length, result]).toEqual([mode, held, destinations.length, { said: String(inSync), failed: false, holds: inSync }]);
    }
  }
});
