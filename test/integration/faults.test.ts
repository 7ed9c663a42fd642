/**
 * Every action through fault-injecting proxies (test/helpers/fault-proxy.ts) at 10 % faults, with
 * several seeds, to two stores; afterwards the stores are read directly: every object present with
 * its sha256 and visibility, no multipart upload open, no private object readable. A run that
 * fails under faults is re-run (as a person would) and must converge. Then the ambiguous
 * completion of a multipart upload, and lost CreateMultipartUpload answers, on purpose. The mirror
 * to three destinations likewise, every deletion it sends recorded: none may name an object the
 * source holds, and a destination whose listing fails keeps what only it holds.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ACTIONS, checkStores, type ActionEntry, type StoreUnderTest } from '../helpers/action-table';
import { errors, runBundle, type BundleRun } from '../helpers/bundle';
import { fanOutScenario, recordDeletes } from '../helpers/fan-out-scenario';
import { describeInjected, FAULT_KINDS, listingFailsAfterFirstPage, startFaultProxy, type FaultKind, type FaultProxy, type FaultRule } from '../helpers/fault-proxy';
import { client, credentialEnv, listKeys, openUploads, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const RATE = 0.1;
const SEEDS = [1, 2, 3, 4, 5];
/** Runs of one action allowed to reach convergence under faults (the first included). */
const MAX_RUNS = 4;

const makeBucket = useBuckets();
const proxies: FaultProxy[] = [];
afterAll(async () => {
  for (const p of proxies) await p.close();
});

async function bucketPair(stem: string): Promise<{ id: ClusterId; bucket: string }[]> {
  const out = [];
  for (const id of ['old', 'new'] as const) out.push({ id, bucket: await makeBucket(id, stem) });
  return out;
}

async function proxied(id: ClusterId, o: { rate?: number; seed?: number; rules?: FaultRule[] }): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: rgw(id).endpoint, delayMs: 150, ...o });
  proxies.push(p);
  return p;
}

/** Totals over the whole file, printed at the end. */
const tally = { runs: 0, failedRuns: 0, faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<string, number>, objects: 0 };
afterAll(() => {
  console.log(
    `[faults] total: rate ${RATE * 100} %, ${SEEDS.length} seed(s) x ${ACTIONS.length} action(s) and the mirror to 3 destinations, ${tally.runs} run(s) (${tally.failedRuns} failed and re-run), ` +
      `faults ${Object.entries(tally.faults).map(([k, n]) => `${k} ${n}`).join(', ')}, ${tally.objects} object(s) checked`,
  );
});

describe.each(ACTIONS.map((a) => [a.action, a] as const))('%s at 10 %% faults, two stores', (_name, entry: ActionEntry) => {
  const ws = entry.workspace('small');
  test.each(SEEDS)('seed %d: converges; stores hold exactly the right objects; nothing open, nothing exposed', async (seed) => {
    const buckets = await bucketPair('faults');
    const ps = [await proxied('old', { rate: RATE, seed, rules: entry.faultRules?.(0, seed) }), await proxied('new', { rate: RATE, seed: seed + 1000, rules: entry.faultRules?.(1, seed) })];
    const stores: StoreUnderTest[] = buckets.map((b, i) => ({ ...b, endpoint: ps[i]!.url }));
    await entry.prepare?.(ws, buckets);
    const runs: BundleRun[] = [];
    let plan = entry.plan(ws, stores, 1);
    for (let attempt = 1; attempt <= MAX_RUNS; attempt++) {
      plan = entry.plan(ws, stores, attempt);
      const run = await runBundle(entry.action, plan.inputs, { cwd: plan.cwd, env: plan.env });
      runs.push(run);
      if (run.code === 0) break;
    }
    const last = runs[runs.length - 1]!;
    if (last.code !== 0) throw new Error(`no convergence in ${MAX_RUNS} runs: ${errors(last).join('\n')}`);
    // Failed runs must say why, never crash.
    for (const r of runs.slice(0, -1)) expect(errors(r).join('\n')).not.toMatch(/internal error/);
    const check = await checkStores(plan.expected, entry, buckets);
    expect(check.problems).toEqual([]);
    expect((await entry.verify?.(ws, last, stores, 'faults')) ?? []).toEqual([]);
    const line = ps.map((p, i) => `${buckets[i]!.id}: ${describeInjected(p)}`).join('; ');
    console.log(`[faults] ${entry.action} seed ${seed}: rate ${RATE * 100} %, ${runs.length} run(s), ${line}; ${check.objects} object(s) checked`);
    tally.runs += runs.length;
    tally.failedRuns += runs.length - 1;
    tally.objects += check.objects;
    for (const p of ps) for (const k of FAULT_KINDS) tally.faults[k]! += p.injected[k];
    // The proxies did inject: a suite whose faults never fire proves nothing.
    expect(ps[0]!.total() + ps[1]!.total()).toBeGreaterThan(0);
  });
});

