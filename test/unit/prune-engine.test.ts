/**
 * The prune engine on examples: the match and keep list, the decision over the union of stores, and
 * the run against in-memory stores (dry run, deletions, drift, backups, max-delete, failed listings,
 * failed deletions). The inputs are in prune-inputs.test.ts, the properties in prune-properties.test.ts.
 */
import { ConfigurationError } from '../../src/config/configuration-error';
import { compileMatch, parseKeepList, named } from '../../src/prune/keep-rule';
import { planPrune } from '../../src/prune/plan';
import { prune, type PruneOptions } from '../../src/prune/prune';
import { MemoryStore, type MemoryObject } from '../helpers/prune-stores';

const day = (n: number) => new Date(Date.UTC(2026, 10, n));
const obj = (n: number, size = 10): MemoryObject => ({ size, lastModified: day(n) });
const IMAGE = '(?<group>fedora-\\d+)-[0-9a-f]+\\.qcow2';

function run(stores: MemoryStore[], o: Partial<PruneOptions> = {}) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const options: PruneOptions = {
    targets: stores.map((s) => ({ name: s.name, store: s.store })),
    match: compileMatch(IMAGE),
    rule: { kind: 'newest', count: 2 },
    dryRun: false,
    concurrency: 3,
    partSize: 8 * 1024 * 1024,
    events: { info: () => undefined, debug: () => undefined, warning: (m) => void warnings.push(m), line: (s, m, k) => void lines.push(`${m} ${s} ${k}`), progress: () => undefined },
    ...o,
  };
  return prune(options).then((report) => ({ report, lines, warnings }));
}

describe('match', () => {
  test('the named group, else the first capture group, else one group; the whole key must match', () => {
    expect(compileMatch(IMAGE).groupOf('fedora-42-ab12.qcow2')).toBe('fedora-42');
    expect(compileMatch(IMAGE).groupOf('old/fedora-42-ab12.qcow2')).toBeUndefined();
    expect(compileMatch(IMAGE).groupOf('fedora-42-ab12.qcow2.sig')).toBeUndefined();
    expect(compileMatch('(x)-(\\w+)').groupOf('x-y')).toBe('x');
    expect(compileMatch('(?:a|b)\\.img').groupOf('a.img')).toBe('');
    expect(compileMatch('').groupOf('anything/at all')).toBe('');
  });

  test('a bad expression is a ConfigurationError naming the value and what is allowed', () => {
    expect(() => compileMatch('fedora-(\\d+')).toThrow(ConfigurationError);
    expect(() => compileMatch('fedora-(\\d+')).toThrow(/"fedora-\(\\\\d\+" is not a regular expression .*allowed: a JavaScript regular expression/);
  });
});

test('unbalanced parentheses cannot escape the whole-key anchoring: refused', () => {
  for (const source of ['.*\\.qcow2)|(.*', 'a)|(?:b']) {
    expect(() => compileMatch(source)).toThrow(ConfigurationError);
    expect(() => compileMatch(source)).toThrow(`${JSON.stringify(source)} is not a regular expression`);
  }
});

describe('keep list', () => {
  test('exact keys and globs; comments and blank lines skipped', () => {
    const list = parseKeepList('# kept by branch main\nfedora-42-aa.qcow2\n\n  rhel-*.qcow2  \nnested/**/x?.img\n');
    expect(list.entries).toBe(3);
    expect(named(list, 'fedora-42-aa.qcow2')).toBe(true);
    expect(named(list, 'fedora-42-ab.qcow2')).toBe(false);
    expect(named(list, 'rhel-9.qcow2')).toBe(true);
    expect(named(list, 'sub/rhel-9.qcow2')).toBe(false);
    expect(named(list, 'nested/a/b/x1.img')).toBe(true);
  });

  test('a glob line is also the exact key it spells: a key with brackets is kept as written', () => {
    const list = parseKeepList('img[1].qcow2\nrhel-?.qcow2\n');
    expect(named(list, 'img[1].qcow2')).toBe(true);
    expect(named(list, 'img1.qcow2')).toBe(true);
    expect(named(list, 'rhel-?.qcow2')).toBe(true);
    expect(named(list, 'img2.qcow2')).toBe(false);
  });

  test('an empty list is refused: it would delete everything', () => {
    expect(() => parseKeepList('# nothing\n\n')).toThrow(/names nothing/);
  });
});

