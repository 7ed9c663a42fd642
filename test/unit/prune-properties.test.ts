/**
 * Properties of the prune, over generated stores:
 * - the decision equals a reference written here that shares no code with it: the keep set is the
 *   newest N of each group over the union of the stores (newest by the earliest LastModified among
 *   a key's copies, equal times by the greater key in UTF-8 bytes), each store deletes its matching
 *   keys outside it and lacks (drift) the kept keys it does not hold;
 * - safety, whatever the scenario (listings failing at any page, deletions and backup copies
 *   failing, max-delete, dry runs, keep-newest or a keep list): no key of the keep set (computed by
 *   the reference over what the stores really hold) is ever deleted from any store, no key the match
 *   does not take is touched, and nothing at all is deleted when a listing failed, more were due
 *   than max-delete, or it was a dry run; every deletion with a backup prefix left its backup.
 *   Backups of an earlier run (under pruned/111/ while this run's prefix is pruned/222/) are in the
 *   generated stores and the match takes keys in folders: they are never candidates, never deleted,
 *   and never outrank a live image; a keep list that keeps no candidate deletes nothing;
 * - a list of stores is refused exactly when two of them are one bucket (whatever the URL form; an
 *   AWS bucket in any region) with one prefix inside the other.
 */
import fc from 'fast-check';
import { compileMatch, parseKeepList } from '../../src/prune/keep-rule';
import { planPrune, type StoreListing } from '../../src/prune/plan';
import { prune } from '../../src/prune/prune';
import { readPruneInputs } from '../../src/actions/prune/inputs';
import { quietHost } from '../helpers/quiet-host';
import { checkProperty } from '../helpers/property';
import { MemoryStore, type MemoryObject } from '../helpers/prune-stores';

const MATCH = '(?:.*/)?(?<group>[a-c])-\\d+\\.img';
/** This run's backup prefix; its top folder, `pruned/`, holds the backups of earlier runs too. */
const BACKUP = 'pruned/222/';

/** The reference's own reading of a key: in any folder, group `a`, `b` or `c`, a dash, digits, `.img`; else undefined. */
function groupOf(path: string): string | undefined {
  const key = path.slice(path.lastIndexOf('/') + 1);
  if (!key.endsWith('.img') || key[1] !== '-' || !['a', 'b', 'c'].includes(key[0]!)) return undefined;
  const digits = key.slice(2, -4);
  return digits.length > 0 && [...digits].every((c) => c >= '0' && c <= '9') ? key[0] : undefined;
}

type Contents = ReadonlyMap<string, number>;

/** A key the prune may consider: the match takes it, and with backups it is not under `pruned/`. */
const candidate = (k: string, backup: boolean) => groupOf(k) !== undefined && !(backup && k.split('/')[0] === 'pruned');

/** The newest `n` of each group over the union, by earliest time, ties by the greater key's bytes. */
function referenceNewest(stores: readonly Contents[], n: number, backup = false): Set<string> {
  const earliest = new Map<string, number>();
  for (const s of stores) for (const [k, t] of s) if (candidate(k, backup)) earliest.set(k, Math.min(t, earliest.get(k) ?? Infinity));
  const keep = new Set<string>();
  for (const g of ['a', 'b', 'c']) {
    const members = [...earliest.entries()].filter(([k]) => groupOf(k) === g);
    members.sort(([ka, ta], [kb, tb]) => (tb !== ta ? tb - ta : Buffer.compare(Buffer.from(kb), Buffer.from(ka))));
    for (const [k] of members.slice(0, n)) keep.add(k);
  }
  return keep;
}

const KEYS = ['a-1.img', 'a-2.img', 'a-3.img', 'a-10.img', 'b-1.img', 'b-2.img', 'b-3.img', 'c-7.img', 'other.txt', 'x-1.img', 'a-.img', 'old/a-4.img', 'pruned/111/a-1.img', 'pruned/111/a-9.img', 'pruned/111/b-5.img', 'pruned/a-5.img'];

/** A store's contents: some of the keys, each with its own time (0 to 5: ties are common). */
const contentsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.integer({ min: 0, max: 5 }), { maxKeys: KEYS.length }).map((d) => new Map(Object.entries(d)) as Contents);

const toListing = (store: string, c: Contents): StoreListing => ({ store, objects: [...c].map(([key, t]) => ({ key, size: 1, lastModified: new Date(t * 86_400_000) })) });

