'use strict';
/**
 * audit-acl: one bucket of 10,000 small objects (80% public-read fedora-*, 20% private rhel-*, with
 * 1% of each set wrong) audited by
 *   - ours: the audit-acl bundle, run as a runner runs it (GetObjectAcl + anonymous HEAD per object,
 *     rules, policy evaluation, findings, report file and job summary included);
 *   - a raw keep-alive AWS SDK loop sending the same two requests per object at the same
 *     concurrency (bench/lib/raw-audit.js): the ceiling;
 *   - the AWS CLI, `aws s3api get-object-acl` per object, 8 processes at once, on a subset.
 * The bucket is made once per bench run and dropped at the end. Goal: ours >= 0.9x the raw loop's
 * objects per second.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PutObjectCommand } = require('@aws-sdk/client-s3');
const { timed, round } = require('../lib/timed');
const { client, createBucket, dropBucket } = require('../lib/s3');
const { REPO } = require('../lib/rgw');
const { summarize } = require('../lib/stats');
const { NODE24, AWS, awsCliEnv, childEnv, parseOutputs, snapshotBundle } = require('../lib/tools');

const OBJECTS = 10_000;
const CLI_SUBSET = 200;
const CLI_PARALLEL = 8;
const GOAL = 0.9;
const PREFIX = 'images/';

module.exports = {
  name: 'audit-acl',
  description: `auditing ${OBJECTS} objects (ACL read + anonymous HEAD each): ours vs a raw keep-alive SDK loop (same requests, same concurrency) and the AWS CLI (get-object-acl per object, on ${CLI_SUBSET})`,
  options: {
    'audit-concurrency': 'objects in flight for ours and the raw loop (default 64)',
  },
  run,
};

/** The objects: name and canned ACL. Every 100th of each kind is set wrong. */
function objects() {
  const out = [];
  for (let i = 0; i < OBJECTS; i++) {
    const rhel = i % 5 === 0;
    const wrong = Math.floor(i / 5) % 100 === 7;
    const name = `${rhel ? 'rhel' : 'fedora'}-${String(i).padStart(5, '0')}.qcow2`;
    out.push({ key: `${PREFIX}${name}`, acl: rhel !== wrong ? 'private' : 'public-read', rhel, wrong });
  }
  return out;
}

async function run(ctx) {
  const store = ctx.clusters.old;
  const concurrency = Number(ctx.options['audit-concurrency'] ?? 64);
  const all = objects();
  const expected = { exposed: all.filter((o) => o.rhel && o.wrong).length, notReadable: all.filter((o) => !o.rhel && o.wrong).length };
  const bundle = await snapshotBundle(ctx, 'audit-acl');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-audit-acl-'));
  const env = childEnv();
  const bucket = await createBucket(store, 'bench-audit');
  try {
    const t = Date.now();
    await putAll(store, bucket, all, 64);
    ctx.log(`${OBJECTS} objects written in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const subset = all.filter((_, i) => i % Math.floor(OBJECTS / CLI_SUBSET) === 0).slice(0, CLI_SUBSET);
    const keysFile = path.join(scratch, 'keys');
    fs.writeFileSync(keysFile, `${subset.map((o) => o.key).join('\n')}\n`);

    const cases = [
      { id: 'ours', label: 'ours (audit-acl bundle)', objects: OBJECTS, settings: `concurrency ${concurrency}, fix false, acl-checks required`, run: () => runOurs(bundle, store, bucket, concurrency, scratch, env, expected) },
      { id: 'raw', label: 'raw SDK loop', objects: OBJECTS, settings: `${concurrency} objects in flight, keep-alive`, run: () => runRaw(store, bucket, concurrency, env) },
      { id: 'aws', label: 'aws s3api get-object-acl', objects: subset.length, settings: `a process per object, ${CLI_PARALLEL} at once, ${subset.length} objects`, run: () => runAws(store, bucket, keysFile, env) },
    ];
    const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
    for (let r = 1; r <= ctx.repeat; r++) {
      for (const c of cases) {
        ctx.log(`round ${r}/${ctx.repeat}: ${c.label} (${c.settings})`);
        const m = await c.run();
        ctx.log(`  ${m.wallSeconds} s wall, ${m.cpuSeconds} s CPU, ${(c.objects / m.wallSeconds).toFixed(1)} objects/s`);
        samples[c.id].push(m);
      }
    }
    return tabulate(ctx, cases, samples);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    await dropBucket(store, bucket);
  }
}

function tabulate(ctx, cases, samples) {
  const rows = cases.map((c) => {
    const { wall, cpu, rss, runs } = summarize(samples[c.id]);
    return {
      tool: c.label,
      objects: c.objects,
      'wall s': round(wall, 2),
      'cpu s': round(cpu, 2),
      'objects/s': round(c.objects / wall, 1),
      'cpu ms/object': round((cpu * 1000) / c.objects, 3),
      'peak RSS MiB': round(rss, 1),
      settings: c.settings,
      _case: c.id,
      _runs: runs,
    };
  });
  const by = (id) => rows.find((r) => r._case === id);
  const vsRaw = by('ours')['objects/s'] / by('raw')['objects/s'];
  const vsAws = by('ours')['objects/s'] / by('aws')['objects/s'];
  for (const r of rows) r['vs raw'] = r._case === 'ours' ? `${vsRaw.toFixed(2)}x` : '';
  ctx.note(`goal: ours >= ${GOAL}x the raw SDK loop's objects/s: ${vsRaw.toFixed(2)}x -> ${vsRaw >= GOAL ? 'MET' : 'NOT MET'}`);
  ctx.note(`for context: ours vs the AWS CLI objects/s: ${vsAws.toFixed(0)}x (the CLI on ${CLI_SUBSET} objects, ACL read only)`);
  ctx.note('ours and the raw loop both list the bucket and send GetObjectAcl plus an anonymous HEAD per object; ours adds rules, policy evaluation, findings, the report file and the summary');
  if (ctx.repeat > 1) ctx.note(`figures are medians of ${ctx.repeat} runs`);
  const v = spawnSync(AWS, ['--version'], { encoding: 'utf8', env: childEnv() });
  ctx.note(`versions: node ${spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${(v.stdout || v.stderr || '?').trim().split(' ')[0]}`);
  return rows;
}

/** Writes every object with its canned ACL, `parallel` PUTs at once. */
async function putAll(store, bucket, all, parallel) {
  const c = client(store);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < all.length) {
        const o = all[next++];
        await c.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.key, ACL: o.acl }));
      }
    }),
  );
}