describe('mirror-bucket to three destinations at 10 % faults', () => {
  const KINDS: FaultKind[] = ['reset-mid-body', 'truncate', 'drop-answer', 'internal', 'slowdown'];
  test.each(SEEDS)('seed %d: converges; each destination holds the source; nothing deleted but what only a destination held', async (seed) => {
    const sc = await fanOutScenario(makeBucket, 'small');
    const deletes: string[] = [];
    // The source and old-b behind one proxy (old-b is copied inside the provider), new-a behind
    // another, both at 10 %; new-c behind one that only records. Besides the rate, one source read
    // and one write to new-a always break, a different way for each seed.
    const pOld = await proxied('old', { rate: RATE, seed, rules: [recordDeletes(deletes), { kind: KINDS[seed % 5]!, match: (r) => r.op === 'GetObject' && r.path.includes('/src/'), nth: [1 + (seed % 3)] }] });
    const pNew = await proxied('new', { rate: RATE, seed: seed + 1000, rules: [recordDeletes(deletes), { kind: KINDS[(seed + 2) % 5]!, match: (r) => r.op === 'PutObject' || r.op === 'UploadPart', nth: [1 + (seed % 2)] }] });
    const pQuiet = await proxied('new', { rules: [recordDeletes(deletes)] });
    const inputs = sc.inputs(pOld.url, [pNew.url, pOld.url, pQuiet.url]);
    const runs: BundleRun[] = [];
    for (let attempt = 1; attempt <= MAX_RUNS; attempt++) {
      const run = await runBundle('mirror-bucket', inputs, { env: sc.env });
      runs.push(run);
      // After every run, failed ones included: no deletion of anything the source holds.
      expect([`run ${attempt}`, sc.wrongDeletions(deletes)]).toEqual([`run ${attempt}`, []]);
      if (run.code === 0) break;
      expect(errors(run).join('\n')).not.toMatch(/internal error/);
    }
    const last = runs[runs.length - 1]!;
    if (last.code !== 0) throw new Error(`no convergence in ${MAX_RUNS} runs: ${errors(last).join('\n')}`);
    expect(await sc.check(last)).toEqual([]);
    // The three extras went, one a destination (a retried deletion may be sent twice).
    expect(new Set(deletes).size).toBe(3);
    expect(pOld.total() + pNew.total()).toBeGreaterThan(0);
    console.log(`[faults] mirror-bucket to 3 destinations seed ${seed}: ${runs.length} run(s), old: ${describeInjected(pOld)}; new: ${describeInjected(pNew)}; ${deletes.length} deletion(s) sent`);
    tally.runs += runs.length;
    tally.failedRuns += runs.length - 1;
    for (const p of [pOld, pNew]) for (const k of FAULT_KINDS) tally.faults[k]! += p.injected[k];
  });
});

describe('ambiguous completion of a multipart upload', () => {
  const entry = ACTIONS.find((a) => a.action === 'upload-image')!;
  const ws = entry.workspace('small');
  const isComplete = (r: { op: string }) => r.op === 'CompleteMultipartUpload';
  const isCreate = (r: { op: string }) => r.op === 'CreateMultipartUpload';

  test.each([
    ['the server completes, the answer is lost', 'drop-answer', isComplete, [1]],
    ['the answer is lost twice (the retry finds the upload gone)', 'drop-answer', isComplete, [1, 2]],
    ['the connection resets before the server sees it', 'reset-before', isComplete, [1]],
    ['the answer of CreateMultipartUpload is lost (an upload no one knows of)', 'drop-answer', isCreate, [1]],
  ] as const)('%s: resolved by the object, no second upload, no false failure, nothing left open', async (_what, kind, match, nth) => {
    const buckets = await bucketPair('ambiguous');
    const p = await proxied('old', { rules: [{ kind, match, nth: [...nth] }] });
    const stores: StoreUnderTest[] = [
      { ...buckets[0]!, endpoint: p.url },
      { ...buckets[1]!, endpoint: rgw('new').endpoint },
    ];
    const plan = entry.plan(ws, stores, 1);
    const run = await runBundle(entry.action, plan.inputs, { cwd: plan.cwd, env: plan.env });
    expect(errors(run)).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.failed).toBe('0');
    expect(p.total()).toBe(nth.length);
    // One multipart file of three parts: every part sent once, one upload completed.
    expect(p.seen.UploadPart).toBe(3);
    if (match === isComplete) {
      expect(p.seen.CreateMultipartUpload).toBe(1);
      expect(p.seen.CompleteMultipartUpload).toBe(nth.length + 1);
    } else {
      expect(p.seen.CreateMultipartUpload).toBe(2);
    }
    expect(await openUploads('old', buckets[0]!.bucket)).toEqual([]);
    const check = await checkStores(plan.expected, entry, buckets);
    expect(check.problems).toEqual([]);
    console.log(`[faults] ambiguous (${kind} on ${match === isComplete ? 'Complete' : 'Create'} x${nth.length}): ${describeInjected(p)}; ${check.objects} object(s) checked`);
  });
});