test('the decision equals the reference: newest N per group over the union', async () => {
  await checkProperty(
    'prune decision = newest N per group over the union',
    fc.property(fc.array(contentsArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 4 }), (stores, n) => {
      const plan = planPrune(stores.map((c, i) => toListing(`s${i}`, c)), { match: compileMatch(MATCH), rule: { kind: 'newest', count: n } });
      const keep = referenceNewest(stores, n);
      expect([...plan.keep].sort()).toEqual([...keep].sort());
      stores.forEach((c, i) => {
        const s = plan.stores[i]!;
        expect(s.deletions.map((d) => d.key).sort()).toEqual([...c.keys()].filter((k) => groupOf(k) !== undefined && !keep.has(k)).sort());
        expect([...s.drift].sort()).toEqual([...keep].filter((k) => !c.has(k)).sort());
        expect(s.unmatched).toBe([...c.keys()].filter((k) => groupOf(k) === undefined).length);
      });
    }),
    500,
  );
});

interface Scenario {
  readonly stores: readonly { contents: Contents; failListingAt?: number; failDelete: string[]; failPut: string[] }[];
  readonly rule: { kind: 'newest'; n: number } | { kind: 'list'; names: string[] };
  readonly maxDelete?: number;
  readonly backup: boolean;
  readonly dryRun: boolean;
}

const storeArb = fc.record({
  contents: contentsArb,
  failListingAt: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 1 }),
  failDelete: fc.subarray(KEYS),
  failPut: fc.subarray(KEYS.map((k) => `${BACKUP}${k}`)),
});
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  stores: fc.array(storeArb, { minLength: 1, maxLength: 3 }),
  rule: fc.oneof(
    fc.record({ kind: fc.constant('newest' as const), n: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('list' as const), names: fc.subarray([...KEYS, 'a-*.img', 'b-?.img'], { minLength: 1 }) }),
  ),
  maxDelete: fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: 12 }), weight: 1 }),
  backup: fc.boolean(),
  dryRun: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 }),
});

/** The keep set the reference decides over what the stores really hold. */
function referenceKeep(s: Scenario): Set<string> {
  const all = s.stores.map((x) => x.contents);
  if (s.rule.kind === 'newest') return referenceNewest(all, s.rule.n, s.backup);
  const names = s.rule.names;
  const keep = new Set<string>();
  for (const c of all) {
    for (const k of c.keys()) {
      if (!candidate(k, s.backup)) continue;
      const byGlob = names.some((g) => (g === 'a-*.img' ? k.startsWith('a-') && k.endsWith('.img') && !k.includes('/') : g === 'b-?.img' ? k.length === 7 && k.startsWith('b-') && k.endsWith('.img') : false));
      if (names.includes(k) || byGlob) keep.add(k);
    }
  }
  return keep;
}

