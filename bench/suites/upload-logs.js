'use strict';
/**
 * upload-logs: a tree of 10,000 small files (100 folders x 100 files of 4 KiB, random bytes, made
 * once under .bench/logs-tree) uploaded to ONE store (the "old" cluster) by
 *   - ours: the upload-logs action bundle, run as a GitHub runner runs it (no GitHub API calls);
 *   - `aws s3 cp --recursive`, with its defaults (10 requests at once) and with 64 at once;
 *   - `rclone copy` with 64 transfers and 64 checkers.
 * Each run goes to a fresh empty bucket, is checked from outside (every key under its prefix), and
 * the bucket is dropped afterwards. Goals: ours >= 1.2x rclone's and >= 2x the AWS CLI's (defaults)
 * objects per second, and no more client CPU per object than rclone.
 * Every tool runs over HTTP and over HTTPS (`--transport`, lib/transport.js), side by side, with the
 * client CPU TLS added; `--folders N` writes N folders of 100 files instead of 100, for a quick run.
 */
const { spawnSync } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { timed, round } = require('../lib/timed');
const { createBucket, dropBucket, listObjects } = require('../lib/s3');
const { REPO } = require('../lib/rgw');
const { summarize } = require('../lib/stats');
const { NODE24, AWS, RCLONE, awsCliEnv, childEnv, parseOutputs, rcloneEnv, snapshotBundle } = require('../lib/tools');
const { TRANSPORT_OPTION, addTlsCost, awsCaArgs, over, rcloneCaArgs, storeCaOption, transportsOf } = require('../lib/transport');

const FOLDERS_DEFAULT = 100;
const FILES_PER_FOLDER = 100;
// Set from --folders when a run starts (module state: the suite runs once per bench process).
let FOLDERS = FOLDERS_DEFAULT;
let FILE_COUNT = FOLDERS * FILES_PER_FOLDER;
const FILE_BYTES = 4096;
const ACTION_YML = path.join(REPO, 'actions', 'upload-logs', 'action.yml');
const PREFIX = 'logs'; // where the other tools write, in their fresh bucket
const GOALS = { vsRclone: 1.2, vsAws: 2 };

module.exports = {
  name: 'upload-logs',
  description: `a tree of ${FILE_COUNT} files of ${FILE_BYTES / 1024} KiB to one store: ours vs AWS CLI (defaults, 64 requests) and rclone (64 transfers), over HTTP and HTTPS`,
  options: {
    'files-in-flight': "the action's files-in-flight input (default: action.yml's)",
    folders: `folders of ${FILES_PER_FOLDER} files in the tree (default ${FOLDERS_DEFAULT}); fewer for a quick run`,
    ...TRANSPORT_OPTION,
  },
  run,
};