describe('the decision over the union', () => {
  test('newest by the earliest LastModified among copies, so a mirror copy does not make an image newer', () => {
    const plan = planPrune(
      [
        // The old store holds what was uploaded first; the new one got copies later, all on day 20.
        { store: 'old', objects: [{ key: 'fedora-42-01.qcow2', size: 1, lastModified: day(1) }, { key: 'fedora-42-02.qcow2', size: 1, lastModified: day(2) }, { key: 'fedora-42-03.qcow2', size: 1, lastModified: day(3) }] },
        { store: 'new', objects: [{ key: 'fedora-42-01.qcow2', size: 1, lastModified: day(20) }, { key: 'fedora-42-03.qcow2', size: 1, lastModified: day(20) }, { key: 'fedora-42-04.qcow2', size: 1, lastModified: day(4) }] },
      ],
      { match: compileMatch(IMAGE), rule: { kind: 'newest', count: 2 } },
    );
    expect([...plan.keep].sort()).toEqual(['fedora-42-03.qcow2', 'fedora-42-04.qcow2']);
    expect(plan.stores.map((s) => [s.store, s.deletions.map((d) => d.key), s.drift])).toEqual([
      ['old', ['fedora-42-01.qcow2', 'fedora-42-02.qcow2'], ['fedora-42-04.qcow2']],
      ['new', ['fedora-42-01.qcow2'], []],
    ]);
  });

  test('equal times: the greater key counts as newer', () => {
    const objects = ['a-1.qcow2', 'a-3.qcow2', 'a-2.qcow2'].map((key) => ({ key, size: 1, lastModified: day(1) }));
    const plan = planPrune([{ store: 's', objects }], { match: compileMatch('(a)-\\d\\.qcow2'), rule: { kind: 'newest', count: 1 } });
    expect([...plan.keep]).toEqual(['a-3.qcow2']);
  });

  test('keys the match does not take are counted and never deleted', () => {
    const objects = [{ key: 'fedora-42-01.qcow2', size: 1, lastModified: day(1) }, { key: 'README', size: 1, lastModified: day(1) }, { key: 'fedora-42-02.qcow2', size: 1, lastModified: day(2) }];
    const plan = planPrune([{ store: 's', objects }], { match: compileMatch(IMAGE), rule: { kind: 'newest', count: 1 } });
    expect(plan.stores[0]).toMatchObject({ listed: 3, unmatched: 1, kept: 1, deletions: [objects[0]] });
  });

  test('a keep list keeps what it names in every store; names no store holds are reported', () => {
    const list = parseKeepList('fedora-42-01.qcow2\nfedora-43-*.qcow2\nfedora-44-ff.qcow2\n');
    const plan = planPrune(
      [
        { store: 'old', objects: [{ key: 'fedora-42-01.qcow2', size: 1 }, { key: 'fedora-42-02.qcow2', size: 1 }, { key: 'fedora-43-0a.qcow2', size: 1 }] },
        { store: 'new', objects: [{ key: 'fedora-42-02.qcow2', size: 1 }, { key: 'notes.txt', size: 1 }] },
      ],
      { match: compileMatch(IMAGE), rule: { kind: 'list', list } },
    );
    expect(plan.stores.map((s) => [s.store, s.deletions.map((d) => d.key), s.drift, s.unmatched])).toEqual([
      ['old', ['fedora-42-02.qcow2'], [], 0],
      ['new', ['fedora-42-02.qcow2'], ['fedora-42-01.qcow2', 'fedora-43-0a.qcow2'], 1],
    ]);
    expect(plan.namedMissing).toEqual(['fedora-44-ff.qcow2']);
  });
});