async function runOurs(bundle, store, bucket, concurrency, scratch, baseEnv, expected) {
  const output = path.join(scratch, 'github-output');
  const summary = path.join(scratch, 'step-summary');
  fs.writeFileSync(output, '');
  fs.writeFileSync(summary, '');
  const inputs = {
    stores: `${store.endpoint}/${bucket}/${PREFIX} credentials=env:OLD`,
    concurrency: String(concurrency),
    fix: 'false',
    'fail-on': 'never',
    'acl-checks': 'required',
    'report-path': path.join(scratch, 'report.json'),
  };
  const env = {
    ...baseEnv,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: scratch,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: scratch,
    OLD_ACCESS_KEY_ID: store.accessKey,
    OLD_SECRET_ACCESS_KEY: store.secretKey,
  };
  const m = await timed(NODE24, [bundle], { env, cwd: scratch });
  const outputs = parseOutputs(fs.readFileSync(output, 'utf8'));
  const counts = outputs.counts ? JSON.parse(outputs.counts) : {};
  if (m.code !== 0 || outputs['objects-checked'] !== String(OBJECTS) || counts.exposed !== expected.exposed || counts['not-readable'] !== expected.notReadable) {
    throw new Error(
      `audit-acl bundle: ${m.signal ?? `exit ${m.code}`}, outputs ${JSON.stringify(outputs)}, expected ${JSON.stringify(expected)}\n` +
        `--- stdout (tail) ---\n${m.stdout.slice(-4000)}\n--- stderr (tail) ---\n${m.stderr.slice(-4000)}`,
    );
  }
  return m;
}

async function runRaw(store, bucket, concurrency, baseEnv) {
  const env = { ...baseEnv, AWS_ACCESS_KEY_ID: store.accessKey, AWS_SECRET_ACCESS_KEY: store.secretKey, AWS_EC2_METADATA_DISABLED: 'true' };
  const m = await timed(NODE24, [path.join(REPO, 'bench', 'lib', 'raw-audit.js'), store.endpoint, bucket, String(concurrency)], { env, cwd: REPO });
  const r = m.code === 0 ? JSON.parse(m.stdout.trim().split('\n').pop()) : undefined;
  if (!r || r.objects !== OBJECTS) throw new Error(`raw SDK loop: ${m.signal ?? `exit ${m.code}`}: ${m.stdout.slice(-1000)} ${m.stderr.slice(-2000)}`);
  return m;
}

async function runAws(store, bucket, keysFile, baseEnv) {
  const env = awsCliEnv(store, baseEnv);
  const script = `xargs -P ${CLI_PARALLEL} -I KEY ${AWS} s3api get-object-acl --bucket ${bucket} --key KEY --endpoint-url ${store.endpoint} --output json < ${keysFile} > /dev/null`;
  const m = await timed('sh', ['-c', script], { env });
  if (m.code !== 0) throw new Error(`aws s3api get-object-acl: ${m.signal ?? `exit ${m.code}`}: ${m.stderr.slice(-2000)}`);
  return m;
}