describe('mirror-bucket: a listing failure never leads to a deletion', () => {
  test.each([
    ['the source listing', 0],
    ['the destination listing', 1],
  ] as const)('sync with %s failing for good: nothing deleted, the run fails naming the listing', async (_what, broken) => {
    const buckets = await bucketPair('listfail');
    const [src, dst] = buckets as [{ id: ClusterId; bucket: string }, { id: ClusterId; bucket: string }];
    const put = (id: ClusterId, bucket: string, key: string) => client(id).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${key.slice(key.indexOf('/') + 1)}\n`, ACL: 'public-read' }));
    for (const k of ['a.txt', 'b.txt', 'c.txt']) {
      await put(src.id, src.bucket, `src/${k}`);
      await put(dst.id, dst.bucket, `mirror/${k}`);
    }
    // Only in the destination: a sync that trusted a broken listing would delete it.
    await put(dst.id, dst.bucket, 'mirror/only-here.txt');
    // Every listing request is reset, retries included (one page here: the first request is the listing).
    const p = await proxied(buckets[broken]!.id, { rules: [{ kind: 'reset-before', match: (r) => r.op === 'ListObjectsV2' }] });
    const endpoint = (i: number) => (i === broken ? p.url : rgw(buckets[i]!.id).endpoint);
    const run = await runBundle(
      'mirror-bucket',
      {
        source: `${endpoint(0)}/${src.bucket}/src/ credentials=env:OLD`,
        destination: `${endpoint(1)}/${dst.bucket}/mirror/ credentials=env:NEW`,
        mode: 'sync',
      },
      { env: credentialEnv() },
    );
    expect(run.code).toBe(1);
    expect(errors(run).join('\n')).toMatch(/list/i);
    expect(p.seen.ListObjectsV2).toBeGreaterThanOrEqual(2);
    expect(p.seen.DeleteObjects ?? 0).toBe(0);
    expect(p.injected['reset-before']).toBeGreaterThanOrEqual(1);
    expect(run.outputs.deleted ?? '0').toBe('0');
    expect(p.seen.DeleteObject ?? 0).toBe(0);
    expect((await listKeys(dst.id, dst.bucket)).sort()).toEqual(['mirror/a.txt', 'mirror/b.txt', 'mirror/c.txt', 'mirror/only-here.txt']);
    console.log(`[faults] mirror listing failure on ${buckets[broken]!.id}: ${describeInjected(p)}; exit ${run.code}: ${errors(run)[0]}`);
  });

  test('to three destinations, one listing failing after its first page for good: its deletions withheld, the others synced', async () => {
    const sc = await fanOutScenario(makeBucket, 'small');
    const [a, b, c] = sc.destinations as [{ id: ClusterId; bucket: string }, { id: ClusterId; bucket: string }, { id: ClusterId; bucket: string }];
    const deletes: string[] = [];
    // old-b's first page (holding its extra, so a deletion is due there) is made to say more
    // follow; every request for the next one is reset, retries included.
    const p = await proxied('old', {
      rules: [
        recordDeletes(deletes),
        ...listingFailsAfterFirstPage('reset-before', (r) => r.path.startsWith(`/${b.bucket}`)),
      ],
    });
    const quiet = await proxied('new', { rules: [recordDeletes(deletes)] });
    const run = await runBundle('mirror-bucket', sc.inputs(rgw('old').endpoint, [quiet.url, p.url, quiet.url]), { env: sc.env });
    // Nothing was deleted in old-b; the other two hold exactly the source.
    expect(deletes.filter((d) => d.startsWith(`/${b.bucket}/`))).toEqual([]);
    expect(sc.wrongDeletions(deletes)).toEqual([]);
    expect(await listKeys(b.id, b.bucket)).toContain('m/only-in-old-b.txt');
    const want = sc.objects.map((o) => `m/${o.key}`).sort();
    for (const d of [a, c]) expect((await listKeys(d.id, d.bucket)).sort()).toEqual(want);
    expect(run.code).toBe(1);
    expect(errors(run)).toEqual([expect.stringMatching(/^2 of 3 destination\(s\) ended right, 3 required \(input "require"\): 2 old-b: .*ListObjectsV2/)]);
    expect(p.injected['reset-before']).toBeGreaterThanOrEqual(2);
    const rows = JSON.parse(run.outputs.destinations!) as { name: string; ok: boolean; deleted: number; skipped: number; listingError?: string }[];
    expect(rows.map((r) => [r.name, r.ok, r.deleted])).toEqual([['new-a', true, 1], ['old-b', false, 0], ['new-c', true, 1]]);
    expect(rows[1]!.listingError).toMatch(/ListObjectsV2/);
    expect(rows[1]!.skipped).toBeGreaterThanOrEqual(1);
    console.log(`[faults] mirror to 3 destinations, old-b's listing failing: ${describeInjected(p)}; exit ${run.code}: ${errors(run)[0]!.slice(0, 160)}`);
  });
});