describe('the run', () => {
  const stores = (o: { failListingAt?: number; failDelete?: Set<string>; failPut?: Set<string> } = {}) => [
    new MemoryStore('old', { 'fedora-42-01.qcow2': obj(1), 'fedora-42-02.qcow2': obj(2), 'fedora-42-03.qcow2': obj(3), 'fedora-41-01.qcow2': obj(1), keep: obj(1) }, { failDelete: o.failDelete, failPut: o.failPut }),
    new MemoryStore('new', { 'fedora-42-02.qcow2': obj(9), 'fedora-42-03.qcow2': obj(9), 'fedora-42-04.qcow2': obj(4) }, { failListingAt: o.failListingAt }),
  ];

  test('deletes outside the keep set in every store and reports drift', async () => {
    const s = stores();
    const { report, lines } = await run(s);
    expect(s[0]!.deleted.sort()).toEqual(['fedora-42-01.qcow2', 'fedora-42-02.qcow2']);
    expect(s[1]!.deleted).toEqual(['fedora-42-02.qcow2']);
    expect(report.stores.map((r) => [r.store, r.due, r.deleted, r.kept, r.drift, r.unmatched])).toEqual([
      ['old', 2, 2, 2, 1, 1],
      ['new', 1, 1, 2, 1, 0],
    ]);
    expect(lines).toContain('? old fedora-42-04.qcow2');
    expect(lines).toContain('? new fedora-41-01.qcow2');
  });

  test('a dry run deletes nothing and lists what it would', async () => {
    const s = stores();
    const { report, lines } = await run(s, { dryRun: true });
    expect(s.flatMap((x) => x.deleted)).toEqual([]);
    expect(report.stores.map((r) => r.due)).toEqual([2, 1]);
    expect(lines.filter((l) => l.startsWith('-')).sort()).toEqual(['- new fedora-42-02.qcow2', '- old fedora-42-01.qcow2', '- old fedora-42-02.qcow2']);
  });

  test.each([0, 1, 2])('a listing that fails at page %i deletes nothing in any store', async (page) => {
    const s = stores({ failListingAt: page });
    const { report } = await run(s);
    expect(s.flatMap((x) => x.deleted)).toEqual([]);
    expect(report.withheld).toMatch(/no object deleted in any store: the listing of new failed/);
    expect(report.stores[1]!.listingError).toMatch(/listing page/);
  });

  test('a listing without LastModified for a candidate fails closed', async () => {
    const s = [new MemoryStore('a', { 'fedora-42-01.qcow2': obj(1), 'fedora-42-02.qcow2': { size: 1 } })];
    const { report } = await run(s, { rule: { kind: 'newest', count: 1 } });
    expect(s[0]!.deleted).toEqual([]);
    expect(report.stores[0]!.listingError).toMatch(/no LastModified for "fedora-42-02.qcow2"/);
  });

  test('more due than max-delete: nothing deleted; exactly max-delete: done', async () => {
    let s = stores();
    const over = await run(s, { maxDelete: 2 });
    expect(s.flatMap((x) => x.deleted)).toEqual([]);
    expect(over.report.withheld).toBe('no object deleted: 3 deletion(s) are due, more than max-delete (2)');
    s = stores();
    await run(s, { maxDelete: 3 });
    expect(s.flatMap((x) => x.deleted)).toHaveLength(3);
  });

  test('backups: copied privately to the prefix, checked, then deleted; backups are never pruned; a failed copy keeps the object', async () => {
    const s = stores({ failPut: new Set(['pruned/fedora-42-02.qcow2']) });
    s[0]!.objects.set('pruned/fedora-42-00.qcow2', obj(0));
    const { report } = await run(s, { backupPrefix: 'pruned/' });
    expect(s[0]!.deleted).toEqual(['fedora-42-01.qcow2']);
    expect([...s[0]!.objects.keys()].filter((k) => k.startsWith('pruned/')).sort()).toEqual(['pruned/fedora-42-00.qcow2', 'pruned/fedora-42-01.qcow2']);
    expect(s[0]!.objects.has('fedora-42-02.qcow2')).toBe(true);
    expect(report.failures).toEqual([{ store: 'old', key: 'fedora-42-02.qcow2', reason: 'pruned/fedora-42-02.qcow2: PUT failed' }]);
    expect(report.stores[0]!.unmatched).toBe(2);
  });

  test('a backup the bucket policy would let strangers read is refused: the object is kept and the run fails', async () => {
    // The exclusion the project recommends covers the images, not their backups under pruned/.
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::bkt/fedora*' }] });
    const s = [new MemoryStore('old', { 'fedora-42-01.qcow2': obj(1), 'fedora-42-02.qcow2': obj(2), 'fedora-42-03.qcow2': obj(3) }, { policy })];
    const { report } = await run(s, { backupPrefix: 'pruned/' });
    expect(s[0]!.deleted).toEqual([]);
    expect([...s[0]!.objects.keys()].filter((k) => k.startsWith('pruned/'))).toEqual([]);
    expect(report.failures.map((f) => f.key)).toEqual(['fedora-42-01.qcow2']);
    expect(report.failures[0]!.reason).toMatch(/^backup refused: the bucket policy .* lets anyone read pruned\/fedora-42-01\.qcow2; .*fedora-42-01\.qcow2 was kept/);
    // A backup prefix the exclusion covers is written as before.
    const covered = [new MemoryStore('old', { 'fedora-42-01.qcow2': obj(1), 'fedora-42-02.qcow2': obj(2), 'fedora-42-03.qcow2': obj(3) }, { policy })];
    await run(covered, { backupPrefix: 'fedora-pruned/' });
    expect(covered[0]!.deleted).toEqual(['fedora-42-01.qcow2']);
    expect(covered[0]!.objects.has('fedora-pruned/fedora-42-01.qcow2')).toBe(true);
  });

  test('a backup to a store whose bucket policy cannot be read is refused (nothing checks it anonymously): kept, the input named', async () => {
    const objects = () => ({ 'fedora-42-01.qcow2': obj(1), 'fedora-42-02.qcow2': obj(2), 'fedora-42-03.qcow2': obj(3) });
    const s = [new MemoryStore('old', objects(), { policyUnreadable: 'AccessDenied' })];
    const { report } = await run(s, { backupPrefix: 'pruned/' });
    expect(s[0]!.deleted).toEqual([]);
    expect([...s[0]!.objects.keys()].filter((k) => k.startsWith('pruned/'))).toEqual([]);
    expect(report.failures.map((f) => f.key)).toEqual(['fedora-42-01.qcow2']);
    expect(report.failures[0]!.reason).toMatch(/^backup refused: cannot read the bucket policy \(AccessDenied\), .*pruned\/fedora-42-01\.qcow2; let these credentials read the bucket policy \(s3:GetBucketPolicy\), or leave input "backup-prefix" empty .*; fedora-42-01\.qcow2 was kept$/);
    // Without a backup nothing private is written: the deletion goes ahead.
    const plain = [new MemoryStore('old', objects(), { policyUnreadable: 'AccessDenied' })];
    const { report: deleted } = await run(plain);
    expect(plain[0]!.deleted).toEqual(['fedora-42-01.qcow2']);
    expect(deleted.failures).toEqual([]);
  });

  test('an object written again or deleted after the listing is not deleted: kept and reported as changed during the run', async () => {
    const at = (n: number, etag: string) => ({ ...obj(n), lastModified: new Date(day(n).getTime() + 123), etag });
    const images = () => ({ 'fedora-42-01.qcow2': at(1, 'e1'), 'fedora-42-02.qcow2': at(2, 'e2'), 'fedora-42-03.qcow2': at(3, 'e3'), 'fedora-42-04.qcow2': at(4, 'e4'), 'fedora-42-05.qcow2': at(5, 'e5') });
    const s = [
      new MemoryStore('old', images(), {
        afterListing: (objects) => {
          objects.set('fedora-42-01.qcow2', at(1, 'new-etag')); // a new image under the same key, same second
          objects.set('fedora-42-02.qcow2', { ...at(2, 'e2'), lastModified: new Date(day(2).getTime() + 1123) }); // same ETag, rewritten a second later
          objects.delete('fedora-42-03.qcow2');
        },
      }),
    ];
    const { report, lines } = await run(s, { backupPrefix: undefined });
    expect(s[0]!.deleted).toEqual([]);
    expect(report.stores[0]).toMatchObject({ due: 3, deleted: 0, changed: 3, failed: 0 });
    expect(lines.filter((l) => l.startsWith('='))).toEqual(['= old fedora-42-01.qcow2', '= old fedora-42-02.qcow2', '= old fedora-42-03.qcow2']);
    // Unchanged since the listing (a store giving LastModified to the millisecond, HEAD to the second): deleted.
    const same = [new MemoryStore('old', images())];
    const { report: r2 } = await run(same);
    expect(same[0]!.deleted.sort()).toEqual(['fedora-42-01.qcow2', 'fedora-42-02.qcow2', 'fedora-42-03.qcow2']);
    expect(r2.stores[0]).toMatchObject({ deleted: 3, changed: 0 });
  });

  test("earlier runs' backups (under the backup prefix's top folder) are never candidates: keep-newest keeps the live images", async () => {
    const s = [
      new MemoryStore('old', {
        'fedora-42-01.qcow2': obj(1),
        'fedora-42-02.qcow2': obj(2),
        'fedora-42-03.qcow2': obj(3),
        'fedora-42-04.qcow2': obj(4),
        // Backups an earlier run made: copied later, so newer than every live image.
        'pruned/111/fedora-42-01.qcow2': obj(10),
        'pruned/111/fedora-42-02.qcow2': obj(10),
      }),
    ];
    const { report } = await run(s, { match: compileMatch('(?:.*/)?(?<group>fedora-42)-[0-9a-f]+\\.qcow2'), backupPrefix: 'pruned/222/' });
    expect(s[0]!.deleted.sort()).toEqual(['fedora-42-01.qcow2', 'fedora-42-02.qcow2']);
    expect([...s[0]!.objects.keys()].sort()).toEqual(['fedora-42-03.qcow2', 'fedora-42-04.qcow2', 'pruned/111/fedora-42-01.qcow2', 'pruned/111/fedora-42-02.qcow2', 'pruned/222/fedora-42-01.qcow2', 'pruned/222/fedora-42-02.qcow2']);
    expect(report.stores[0]).toMatchObject({ kept: 2, unmatched: 2 });
    // A prefix without a folder of its own: the whole prefix is the root.
    const flat = [new MemoryStore('old', { 'fedora-42-01.qcow2': obj(1), 'fedora-42-02.qcow2': obj(2), 'fedora-42-03.qcow2': obj(3), 'old/fedora-42-09.qcow2': obj(9) })];
    await run(flat, { match: compileMatch('(?:.*/)?(?<group>fedora-42)-[0-9a-f]+\\.qcow2'), backupPrefix: 'old/' });
    expect(flat[0]!.deleted).toEqual(['fedora-42-01.qcow2']);
  });

  test('a keep list that keeps nothing while there are candidates refuses the run; its missing exact keys are reported whatever match says', async () => {
    // Keys written relative to the bucket while the store has the prefix fedora/: the list names nothing here.
    const list = parseKeepList('fedora/fedora-42-03.qcow2\nfedora/fedora-42-04.qcow2\n');
    for (const dryRun of [false, true]) {
      const s = stores();
      const { report, lines } = await run(s, { rule: { kind: 'list', list }, dryRun });
      expect(s.flatMap((x) => x.deleted)).toEqual([]);
      expect(report.withheld).toBe('no object deleted: the keep list keeps none of the 5 candidate key(s), so every one would be deleted (2 of its exact keys are in no store, first: fedora/fedora-42-03.qcow2; keys are relative to each store\'s prefix)');
      expect(lines.filter((l) => l.startsWith('-'))).toEqual([]);
    }
    const named = await run(stores(), { rule: { kind: 'list', list: parseKeepList('fedora-42-04.qcow2\nkeep\nold/fedora-42-01.qcow2\n') }, dryRun: true });
    expect(named.report.withheld).toBeUndefined();
    // keep is held (the match does not take it); old/fedora-42-01.qcow2 is in no store, though the match would not take it either.
    expect(named.report.namedMissing).toEqual(['old/fedora-42-01.qcow2']);
  });

  test('a failed deletion is reported; the others go on', async () => {
    const s = stores({ failDelete: new Set(['fedora-42-01.qcow2']) });
    const { report } = await run(s);
    expect(s[0]!.deleted).toEqual(['fedora-42-02.qcow2']);
    expect(report.stores[0]).toMatchObject({ deleted: 1, failed: 1 });
  });

  test('an interrupt before the deletions withholds them all', async () => {
    const s = stores();
    const { report } = await run(s, { stopped: () => true });
    expect(s.flatMap((x) => x.deleted)).toEqual([]);
    expect(report.withheld).toMatch(/interrupted/);
  });
});
