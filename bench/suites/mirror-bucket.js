'use strict';
/**
 * mirror-bucket: one bucket on the "old" cluster (10,000 objects of 4 KiB under small/ and four of
 * 256 MiB under big/, written once per run with 16 MiB parts and no checksum metadata, as another
 * tool would leave them) mirrored to a fresh bucket on the "new" cluster by
 *   - ours: the mirror-bucket bundle in copy mode, 64 transfers and 64 checkers, a manifest file;
 *   - `rclone sync --transfers 64 --checkers 64`;
 * then the no-op re-run of each on its own destination: ours (with the manifest the first run
 * wrote), and rclone plain (a HEAD per object), with --fast-list, and with --checksum (listings
 * only: the 256 MiB objects have multipart ETags, so rclone silently compares those by size).
 * Also ours with ordered publication: the same full mirror into a fresh bucket with publish-last
 * (every repodata folder, then repomd.xml: PUBLISH_LAST below), which the repo/repodata/ subtree of the source
 * (--repodata N objects of 4 KiB plus a repomd.xml) matches: its cost over the plain full mirror.
 * Each full mirror is checked from outside (every key, every size) and its bucket dropped at the end.
 * Also: the planning memory figure, the mirror engine over two generated listings of 1,000,000
 * keys (bench/tools/plan-memory.js), peak RSS measured by GNU time.
 *
 * Also: ours again over a content-addressed copy of the same data set (the same object counts and
 * sizes under Quay's layout, sha256/<2 hex>/<64 hex>) with `digest-in-key: quay`, every copied byte
 * hashed to the digest its key names (`--digest false` leaves the row out).
 *
 * Also the fan-out row: ours mirroring the source to three fresh buckets of the other cluster in one
 * run (`destinations`, sync) against `rclone sync` run three times, once a bucket; and how often
 * each read the source (ours: its source-reads output; rclone: once a run, so three times each object).
 * `--fanout false` leaves the row out.
 *
 * Goals: full mirror <= 0.8x rclone's time; fan-out to three <= 0.5x the three rclone runs' time, each source object read once; no-op re-run <= 0.8x rclone --checksum's time with no
 * pair compared by size alone; planning 1,000,000 keys under 150 MiB of RSS; the verified full
 * mirror under 1.1x the plain full mirror's client CPU; ordered publication under 5 % over the
 * plain full mirror.
 * The mirrors run over HTTP and over HTTPS (`--transport`, lib/transport.js), both stores on the
 * same transport, side by side, with the client CPU TLS added. For a quick run: `--small N` objects
 * of 4 KiB, `--big N` of 256 MiB, `--plan-keys N` (0: no planning memory rows).
 */
const { spawnSync } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } = require('@aws-sdk/client-s3');
const { timed, round } = require('../lib/timed');
const { client, createBucket, dropBucket, listObjects } = require('../lib/s3');
const { REPO } = require('../lib/rgw');
const { summarize } = require('../lib/stats');
const { NODE24, RCLONE, childEnv, parseOutputs, rcloneEnv, snapshotBundle } = require('../lib/tools');
const { TRANSPORT_OPTION, addTlsCost, over, rcloneCaArgs, storeCaOption, transportsOf } = require('../lib/transport');

const SIZES = { small: 10_000, big: 4, 'plan-keys': 1_000_000, repodata: 100 };
// Set from --small, --big and --plan-keys when a run starts (module state: the suite runs once per bench process).
let SMALL = SIZES.small;
const SMALL_BYTES = 4096;
let BIG = SIZES.big;
const BIG_BYTES = 256 * 1024 * 1024;
const SEED_PART = 16 * 1024 * 1024;
let PLAN_KEYS = SIZES['plan-keys'];
let REPODATA = SIZES.repodata;
const GOALS = { full: 0.8, noop: 0.8, planMiB: 150, digestCpu: 1.1, ordered: 1.05, fanout: 0.5 };
/** Buckets the fan-out row mirrors to. */
const FANOUT = 3;
/** The ordered row's publish-last: the package-mirror lines of the action's README. */
const PUBLISH_LAST = '**/repodata/**\n**/repomd.xml';