test('safety: no key of the keep set is ever deleted from any store, whatever fails', async () => {
  // How many cases deleted something, and how many failed closed: neither may be rare, or the property proves little.
  const tally = { deleted: 0, failedListing: 0, earlierBackups: 0, keepsNothing: 0 };
  await checkProperty(
    'prune never deletes a kept key; fails closed',
    fc.asyncProperty(scenarioArb, async (s) => {
      const stores = s.stores.map(
        (x, i) => new MemoryStore(`s${i}`, [...x.contents].map(([k, t]): [string, MemoryObject] => [k, { size: 3, lastModified: new Date(t * 86_400_000) }]), { pageSize: 2, failListingAt: x.failListingAt, failDelete: new Set(x.failDelete), failPut: new Set(x.failPut) }),
      );
      const before = stores.map((m) => new Set(m.objects.keys()));
      const report = await prune({
        targets: stores.map((m) => ({ name: m.name, store: m.store })),
        match: compileMatch(MATCH),
        rule: s.rule.kind === 'newest' ? { kind: 'newest', count: s.rule.n } : { kind: 'list', list: parseKeepList(s.rule.names.join('\n')) },
        dryRun: s.dryRun,
        maxDelete: s.maxDelete,
        backupPrefix: s.backup ? BACKUP : undefined,
        concurrency: 2,
        partSize: 5 * 1024 * 1024,
        events: { info: () => undefined, debug: () => undefined, warning: () => undefined, line: () => undefined, progress: () => undefined },
      });
      const keep = referenceKeep(s);
      const deleted = stores.flatMap((m) => m.deleted);
      for (const m of stores) for (const k of m.deleted) expect([m.name, k, keep.has(k), candidate(k, s.backup)]).toEqual([m.name, k, false, true]);
      for (const [i, m] of stores.entries()) for (const k of keep) if (before[i]!.has(k)) expect([m.name, k, m.objects.has(k)]).toEqual([m.name, k, true]);
      const pages = (c: Contents) => Math.ceil(c.size / 2);
      const listingFailed = s.stores.some((x) => x.failListingAt !== undefined && x.failListingAt <= pages(x.contents));
      const due = report.stores.reduce((n, r) => n + r.due, 0);
      if (listingFailed || s.dryRun || (s.maxDelete !== undefined && due > s.maxDelete)) expect(deleted).toEqual([]);
      if (listingFailed) expect(report.withheld).toMatch(/no object deleted in any store/);
      if (deleted.length > 0) tally.deleted++;
      if (listingFailed) tally.failedListing++;
      if (s.backup) for (const m of stores) for (const k of m.deleted) expect([m.name, k, m.objects.has(`${BACKUP}${k}`)]).toEqual([m.name, k, true]);
      const anyCandidate = s.stores.some((x) => [...x.contents.keys()].some((k) => candidate(k, s.backup)));
      if (s.rule.kind === 'list' && keep.size === 0 && anyCandidate) {
        expect(deleted).toEqual([]);
        if (!listingFailed) tally.keepsNothing++;
      }
      if (s.backup && s.stores.some((x) => [...x.contents.keys()].some((k) => k.startsWith('pruned/111/'))) && deleted.length > 0) tally.earlierBackups++;
    }),
    400,
  );
  console.log(`[property] prune safety: ${tally.deleted} case(s) deleted something, ${tally.failedListing} had a failed listing, ${tally.earlierBackups} deleted beside earlier runs' backups, ${tally.keepsNothing} had a keep list keeping no candidate`);
  expect(tally.deleted).toBeGreaterThan(60);
  expect(tally.failedListing).toBeGreaterThan(60);
  expect(tally.earlierBackups).toBeGreaterThan(20);
  expect(tally.keepsNothing).toBeGreaterThan(10);
});

/** A store as the reference sees it: who serves it, the bucket, the prefix; and one URL form of it. */
interface Place {
  readonly service: 'aws' | 'linode';
  readonly bucket: string;
  readonly prefix: string;
  readonly form: number;
}

function urlOf(p: Place, i: number): string {
  const forms = p.service === 'aws' ? [`s3://${p.bucket}/${p.prefix}`, `https://${p.bucket}.s3.us-east-1.amazonaws.com/${p.prefix}`, `s3://${p.bucket}/${p.prefix} region=eu-west-1`] : [`https://${p.bucket}.us-east-1.linodeobjects.com/${p.prefix}`, `https://us-east-1.linodeobjects.com/${p.bucket}/${p.prefix}`];
  return `${forms[p.form % forms.length]} name=s${i}`;
}

const placeArb = fc.record({ service: fc.constantFrom('aws' as const, 'linode' as const), bucket: fc.constantFrom('imgs', 'other'), prefix: fc.constantFrom('', 'f/', 'f/g/', 'fo/'), form: fc.nat(5) });

test('two stores in one bucket with one prefix inside the other are refused, and only those', async () => {
  const tally = { refused: 0, accepted: 0 };
  await checkProperty(
    'prune stores overlap = same service, bucket and nested prefixes',
    fc.property(fc.array(placeArb, { minLength: 2, maxLength: 3 }), (places) => {
      const overlap = places.some((a, i) => places.some((b, j) => j > i && a.service === b.service && a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix))));
      const read = () => readPruneInputs(quietHost({ stores: places.map(urlOf).join('\n'), match: MATCH, 'keep-newest': '2' }));
      if (overlap) {
        expect(read).toThrow(/^input "stores": .* are the same bucket with one prefix inside the other/);
        tally.refused++;
      } else {
        expect(read().stores).toHaveLength(places.length);
        tally.accepted++;
      }
    }),
    300,
  );
  console.log(`[property] prune stores overlap: ${tally.refused} refused, ${tally.accepted} accepted`);
  expect(tally.refused).toBeGreaterThan(50);
  expect(tally.accepted).toBeGreaterThan(50);
});