async function run(ctx) {
  const store = ctx.clusters.old;
  FOLDERS = Number(ctx.options.folders ?? FOLDERS_DEFAULT);
  if (!Number.isInteger(FOLDERS) || FOLDERS < 1) throw new Error(`--folders must be a whole number >= 1, got ${JSON.stringify(ctx.options.folders)}`);
  FILE_COUNT = FOLDERS * FILES_PER_FOLDER;
  const transports = transportsOf(ctx.options);
  const tree = path.join(ctx.workDir, FOLDERS === FOLDERS_DEFAULT ? 'logs-tree' : `logs-tree-${FOLDERS}`);
  const rels = ensureTree(tree, ctx.log);
  const bundle = await snapshotBundle(ctx, 'upload-logs');
  const defaults = actionDefaults();
  const filesInFlight = ctx.options['files-in-flight'];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-upload-logs-'));
  const env = childEnv();
  const awsConfig = path.join(scratch, 'aws-config');
  fs.writeFileSync(awsConfig, '[default]\ns3 =\n  max_concurrent_requests = 64\n');

  // Each tool over each transport; `s` is the store as the tool reaches it, `store` the one the bench reads back.
  const cases = transports.flatMap((t) => {
    const s = over(store, t);
    return [
      {
        tool: 'ours',
        label: 'ours',
        settings: `files-in-flight ${filesInFlight ?? `${defaults['files-in-flight']} (default)`}, visibility public, redact true`,
        run: (bucket) => runOurs(bundle, tree, s, bucket, defaults, filesInFlight, scratch, env),
      },
      { tool: 'aws', label: 'aws s3 cp --recursive', settings: 'defaults: 10 requests', run: (bucket) => runAws(tree, s, bucket, '/dev/null', env) },
      { tool: 'aws-64', label: 'aws s3 cp --recursive', settings: 'max_concurrent_requests 64', run: (bucket) => runAws(tree, s, bucket, awsConfig, env) },
      { tool: 'rclone', label: 'rclone copy', settings: '--transfers 64 --checkers 64', run: (bucket) => runRclone(tree, s, bucket, scratch, env) },
    ].map((c) => ({ ...c, id: `${c.tool}-${t}`, transport: t }));
  });

  const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
  try {
    for (let round = 1; round <= ctx.repeat; round++) {
      for (const c of cases) {
        ctx.log(`round ${round}/${ctx.repeat}: ${c.label} over ${c.transport} (${c.settings})`);
        const bucket = await createBucket(store, `bench-logs-${c.id}`);
        try {
          const { measured, prefix, extra } = await c.run(bucket);
          ctx.log(`  ${measured.wallSeconds} s wall, ${measured.cpuSeconds} s CPU, ${measured.peakRssMiB} MiB peak RSS`);
          await checkStored(store, bucket, prefix, rels, extra);
          samples[c.id].push(measured);
        } finally {
          const t = Date.now();
          await dropBucket(store, bucket);
          ctx.log(`  bucket dropped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
        }
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const rows = transports.flatMap((t) => tabulate(ctx, cases.filter((c) => c.transport === t), samples, t));
  ctx.note(`ours also writes index.html under its prefix (${FILE_COUNT + 1} objects); the others write the ${FILE_COUNT} files only`);
  if (ctx.repeat > 1) ctx.note(`figures are medians of ${ctx.repeat} runs`);
  ctx.note(`versions: ${toolVersions()}`);
  return addTlsCost(rows);
}

/** The rows of one transport, its ratios and its goals' verdicts (notes prefixed with the transport). */
function tabulate(ctx, cases, samples, transport) {
  const rows = cases.map((c) => {
    const ms = samples[c.id];
    const { wall, cpu, rss, runs } = summarize(ms);
    return {
      tool: c.label,
      transport,
      'wall s': round(wall, 2),
      'cpu s': round(cpu, 2),
      'objects/s': round(FILE_COUNT / wall, 1),
      'cpu ms/object': round((cpu * 1000) / FILE_COUNT, 3),
      'peak RSS MiB': round(rss, 1),
      ...(ctx.repeat > 1 ? { 'wall s, each run': ms.map((m) => m.wallSeconds.toFixed(2)) } : {}),
      settings: c.settings,
      _case: c.id,
      _tool: c.tool,
      _runs: runs,
    };
  });
  const by = (tool) => rows.find((r) => r._tool === tool);
  const ours = by('ours');
  const vsRclone = ours['objects/s'] / by('rclone')['objects/s'];
  const vsAws = ours['objects/s'] / by('aws')['objects/s'];
  const vsAws64 = ours['objects/s'] / by('aws-64')['objects/s'];
  ours['vs rclone'] = `${vsRclone.toFixed(2)}x`;
  ours['vs aws defaults'] = `${vsAws.toFixed(2)}x`;
  // Columns in a fixed place: every row gets the ratio columns, empty except ours.
  for (const r of rows) {
    if (r !== ours) {
      r['vs rclone'] = '';
      r['vs aws defaults'] = '';
    }
  }
  const verdict = (ok) => (ok ? 'MET' : 'NOT MET');
  const note = (text) => ctx.note(`${transport}: ${text}`);
  note(`goal: ours >= ${GOALS.vsRclone}x rclone objects/s: ${vsRclone.toFixed(2)}x -> ${verdict(vsRclone >= GOALS.vsRclone)}`);
  note(`goal: ours >= ${GOALS.vsAws}x aws (defaults) objects/s: ${vsAws.toFixed(2)}x -> ${verdict(vsAws >= GOALS.vsAws)}`);
  const cpuOurs = ours['cpu ms/object'];
  const cpuRclone = by('rclone')['cpu ms/object'];
  note(`goal: ours CPU per object <= rclone's: ${cpuOurs.toFixed(3)} vs ${cpuRclone.toFixed(3)} ms -> ${verdict(cpuOurs <= cpuRclone)}`);
  note(`for context: ours vs aws (64 requests) objects/s: ${vsAws64.toFixed(2)}x`);
  return rows;
}

// ------------------------------------------------------------------------------------------------
// The tree

/** The relative paths of the test tree's files, in a fixed order. */
function treeRels() {
  const rels = [];
  for (let d = 0; d < FOLDERS; d++) for (let f = 0; f < FILES_PER_FOLDER; f++) rels.push(`job-${String(d).padStart(3, '0')}/step-${String(f).padStart(3, '0')}.log`);
  return rels;
}

/**
 * Makes `dir` hold the test tree unless it already does (every file there, of the right size).
 * Written under a temporary name and renamed, so an interrupted run never leaves half a tree.
 */
function ensureTree(dir, log) {
  const rels = treeRels();
  const complete = () => {
    try {
      return rels.every((r) => fs.statSync(path.join(dir, r)).size === FILE_BYTES) && fs.readdirSync(dir).length === FOLDERS;
    } catch {
      return false;
    }
  };
  if (complete()) return rels;
  log(`writing ${FILE_COUNT} files of ${FILE_BYTES} random bytes under ${dir}`);
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  for (let d = 0; d < FOLDERS; d++) fs.mkdirSync(path.join(tmp, `job-${String(d).padStart(3, '0')}`), { recursive: true });
  for (const r of rels) fs.writeFileSync(path.join(tmp, r), randomBytes(FILE_BYTES));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return rels;
}

/** The bucket must hold exactly the tree's files under `prefix` (plus `extra` keys, for ours). */
async function checkStored(store, bucket, prefix, rels, extra = []) {
  const objects = await listObjects(store, bucket, prefix);
  const expected = new Set([...rels, ...extra].map((r) => `${prefix}${r}`));
  const found = new Set(objects.map((o) => o.key));
  const missing = [...expected].filter((k) => !found.has(k));
  const unexpected = [...found].filter((k) => !expected.has(k));
  const fileKeys = new Set(rels.map((r) => `${prefix}${r}`));
  const badSize = objects.filter((o) => fileKeys.has(o.key) && o.size !== FILE_BYTES);
  const fileCount = objects.length - extra.filter((e) => found.has(`${prefix}${e}`)).length;
  if (fileCount !== rels.length || missing.length > 0 || unexpected.length > 0 || badSize.length > 0) {
    throw new Error(
      `${store.name}/${bucket}/${prefix}: expected ${rels.length} files${extra.length ? ` + ${extra.join(', ')}` : ''}, found ${objects.length} objects; ` +
        `missing ${missing.length} (${missing.slice(0, 3).join(', ')}), unexpected ${unexpected.length} (${unexpected.slice(0, 3).join(', ')}), wrong size ${badSize.length}`,
    );
  }
}

// ------------------------------------------------------------------------------------------------
// The tools

function toolVersions() {
  const first = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: childEnv() });
    return (r.stdout || r.stderr || '?').trim().split('\n')[0];
  };
  return [`node ${first(NODE24, ['--version'])}`, first(AWS, ['--version']).split(' ')[0], first('env', ['-u', 'AWS_CA_BUNDLE', RCLONE, 'version'])].join(', ');
}



/**
 * Every input's default from action.yml, as the runner passes them (INPUT_NAME, even when empty).
 * A small reader for this file's layout: `  name:` blocks under `inputs:`, `    default: 'VALUE'`.
 */
function actionDefaults() {
  const yml = fs.readFileSync(ACTION_YML, 'utf8');
  const section = yml.slice(yml.indexOf('\ninputs:\n'), yml.indexOf('\noutputs:\n'));
  const defaults = {};
  let current;
  for (const line of section.split('\n')) {
    const name = /^ {2}([a-z][a-z0-9-]*):\s*$/.exec(line);
    if (name) current = name[1];
    const def = /^ {4}default: (.*)$/.exec(line);
    if (def && current) {
      let v = def[1].trim();
      if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1).replace(/''/g, "'");
      defaults[current] = v;
    }
  }
  return defaults;
}

/**
 * The action bundle under Node 24 as a runner runs it: every input (action.yml's defaults, then
 * ours), the workflow context for the default prefix template, GITHUB_OUTPUT and the job summary.
 * No token, so nothing talks to the GitHub API (no status or comment is asked for anyway).
 */
async function runOurs(bundle, tree, store, bucket, defaults, filesInFlight, scratch, baseEnv) {
  const ws = path.dirname(tree);
  const output = path.join(scratch, 'github-output');
  const summary = path.join(scratch, 'step-summary');
  fs.writeFileSync(output, '');
  fs.writeFileSync(summary, '');
  const inputs = {
    ...defaults,
    'github-token': '', // the runner would pass ${{ github.token }}: none here, so no API calls
    path: path.basename(tree),
    stores: `${store.endpoint}/${bucket} credentials=env:OLD${storeCaOption(store)}`,
    ...(filesInFlight !== undefined ? { 'files-in-flight': filesInFlight } : {}),
  };
  const runId = String(Date.now());
  const env = {
    ...baseEnv,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v])),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ws,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_REPOSITORY: 'ci-stores/bench',
    GITHUB_REPOSITORY_OWNER: 'ci-stores',
    GITHUB_SHA: createHash('sha1').update(runId).digest('hex'),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'bench',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9', // never used; a call by mistake fails at once instead of reaching GitHub
    RUNNER_TEMP: scratch,
    OLD_ACCESS_KEY_ID: store.accessKey,
    OLD_SECRET_ACCESS_KEY: store.secretKey,
  };
  const m = await timed(NODE24, [bundle], { env, cwd: ws });
  const outputs = parseOutputs(fs.readFileSync(output, 'utf8'));
  if (m.code !== 0 || outputs.files !== String(FILE_COUNT) || !outputs.prefix) {
    throw new Error(
      `upload-logs bundle failed: ${m.signal ?? `exit ${m.code}`}, outputs ${JSON.stringify(outputs)}\n` +
        `--- stdout (tail) ---\n${m.stdout.slice(-4000)}\n--- stderr (tail) ---\n${m.stderr.slice(-4000)}`,
    );
  }
  for (const f of fs.readdirSync(scratch)) if (/^upload-logs-.*\.json$/.test(f)) fs.rmSync(path.join(scratch, f)); // the JSON report
  return { measured: m, prefix: outputs.prefix, extra: ['index.html'] };
}