module.exports = {
  name: 'mirror-bucket',
  description: `${SMALL} x ${SMALL_BYTES / 1024} KiB + ${BIG} x ${BIG_BYTES / 1048576} MiB from one cluster to the other: ours vs rclone sync (64/64), full and no-op; planning memory over ${PLAN_KEYS} keys`,
  options: {
    transfers: "ours: the transfers input (default 64, as rclone's)",
    checkers: "ours: the checkers input (default 64, as rclone's)",
    small: `objects of 4 KiB in the source (default ${SIZES.small})`,
    big: `objects of 256 MiB in the source (default ${SIZES.big})`,
    'plan-keys': `keys of the planning memory rows (default ${SIZES['plan-keys']}; 0: none)`,
    digest: 'the digest-in-key row over a content-addressed copy of the data set (default true)',
    fanout: `the fan-out row: ours to ${FANOUT} buckets in one run vs rclone sync run ${FANOUT} times (default true)`,
    repodata: `objects of 4 KiB under repo/repodata/ (plus repo/repodata/repomd.xml), the ordered row's later phases (default ${SIZES.repodata}; 0: no ordered row)`,
    ...TRANSPORT_OPTION,
  },
  run,
};

async function run(ctx) {
  for (const [name, fallback] of Object.entries(SIZES)) {
    const n = Number(ctx.options[name] ?? fallback);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number >= 0, got ${JSON.stringify(ctx.options[name])}`);
    if (name === 'small') SMALL = n;
    else if (name === 'big') BIG = n;
    else if (name === 'repodata') REPODATA = n;
    else PLAN_KEYS = n;
  }
  const transports = transportsOf(ctx.options);
  const { old: from, new: to } = ctx.clusters;
  const bundle = await snapshotBundle(ctx, 'mirror-bucket');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mirror-'));
  const env = childEnv();
  const transfers = ctx.options.transfers ?? '64';
  const checkers = ctx.options.checkers ?? '64';
  const source = await createBucket(from, 'bench-mirror-src');
  const withDigest = String(ctx.options.digest ?? 'true') !== 'false';
  const withFanout = String(ctx.options.fanout ?? 'true') !== 'false';
  const cas = withDigest ? await createBucket(from, 'bench-mirror-cas') : undefined;
  const samples = {};
  const add = (id, m) => (samples[id] ??= []).push(m);
  const methods = [];
  try {
    ctx.log(`seeding ${source}: ${SMALL} x ${SMALL_BYTES} B, ${BIG} x ${BIG_BYTES / 1048576} MiB and ${REPODATA > 0 ? REPODATA + 1 : 0} under repo/repodata/`);
    const expected = await seed(from, source);
    const casExpected = cas ? await seed(from, cas, true) : undefined;
    for (let r = 1; r <= ctx.repeat; r++) {
      for (const t of transports) {
        // The tools reach both clusters over t; the bench reads them back over plain HTTP.
        const [f, d] = [over(from, t), over(to, t)];
        // ours
        const ours = await createBucket(to, 'bench-mirror-ours');
        const manifest = path.join(scratch, `manifest-${r}-${t}.gz`);
        try {
          ctx.log(`round ${r}/${ctx.repeat}, ${t}: ours, full mirror (transfers ${transfers}, checkers ${checkers})`);
          const full = await runOurs(bundle, f, d, source, ours, manifest, transfers, checkers, scratch, env);
          ctx.log(`  ${full.measured.wallSeconds} s wall, ${full.measured.cpuSeconds} s CPU, ${full.measured.peakRssMiB} MiB; copied ${full.outputs.copied}`);
          await check(to, ours, expected);
          add(`ours-full-${t}`, full.measured);
          ctx.log(`round ${r}/${ctx.repeat}, ${t}: ours, no-op re-run with the manifest`);
          const noop = await runOurs(bundle, f, d, source, ours, manifest, transfers, checkers, scratch, env);
          if (noop.outputs.copied !== '0' || noop.outputs.updated !== '0') throw new Error(`ours no-op copied ${noop.outputs.copied}, updated ${noop.outputs.updated}`);
          methods.push(`${t}: ${noop.outputs.methods}`);
          ctx.log(`  ${noop.measured.wallSeconds} s wall; compared by ${noop.outputs.methods}`);
          add(`ours-noop-${t}`, noop.measured);
        } finally {
          await dropBucket(to, ours);
        }
        if (cas) {
          const verified = await createBucket(to, 'bench-mirror-digest');
          try {
            ctx.log(`round ${r}/${ctx.repeat}, ${t}: ours, full mirror of the content-addressed set with digest-in-key: quay`);
            const full = await runOurs(bundle, f, d, cas, verified, path.join(scratch, `manifest-digest-${r}-${t}.gz`), transfers, checkers, scratch, env, { 'digest-in-key': 'quay' });
            ctx.log(`  ${full.measured.wallSeconds} s wall, ${full.measured.cpuSeconds} s CPU; copied ${full.outputs.copied}, verified ${full.outputs['digest-verified']}`);
            if (full.outputs['digest-verified'] !== full.outputs.copied || full.outputs.corrupt !== '0') throw new Error(`ours with digest-in-key verified ${full.outputs['digest-verified']} of ${full.outputs.copied} copies, corrupt ${full.outputs.corrupt}`);
            await check(to, verified, casExpected);
            add(`ours-digest-${t}`, full.measured);
          } finally {
            await dropBucket(to, verified);
          }
        }
        if (REPODATA > 0) {
          // ours with ordered publication: the same full mirror, the repodata subtree written last.
          const ordered = await createBucket(to, 'bench-mirror-ordered');
          try {
            ctx.log(`round ${r}/${ctx.repeat}, ${t}: ours, full mirror with publish-last`);
            const full = await runOurs(bundle, f, d, source, ordered, path.join(scratch, `manifest-ordered-${r}-${t}.gz`), transfers, checkers, scratch, env, { 'publish-last': PUBLISH_LAST });
            ctx.log(`  ${full.measured.wallSeconds} s wall, ${full.measured.cpuSeconds} s CPU; copied ${full.outputs.copied}`);
            await check(to, ordered, expected);
            add(`ours-ordered-full-${t}`, full.measured);
          } finally {
            await dropBucket(to, ordered);
          }
        }
        if (withFanout) {
          ctx.log(`round ${r}/${ctx.repeat}, ${t}: fan-out to ${FANOUT} buckets, ours in one run, then rclone sync once a bucket`);
          const fan = await fanOut(bundle, f, d, from, to, source, expected, transfers, checkers, scratch, env);
          ctx.log(`  ours ${fan.ours.wallSeconds} s wall, ${fan.sourceReads} source reads; rclone x${FANOUT} ${fan.rclone.wallSeconds} s wall`);
          add(`ours-fanout-${t}`, fan.ours);
          add(`rclone-fanout-${t}`, fan.rclone);
          (samples[`fanout-reads-${t}`] ??= []).push(fan.sourceReads);
        }
        // rclone
        const theirs = await createBucket(to, 'bench-mirror-rclone');
        try {
          ctx.log(`round ${r}/${ctx.repeat}, ${t}: rclone sync, full mirror`);
          const full = await runRclone(f, d, source, theirs, [], scratch, env);
          ctx.log(`  ${full.wallSeconds} s wall, ${full.cpuSeconds} s CPU`);
          await check(to, theirs, expected);
          add(`rclone-full-${t}`, full);
          for (const [id, flags] of [['rclone-noop', []], ['rclone-noop-fast-list', ['--fast-list']], ['rclone-noop-checksum', ['--checksum']]]) {
            ctx.log(`round ${r}/${ctx.repeat}, ${t}: rclone sync ${flags.join(' ')} no-op`);
            const m = await runRclone(f, d, source, theirs, flags, scratch, env);
            ctx.log(`  ${m.wallSeconds} s wall`);
            add(`${id}-${t}`, m);
          }
        } finally {
          await dropBucket(to, theirs);
        }
      }
    }

    let plan;
    if (PLAN_KEYS > 0) {
      ctx.log(`planning memory: the engine, then the bundle, over two generated listings of ${PLAN_KEYS} keys`);
      plan = await planMemory(ctx, bundle);
    }
    const rows = transports.flatMap((t) => tabulate(ctx, samples, methods, t));
    if (plan) notePlan(ctx, plan);
    if (ctx.repeat > 1) ctx.note(`figures are medians of ${ctx.repeat} runs`);
    return addTlsCost(rows);
  } finally {
    await dropBucket(from, source).catch((e) => ctx.log(`could not drop ${source}: ${e.message}`));
    if (cas) await dropBucket(from, cas).catch((e) => ctx.log(`could not drop ${cas}: ${e.message}`));
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Quay's key for content: sha256/<first 2 hex>/<64 hex>. */
const casKey = (digest) => `sha256/${digest.slice(0, 2)}/${digest}`;

/** The parts of big object `b`: every part differs, its first bytes carry the object and part number. */
function bigPart(block, b, part) {
  const body = Buffer.from(block);
  body.writeUInt32BE(b, 0);
  body.writeUInt32BE(part, 4);
  return body;
}

/** Writes the source objects (with `cas`, under the keys their content names); resolves { key: size }. */
async function seed(cluster, bucket, cas = false) {
  const c = client(cluster);
  const expected = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < SMALL) {
        const i = next++;
        const body = randomBytes(SMALL_BYTES);
        const key = cas ? casKey(createHash('sha256').update(body).digest('hex')) : `small/${String(Math.floor(i / 100)).padStart(3, '0')}/obj-${String(i).padStart(5, '0')}.log`;
        await c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        expected[key] = SMALL_BYTES;
      }
    }),
  );
  // The repodata subtree the ordered row's publish-last matches: sha256-named files and a repomd.xml.
  // Not in the content-addressed set, whose every key names its digest.
  for (let i = 0; !cas && i < REPODATA + (REPODATA > 0 ? 1 : 0); i++) {
    const key = i === REPODATA ? 'repo/repodata/repomd.xml' : `repo/repodata/${randomBytes(32).toString('hex')}-primary.xml.gz`;
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(SMALL_BYTES) }));
    expected[key] = SMALL_BYTES;
  }
  const block = randomBytes(SEED_PART);
  for (let b = 0; b < BIG; b++) {
    const count = BIG_BYTES / SEED_PART;
    let key = `big/image-${b}.qcow2`;
    if (cas) {
      const h = createHash('sha256');
      for (let part = 1; part <= count; part++) h.update(bigPart(block, b, part));
      key = casKey(h.digest('hex'));
    }
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const parts = [];
    let n = 1;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (n <= count) {
          const part = n++;
          const body = bigPart(block, b, part);
          const r = await c.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: part, Body: body }));
          parts.push({ PartNumber: part, ETag: r.ETag });
        }
      }),
    );
    parts.sort((x, y) => x.PartNumber - y.PartNumber);
    await c.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    expected[key] = BIG_BYTES;
  }
  return expected;
}

async function check(cluster, bucket, expected) {
  const objects = await listObjects(cluster, bucket);
  const wrong = objects.filter((o) => expected[o.key] !== o.size);
  if (objects.length !== Object.keys(expected).length || wrong.length > 0) {
    throw new Error(`${bucket}: expected ${Object.keys(expected).length} objects, found ${objects.length}; ${wrong.length} unexpected or of the wrong size (${wrong.slice(0, 3).map((o) => o.key).join(', ')})`);
  }
}

async function runOurs(bundle, from, to, source, destination, manifest, transfers, checkers, scratch, baseEnv, extra = {}) {
  const output = path.join(scratch, 'github-output');
  const summary = path.join(scratch, 'step-summary');
  fs.writeFileSync(output, '');
  fs.writeFileSync(summary, '');
  const inputs = {
    source: `${from.endpoint}/${source} credentials=env:OLD${storeCaOption(from)}`,
    destination: `${to.endpoint}/${destination} credentials=env:NEW${storeCaOption(to)}`,
    mode: 'copy',
    manifest,
    transfers,
    checkers,
    'report-path': path.join(scratch, 'report.txt'),
    ...extra,
  };
  const env = {
    ...baseEnv,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v])),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: scratch,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: scratch,
    OLD_ACCESS_KEY_ID: from.accessKey,
    OLD_SECRET_ACCESS_KEY: from.secretKey,
    NEW_ACCESS_KEY_ID: to.accessKey,
    NEW_SECRET_ACCESS_KEY: to.secretKey,
  };
  const measured = await timed(NODE24, [bundle], { env, cwd: scratch });
  const outputs = parseOutputs(fs.readFileSync(output, 'utf8'));
  if (measured.code !== 0 || outputs.failed !== '0') {
    throw new Error(`mirror-bucket bundle failed: ${measured.signal ?? `exit ${measured.code}`}, outputs ${JSON.stringify(outputs)}\n--- stdout (tail) ---\n${measured.stdout.slice(-4000)}`);
  }
  return { measured, outputs };
}

/**
 * The fan-out row: ours to FANOUT fresh buckets in one run (sync, no manifest), then rclone sync to
 * FANOUT other fresh buckets one after the other; every bucket checked from outside. Resolves both
 * measures (rclone's: the runs' wall and CPU added up) and ours' source reads.
 */
async function fanOut(bundle, f, d, from, to, source, expected, transfers, checkers, scratch, env) {
  const buckets = [];
  try {
    for (let i = 0; i < 2 * FANOUT; i++) buckets.push(await createBucket(to, `bench-fan-${i < FANOUT ? 'ours' : 'rclone'}`));
    const ours = buckets.slice(0, FANOUT);
    const destinations = ours.map((b, i) => `${d.endpoint}/${b} credentials=env:NEW name=to-${i + 1}${storeCaOption(d)}`).join('\n');
    const run = await runOurs(bundle, f, d, source, '', '', transfers, checkers, scratch, env, { destination: '', destinations, mode: 'sync' });
    const rows = JSON.parse(run.outputs.destinations);
    if (rows.length !== FANOUT || rows.some((row) => !row.ok || row.copied !== Object.keys(expected).length)) throw new Error(`ours fan-out: ${run.outputs.destinations}`);
    for (const b of ours) await check(to, b, expected);
    const rclone = { wallSeconds: 0, cpuSeconds: 0, peakRssMiB: 0 };
    for (const b of buckets.slice(FANOUT)) {
      const m = await runRclone(f, d, source, b, [], scratch, env);
      await check(to, b, expected);
      rclone.wallSeconds += m.wallSeconds;
      rclone.cpuSeconds += m.cpuSeconds;
      rclone.peakRssMiB = Math.max(rclone.peakRssMiB, m.peakRssMiB);
    }
    return { ours: run.measured, rclone, sourceReads: Number(run.outputs['source-reads']) };
  } finally {
    for (const b of buckets) await dropBucket(to, b);
  }
}

async function runRclone(from, to, source, destination, flags, scratch, baseEnv) {
  const env = rcloneEnv({ OLD: from, NEW: to }, scratch, baseEnv);
  // rclone 1.60 fails while AWS_CA_BUNDLE is set (as it is on these machines).
  const m = await timed('env', ['-u', 'AWS_CA_BUNDLE', RCLONE, 'sync', `old:${source}`, `new:${destination}`, '--transfers', '64', '--checkers', '64', ...flags, ...rcloneCaArgs([from, to], scratch)], { env });
  if (m.code !== 0) throw new Error(`rclone sync ${flags.join(' ')} failed (${m.signal ?? `exit ${m.code}`}):\n${m.stderr.slice(-4000)}`);
  return m;
}

/** Compiles the engine with tsc into .bench/lib, then plans over generated listings, with V8's default young generation here and with the 16 MiB semi-space. */
async function planMemory(ctx, bundle) {
  const lib = path.join(ctx.workDir, 'lib');
  fs.rmSync(lib, { recursive: true, force: true });
  const tsc = spawnSync(path.join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', path.join(REPO, 'tsconfig.build.json'), '--outDir', lib], { encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  const tool = path.join(REPO, 'bench', 'tools', 'plan-memory.js');
  const out = {};
  for (const [id, flags] of [['default', []], ['semi16', ['--max-semi-space-size=16']]]) {
    const m = await timed(NODE24, [...flags, tool, lib, String(PLAN_KEYS)], {});
    if (m.code !== 0) throw new Error(`plan-memory failed:\n${m.stderr.slice(-4000)}`);
    out[id] = { ...m, result: JSON.parse(m.stdout.trim().split('\n').pop()) };
    ctx.log(`  engine, ${id}: ${m.wallSeconds} s, peak RSS ${m.peakRssMiB} MiB, ${JSON.stringify(out[id].result.methods)}`);
  }
  fs.rmSync(lib, { recursive: true, force: true });
  // The goal's own terms: the bundle started as a runner starts it, against generated listings
  // served over HTTP; the tool reports the bundle's peak RSS (GNU time), not its own.
  for (const [id, flags] of [['bundle', []], ['bundleSemi16', ['--node-flag', '--max-semi-space-size=16']]]) {
    const m = await timed(NODE24, [tool, '--bundle', bundle, '--node', NODE24, ...flags, String(PLAN_KEYS)], {});
    if (m.code !== 0) throw new Error(`plan-memory --bundle failed:\n${m.stdout.slice(-2000)}${m.stderr.slice(-4000)}`);
    const result = JSON.parse(m.stdout.trim().split('\n').pop());
    out[id] = { wallSeconds: result.seconds, peakRssMiB: result.peakRssMiB, result };
    ctx.log(`  bundle, ${id}: ${result.seconds} s, peak RSS ${result.peakRssMiB} MiB, ${JSON.stringify(result.methods)}`);
  }
  return out;
}

function tabulate(ctx, samples, methods, transport) {
  const row = (tool, label, settings) => {
    const ms = samples[`${tool}-${transport}`];
    const { wall, cpu, rss, runs } = summarize(ms);
    return {
      tool: label,
      transport,
      'wall s': round(wall, 2),
      'cpu s': round(cpu, 2),
      'peak RSS MiB': round(rss, 1),
      ...(ctx.repeat > 1 ? { 'wall s, each run': ms.map((m) => m.wallSeconds.toFixed(2)) } : {}),
      settings,
      _case: `${tool}-${transport}`,
      _tool: tool,
      _runs: runs,
    };
  };
  const rows = [
    row('ours-full', 'ours, full mirror', `copy, transfers ${ctx.options.transfers ?? 64}, checkers ${ctx.options.checkers ?? 64}, verify-visibility private (default)`),
    row('rclone-full', 'rclone sync, full mirror', '--transfers 64 --checkers 64'),
    ...(samples[`ours-digest-${transport}`] ? [row('ours-digest', 'ours, full mirror, verified by digest', 'the same sizes under sha256/<2 hex>/<64 hex>, digest-in-key: quay')] : []),
    ...(samples[`ours-fanout-${transport}`]
      ? [
          row('ours-fanout', `ours, fan-out to ${FANOUT} buckets`, `one run, destinations (${FANOUT} lines), sync; source reads ${samples[`fanout-reads-${transport}`].join(', ')} for ${SMALL + BIG + (REPODATA > 0 ? REPODATA + 1 : 0)} objects`),
          row('rclone-fanout', `rclone sync x${FANOUT}, fan-out`, `${FANOUT} runs one after the other (wall and CPU added up), --transfers 64 --checkers 64; each reads every object`),
        ]
      : []),
    row('ours-noop', 'ours, no-op re-run', 'with the manifest of the full run'),
    ...(REPODATA > 0 ? [row('ours-ordered-full', 'ours, full mirror, ordered', `the same, publish-last ${JSON.stringify(PUBLISH_LAST)} (${REPODATA + 1} objects in later phases)`)] : []),
    row('rclone-noop', 'rclone sync, no-op', 'plain (a HEAD per object)'),
    row('rclone-noop-fast-list', 'rclone sync, no-op', '--fast-list'),
    row('rclone-noop-checksum', 'rclone sync, no-op', '--checksum (listings only; size only where no MD5)'),
  ];
  const by = (tool) => rows.find((r) => r._tool === tool);
  const full = by('ours-full')['wall s'] / by('rclone-full')['wall s'];
  const noop = by('ours-noop')['wall s'] / by('rclone-noop-checksum')['wall s'];
  const note = (text) => ctx.note(`${transport}: ${text}`);
  note(`goal: full mirror <= ${GOALS.full}x rclone's time: ${full.toFixed(2)}x -> ${verdict(full <= GOALS.full)}`);
  note(`goal: no-op <= ${GOALS.noop}x rclone --checksum's time: ${noop.toFixed(2)}x -> ${verdict(noop <= GOALS.noop)}; ours compared by ${methods.filter((m) => m.startsWith(`${transport}:`)).join(' / ')}`);
  if (by('ours-digest')) {
    const cpu = by('ours-digest')['cpu s'] / by('ours-full')['cpu s'];
    note(
      `goal: digest-in-key verification under ${GOALS.digestCpu}x the plain full mirror's client CPU: ${cpu.toFixed(2)}x -> ${verdict(cpu < GOALS.digestCpu)} (wall ${(by('ours-digest')['wall s'] / by('ours-full')['wall s']).toFixed(2)}x)`,
    );
  }
  if (by('ours-fanout')) {
    const fan = by('ours-fanout')['wall s'] / by('rclone-fanout')['wall s'];
    const objects = SMALL + BIG + (REPODATA > 0 ? REPODATA + 1 : 0);
    const reads = samples[`fanout-reads-${transport}`];
    note(`goal: fan-out to ${FANOUT} buckets <= ${GOALS.fanout}x rclone sync run ${FANOUT} times: ${fan.toFixed(2)}x -> ${verdict(fan <= GOALS.fanout)}; source reads ${reads.join(', ')} of ${objects} objects (rclone: ${FANOUT * objects}) -> ${verdict(reads.every((n) => n === objects))}`);
  }
  if (REPODATA > 0) {
    const ordered = by('ours-ordered-full')['wall s'] / by('ours-full')['wall s'];
    note(`goal: ordered publication <= ${GOALS.ordered}x the plain full mirror's time: ${ordered.toFixed(3)}x -> ${verdict(ordered <= GOALS.ordered)}`);
  }
  note(`ours vs rclone no-op plain: ${(by('ours-noop')['wall s'] / by('rclone-noop')['wall s']).toFixed(2)}x, vs --fast-list: ${(by('ours-noop')['wall s'] / by('rclone-noop-fast-list')['wall s']).toFixed(2)}x`);
  return rows;
}

const verdict = (ok) => (ok ? 'MET' : 'NOT MET');

/** The planning memory rows' figures, as notes (they do not depend on the transport). */
function notePlan(ctx, plan) {
  const p = plan.default;
  const b = plan.bundle;
  ctx.note(
    `planning ${b.result.keys} keys (sync, dry run, generated listings), the bundle as a runner starts it: ${b.wallSeconds} s, peak RSS ${b.peakRssMiB} MiB with V8's default young generation on this machine, ` +
      `${plan.bundleSemi16.peakRssMiB} MiB with --max-semi-space-size=16; goal < ${GOALS.planMiB} MiB -> ${verdict(b.peakRssMiB < GOALS.planMiB)} (default), ${verdict(plan.bundleSemi16.peakRssMiB < GOALS.planMiB)} (16 MiB semi-space)`,
  );
  ctx.note(`planning, the engine alone over pages handed to it in process: ${p.wallSeconds} s, peak RSS ${p.peakRssMiB} MiB (default), ${plan.semi16.peakRssMiB} MiB (16 MiB semi-space)`);
}
