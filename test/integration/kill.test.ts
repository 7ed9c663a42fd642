/**
 * Each long-running action killed with SIGKILL in the middle (no cleanup can run: a lost runner, an
 * OOM kill), then re-run. While it is dead nothing partial is visible; the re-run converges and
 * leaves no multipart upload open, including the ones the killed run orphaned.
 *
 * The proxy slows the data requests (upload parts, object PUTs) so the run is surely mid-flight when
 * the proxy has seen the action's `killAfter` requests; the re-run goes through the same proxies
 * without faults.
 *
 * Then mirror-bucket to three destinations, killed mid-copy with SIGKILL and with SIGTERM (a
 * cancelled workflow, whose handler aborts the open uploads): the re-run leaves no upload open and
 * ends with every destination complete.
 */
import { ACTIONS, checkStores, type ActionEntry, type StoreUnderTest } from '../helpers/action-table';
import { errors, runBundle } from '../helpers/bundle';
import { fanOutScenario, recordDeletes, visibilityOf } from '../helpers/fan-out-scenario';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { anonymousStatus, listKeys, openUploads, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const makeBucket = useBuckets();
const proxies: FaultProxy[] = [];
afterAll(async () => {
  for (const p of proxies) await p.close();
});

test.each(ACTIONS.filter((a) => a.killAfter !== undefined).map((a) => [a.action, a] as const))('%s killed with SIGKILL mid-upload, then re-run: converges, nothing partial, nothing open', async (_name, entry: ActionEntry) => {
  const ws = entry.workspace('big');
  const kill = entry.killAfter!;
  const on = kill.on ?? 0;
  const buckets = [];
  for (const id of ['old', 'new'] as const) buckets.push({ id, bucket: await makeBucket(id, 'kill') });
  // Slow until the kill; the re-run goes at full speed through the same proxies.
  let throttle = true;
  const slow = (id: ClusterId) =>
    startFaultProxy({
      upstream: rgw(id).endpoint,
      rules: [{ kind: 'delay', match: (r) => throttle && r.op === kill.op, delayMs: kill.delayMs ?? 250, bodyBytesPerSecond: kill.bodyBytesPerSecond }],
    });
  const ps = [await slow('old'), await slow('new')];
  proxies.push(...ps);
  const stores: StoreUnderTest[] = buckets.map((b, i) => ({ ...b, endpoint: ps[i]!.url }));
  await entry.prepare?.(ws, buckets);
  const plan = entry.plan(ws, stores, 1);

  let killedAt = 0;
  const killed = await runBundle(entry.action, plan.inputs, {
    cwd: plan.cwd,
    env: plan.env,
    onSpawn: (child) => {
      const due = entry.killWhen ? entry.killWhen(ws, plan, stores) : ps[on]!.waitFor(kill.op, kill.n);
      void due.then(() => {
        killedAt = ps[on]!.seen[kill.op]!;
        child.kill('SIGKILL');
      });
    },
  });
  throttle = false;
  expect(killed.signal).toBe('SIGKILL');
  expect(killedAt).toBeGreaterThanOrEqual(kill.n);

  // Dead: whatever exists is whole, and nothing private is readable.
  const whileDead = await checkStores(
    (await Promise.all(buckets.map(async (b) => (await listKeys(b.id, b.bucket)).map((key) => ({ ...b, key }))))).flat().map((o) => {
      const e = [...plan.expected, ...(entry.removable?.(ws, stores) ?? [])].find((x) => x.id === o.id && x.bucket === o.bucket && x.key === o.key);
      if (e === undefined) throw new Error(`unexpected object ${o.id}/${o.bucket}/${o.key} after the kill`);
      return e;
    }),
    entry,
    [],
  );
  expect(whileDead.problems).toEqual([]);
  expect((await entry.whileDead?.(ws, plan, stores)) ?? []).toEqual([]);
  for (const e of plan.expected) {
    if (e.visibility === 'private') expect([e.key, await anonymousStatus(e.id, e.bucket, e.key)]).not.toEqual([e.key, 200]);
  }
  const orphans = (await Promise.all(buckets.map((b) => openUploads(b.id, b.bucket)))).flat();
  // SIGKILL leaves the uploads in flight open on both stores: the re-run must clean them up.
  if (entry.bigIsMultipart) expect(orphans.length).toBeGreaterThanOrEqual(entry.orphansAtLeast ?? 2);
  else expect(orphans).toEqual([]);

  // Re-run (for upload-logs a new attempt, as GitHub's "re-run job" does), through the same proxies.
  const rerunPlan = entry.plan(ws, stores, 2);
  const rerun = await runBundle(entry.action, rerunPlan.inputs, { cwd: rerunPlan.cwd, env: rerunPlan.env });
  expect(errors(rerun)).toEqual([]);
  expect(rerun.code).toBe(0);
  const check = await checkStores(rerunPlan.expected, entry, buckets);
  expect(check.problems).toEqual([]);
  expect((await entry.verify?.(ws, rerun, stores, 'kill')) ?? []).toEqual([]);
  console.log(
    `[kill] ${entry.action}: SIGKILL after ${killedAt} ${kill.op} request(s) on ${buckets[on]!.id}; ${whileDead.objects} whole object(s) visible while dead, ` +
      `${orphans.length} multipart upload(s) orphaned; re-run: exit ${rerun.code}, ${check.objects} object(s) checked, 0 open`,
  );
});

test.each(['SIGKILL', 'SIGTERM'] as const)('mirror-bucket to three destinations, %s mid-copy, then re-run: nothing partial, nothing open, every destination complete', async (signal) => {
  const sc = await fanOutScenario(makeBucket, 'big');
  const deletes: string[] = [];
  // The parts sent to new-a and new-c are slowed until the kill; old-b is copied inside the provider.
  let throttle = true;
  const slow = (id: ClusterId) => startFaultProxy({ upstream: rgw(id).endpoint, rules: [recordDeletes(deletes), { kind: 'delay', match: (r) => throttle && r.op === 'UploadPart', delayMs: 250 }] });
  const pNew = await slow('new');
  const pOld = await slow('old');
  proxies.push(pNew, pOld);
  const inputs = sc.inputs(pOld.url, [pNew.url, pOld.url, pNew.url]);
  let killedAt = 0;
  const killed = await runBundle('mirror-bucket', inputs, {
    env: sc.env,
    onSpawn: (child) => {
      void pNew.waitFor('UploadPart', 4).then(() => {
        killedAt = pNew.seen.UploadPart!;
        child.kill(signal);
      });
    },
  });
  throttle = false;
  expect(killedAt).toBeGreaterThanOrEqual(4);
  const places = [sc.source, ...sc.destinations];
  const orphans = (await Promise.all(places.map((b) => openUploads(b.id, b.bucket)))).flat();
  if (signal === 'SIGKILL') {
    expect(killed.signal).toBe('SIGKILL');
    // The big object's uploads in flight to the streamed destinations stay open: the re-run must abort them.
    expect(orphans.length).toBeGreaterThanOrEqual(1);
  } else {
    // The handler aborted every upload open before the exit; nothing was deleted on the way out.
    expect(killed.code).toBe(143);
    expect(killed.stdout).toMatch(/SIGTERM received: aborting open uploads/);
    expect(orphans).toEqual([]);
  }
  // Dead: whatever a destination holds is whole (an extra, an object placed before, or a copy), nothing private readable.
  const listed = (await Promise.all(places.map(async (b) => (await listKeys(b.id, b.bucket)).map((key) => ({ ...b, key }))))).flat();
  const expectedOf = (o: { id: string; bucket: string; key: string }) => sc.expected.find((e) => e.id === o.id && e.bucket === o.bucket && e.key === o.key);
  // new-a's stale copy may not be updated yet; the extras are not the source's.
  const beforeRun = (key: string) => key === sc.staleKey || /^m\/only-in-/.test(key);
  expect(listed.filter((o) => !beforeRun(o.key) && expectedOf(o) === undefined).map((o) => `${o.id}/${o.bucket}/${o.key}`)).toEqual([]);
  const whileDead = await checkStores(listed.filter((o) => !beforeRun(o.key)).map((o) => expectedOf(o)!), { visibilityOf }, []);
  expect(whileDead.problems).toEqual([]);
  for (const e of sc.expected.filter((x) => x.visibility === 'private')) expect([e.key, await anonymousStatus(e.id, e.bucket, e.key)]).not.toEqual([e.key, 200]);
  expect(sc.wrongDeletions(deletes)).toEqual([]);

  // Re-run through the same proxies, at full speed.
  const rerun = await runBundle('mirror-bucket', inputs, { env: sc.env });
  expect(errors(rerun)).toEqual([]);
  expect(rerun.code).toBe(0);
  expect(await sc.check(rerun)).toEqual([]);
  expect(sc.wrongDeletions(deletes)).toEqual([]);
  console.log(`[kill] mirror-bucket to 3 destinations: ${signal} after ${killedAt} UploadPart request(s) to new-a and new-c; ${whileDead.objects} whole object(s) visible while dead, ${orphans.length} multipart upload(s) left open; re-run: exit ${rerun.code}, every destination complete, 0 open`);
});