/** `aws s3 cp --recursive`, with the config file given (/dev/null: the defaults). */
async function runAws(tree, store, bucket, configFile, baseEnv) {
  const env = awsCliEnv(store, baseEnv, configFile);
  const m = await timed(AWS, ['s3', 'cp', tree, `s3://${bucket}/${PREFIX}`, '--recursive', '--only-show-errors', '--endpoint-url', store.endpoint, ...awsCaArgs(store)], { env });
  if (m.code !== 0) throw new Error(`aws s3 cp --recursive to ${store.name} failed (${m.signal ?? `exit ${m.code}`}):\n${m.stderr.slice(-4000)}`);
  return { measured: m, prefix: `${PREFIX}/` };
}

/** `rclone copy`, configured only by environment variables, 64 transfers and checkers. */
async function runRclone(tree, store, bucket, scratch, baseEnv) {
  const env = rcloneEnv({ OLD: store }, scratch, baseEnv);
  // rclone 1.60 fails while AWS_CA_BUNDLE is set (as it is on these machines).
  const m = await timed('env', ['-u', 'AWS_CA_BUNDLE', RCLONE, 'copy', tree, `old:${bucket}/${PREFIX}`, '--transfers', '64', '--checkers', '64', ...rcloneCaArgs(store)], { env });
  if (m.code !== 0) throw new Error(`rclone copy to ${store.name} failed (${m.signal ?? `exit ${m.code}`}):\n${m.stderr.slice(-4000)}`);
  return { measured: m, prefix: `${PREFIX}/` };
}
