'use strict';
/**
 * upload-image: one 2 GiB image written to two stores (the "old" and the "new" cluster), by
 *   - ours, plain name: the action bundle hashes the file, then uploads it to both stores at once;
 *   - ours, content-addressed name: the sha256 is in the name, so there is no hashing pass;
 *   - the AWS CLI and rclone, with their default settings, to one store and then the other
 *     (what a workflow does today without a dual-writing tool).
 * Every upload goes to a fresh empty bucket on each cluster, is checked from outside (key, size),
 * and is deleted afterwards. The goal: ours takes at most half the wall time of the AWS CLI's two
 * sequential uploads over HTTP, and at most 0.65x over HTTPS.
 * Every tool runs over HTTP and over HTTPS (`--transport`, lib/transport.js), side by side, with the
 * client CPU TLS added; `--image-mib N` uploads an image of N MiB instead of 2 GiB, for a quick run.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { timed, round } = require('../lib/timed');
const { createBucket, dropBucket, listObjects, headObject } = require('../lib/s3');
const { collectGarbage, REPO } = require('../lib/rgw');
const { ensureRandomFile, sha256OfFile, hardLink } = require('../lib/files');
const { median, summarize } = require('../lib/stats');
const { NODE24, AWS, RCLONE, awsCliEnv, childEnv, parseOutputs, rcloneEnv, snapshotBundle } = require('../lib/tools');
const { TRANSPORT_OPTION, addTlsCost, awsCaArgs, curlCaArgs, over, rcloneCaArgs, storeCaOption, transportsOf } = require('../lib/transport');

const IMAGE_MIB_DEFAULT = 2048;
// Set from --image-mib when a run starts (module state: the suite runs once per bench process).
let IMAGE_MIB = IMAGE_MIB_DEFAULT;
let IMAGE_BYTES = IMAGE_MIB * 1024 ** 2;
/** Ours over the AWS CLI's two sequential uploads, at most: issue 11 allows TLS's cost over HTTPS. */
const GOAL_RATIO = { http: 0.5, https: 0.65 };

module.exports = {
  name: 'upload-image',
  description: 'a 2 GiB image to two stores: ours (plain and content-addressed name) vs AWS CLI and rclone, one store after the other',
  options: {
    'part-size': "the action's part-size input (default: action.yml's)",
    concurrency: "the action's concurrency input (default: action.yml's)",
    'image-mib': `the image's size in MiB (default ${IMAGE_MIB_DEFAULT}); smaller for a quick run`,
    ...TRANSPORT_OPTION,
  },
  run,
};

async function run(ctx) {
  IMAGE_MIB = Number(ctx.options['image-mib'] ?? IMAGE_MIB_DEFAULT);
  if (!Number.isInteger(IMAGE_MIB) || IMAGE_MIB < 1) throw new Error(`--image-mib must be a whole number >= 1, got ${JSON.stringify(ctx.options['image-mib'])}`);
  IMAGE_BYTES = IMAGE_MIB * 1024 ** 2;
  const transports = transportsOf(ctx.options);
  // The 2 GiB image where it always was; another size in a folder of its own.
  const dir = IMAGE_MIB === IMAGE_MIB_DEFAULT ? ctx.workDir : path.join(ctx.workDir, `image-${IMAGE_MIB}MiB`);
  fs.mkdirSync(dir, { recursive: true });
  const image = path.join(dir, 'bench-image.qcow2');
  ensureRandomFile(image, IMAGE_BYTES, ctx.log);
  ctx.log('sha256 of the image (cached in .bench/ for reruns)');
  const sha256 = await sha256OfFile(image);
  const addressed = path.join(dir, `bench-image-${sha256}.qcow2`);
  for (const f of fs.readdirSync(dir)) {
    // Links left from an image of other content would only confuse.
    if (/^bench-image-[0-9a-f]{64}\.qcow2$/.test(f) && path.join(dir, f) !== addressed) fs.rmSync(path.join(dir, f));
  }
  hardLink(image, addressed);

  const bundle = await snapshotBundle(ctx, 'upload-image');
  const inputs = actionInputs(ctx.options);
  const ourSettings = `part-size ${inputs.partSize.value}${inputs.partSize.given ? '' : ' (default)'}, concurrency ${inputs.concurrency.value}${inputs.concurrency.given ? '' : ' (default)'}`;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-upload-image-'));
  const env = childEnv();

  // Each case uploads once per round and says which steps it timed; a step is one command.
  const cases = transports.flatMap((t) => {
    const oldStore = over(ctx.clusters.old, t);
    const newStore = over(ctx.clusters.new, t);
    const clusters = { old: oldStore, new: newStore };
    return [
      {
        id: 'ours-plain',
        label: 'ours, plain name',
        settings: ourSettings,
        steps: (b) => [{ store: 'old+new', run: () => runOurs(bundle, image, clusters, b, inputs, scratch, env) }],
      },
      {
        id: 'ours-sha256',
        label: 'ours, sha256 in name',
        settings: ourSettings,
        steps: (b) => [{ store: 'old+new', run: () => runOurs(bundle, addressed, clusters, b, inputs, scratch, env) }],
      },
      {
        id: 'aws-cli',
        label: 'aws s3 cp',
        settings: 'defaults: 8 MiB parts, 10 requests',
        steps: (b) => [
          { store: 'old', run: () => runAws(image, oldStore, b.old, env) },
          { store: 'new', run: () => runAws(image, newStore, b.new, env) },
        ],
      },
      {
        id: 'rclone',
        label: 'rclone copyto',
        settings: 'defaults: 5 MiB chunks, 4 streams',
        steps: (b) => [
          { store: 'old', run: () => runRclone(image, oldStore, 'OLD', b.old, scratch, env) },
          { store: 'new', run: () => runRclone(image, newStore, 'NEW', b.new, scratch, env) },
        ],
      },
      {
        // For context only: what one plain HTTP stream per store achieves, with no multipart and no hashing.
        id: 'curl',
        label: 'curl PUT (raw)',
        settings: 'one PUT, UNSIGNED-PAYLOAD',
        steps: (b) => [
          { store: 'old', run: () => runCurl(image, oldStore, b.old, env) },
          { store: 'new', run: () => runCurl(image, newStore, b.new, env) },
        ],
      },
      {
        // The raw floor of a dual write: the same two PUTs at the same time, one measurement.
        id: 'curl-both',
        label: 'curl PUT (raw), both at once',
        settings: 'one PUT per store, UNSIGNED-PAYLOAD, in parallel',
        steps: (b) => [{ store: 'old+new', run: () => runCurlBoth(image, [[oldStore, b.old], [newStore, b.new]], env) }],
      },
    ].map((c) => ({ ...c, tool: c.id, id: `${c.id}-${t}`, transport: t }));
  });
  const keyOf = { 'ours-plain': path.basename(image), 'ours-sha256': path.basename(addressed) }; // the others: bench-image.qcow2
  const { old: oldStore, new: newStore } = ctx.clusters; // as the bench reads them back

  // samples[caseId][stepIndex] = measurements, one per round. Rounds go through every case in
  // turn, so that a slow patch of the machine does not land on one tool only.
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
  try {
    for (let round = 1; round <= ctx.repeat; round++) {
      for (const c of cases) {
        ctx.log(`round ${round}/${ctx.repeat}: ${c.label} over ${c.transport}`);
        const buckets = { old: await createBucket(oldStore, `bench-${c.id}`), new: await createBucket(newStore, `bench-${c.id}`) };
        try {
          const steps = c.steps(buckets);
          for (let i = 0; i < steps.length; i++) {
            // Every tool starts with the image in the page cache: the bluestore writes of the run
            // before can evict it, and whoever reads first would pay for the disk.
            await warmPageCache(image);
            const m = await steps[i].run();
            ctx.log(`  ${steps[i].store}: ${m.wallSeconds} s wall, ${m.cpuSeconds} s CPU, ${m.peakRssMiB} MiB peak RSS`);
            (samples[c.id][i] ??= []).push(m);
          }
          await checkStored(ctx.clusters, buckets, keyOf[c.tool] ?? 'bench-image.qcow2', c.tool.startsWith('ours') ? sha256 : undefined);
        } finally {
          // Free the space at once: each round writes 4 GiB in all.
          for (const id of ['old', 'new']) {
            await dropBucket(ctx.clusters[id], buckets[id]);
            await collectGarbage(ctx.clusters[id]);
          }
        }
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const rows = transports.flatMap((t) => tabulate(ctx, cases.filter((c) => c.transport === t), samples, t));
  if (ctx.repeat > 1) ctx.note(`figures are medians of ${ctx.repeat} runs`);
  ctx.note(`versions: ${toolVersions()}`);
  return addTlsCost(rows);
}

/** Rows for the table: per case the dual-write figure, plus each store's for the sequential tools. */
function tabulate(ctx, cases, samples, transport) {
  // Per case and round: the total over its steps (wall and CPU add up, memory is the larger).
  const totals = (id) =>
    samples[id][0].map((_, r) => {
      const ms = samples[id].map((step) => step[r]);
      return {
        wallSeconds: ms.reduce((s, m) => s + m.wallSeconds, 0),
        cpuSeconds: ms.reduce((s, m) => s + m.cpuSeconds, 0),
        peakRssMiB: Math.max(...ms.map((m) => m.peakRssMiB)),
      };
    });
  const awsWall = median(totals(`aws-cli-${transport}`).map((t) => t.wallSeconds));
  const row = (c, stores, ms, dual) => {
    const { wall, cpu, rss, runs } = summarize(ms);
    return {
      tool: c.label,
      transport,
      stores,
      'wall s': round(wall, 2),
      'cpu s': round(cpu, 2),
      'peak RSS MiB': round(rss, 1),
      'MiB/s': round(((dual ? 2 : 1) * IMAGE_MIB) / wall, 1), // bytes delivered to the stores
      'vs aws seq': dual ? `${(wall / awsWall).toFixed(2)}x` : '',
      ...(ctx.repeat > 1 ? { 'wall s, each run': ms.map((m) => m.wallSeconds.toFixed(2)) } : {}),
      settings: c.settings,
      _case: c.id,
      _tool: c.tool,
      // results.json only: every run's figures, without the output tails
      _runs: runs,
    };
  };

  const rows = [];
  for (const c of cases) {
    if (samples[c.id].length === 1) {
      rows.push(row(c, 'old+new', samples[c.id][0], true));
    } else {
      rows.push(row(c, 'old', samples[c.id][0], false), row(c, 'new', samples[c.id][1], false));
      rows.push(row(c, 'old, then new', totals(c.id), true));
    }
  }
  for (const tool of ['ours-plain', 'ours-sha256']) {
    const r = rows.find((x) => x._tool === tool);
    const ratio = r['wall s'] / awsWall;
    const goal = GOAL_RATIO[transport];
    ctx.note(`${transport}: goal: ${r.tool} <= ${goal}x aws-sequential: ${ratio.toFixed(2)}x -> ${ratio <= goal ? 'MET' : 'NOT MET'}`);
  }
  return rows;
}

// ------------------------------------------------------------------------------------------------
// The tools

function toolVersions() {
  const first = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: childEnv() });
    return (r.stdout || r.stderr || '?').trim().split('\n')[0];
  };
  return [`node ${first(NODE24, ['--version'])}`, first(AWS, ['--version']).split(' ')[0], first('env', ['-u', 'AWS_CA_BUNDLE', RCLONE, 'version']), first('curl', ['--version']).split(' ').slice(0, 2).join(' ')].join(', ');
}



/** part-size and concurrency: given as bench options, or action.yml's defaults (for the record). */
function actionInputs(options) {
  const yml = fs.readFileSync(path.join(REPO, 'actions', 'upload-image', 'action.yml'), 'utf8');
  const byDefault = (input) => {
    // `  input:` ... `    default: 'VALUE'`, within that input's block.
    const m = new RegExp(`^  ${input}:\\n(?:    .*\\n)*?    default: '?([^'\\n]*)'?$`, 'm').exec(yml);
    return m ? m[1] : '?';
  };
  const pick = (input) => (options[input] !== undefined ? { value: options[input], given: true } : { value: byDefault(input), given: false });
  return { partSize: pick('part-size'), concurrency: pick('concurrency') };
}

/** The action bundle under Node 24, as a GitHub runner runs it; fails unless both stores were written. */
async function runOurs(bundle, file, clusters, buckets, inputs, scratch, baseEnv) {
  const ws = path.dirname(file);
  const output = path.join(scratch, 'github-output');
  const summary = path.join(scratch, 'step-summary');
  fs.writeFileSync(output, '');
  fs.writeFileSync(summary, '');
  const { old: oldStore, new: newStore } = clusters;
  const env = {
    ...baseEnv,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ws,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: scratch,
    INPUT_FILES: file,
    INPUT_STORES: `${oldStore.endpoint}/${buckets.old} credentials=env:OLD${storeCaOption(oldStore)}\n${newStore.endpoint}/${buckets.new} credentials=env:NEW${storeCaOption(newStore)}`,
    OLD_ACCESS_KEY_ID: oldStore.accessKey,
    OLD_SECRET_ACCESS_KEY: oldStore.secretKey,
    NEW_ACCESS_KEY_ID: newStore.accessKey,
    NEW_SECRET_ACCESS_KEY: newStore.secretKey,
  };
  if (inputs.partSize.given) env.INPUT_PART_SIZE = inputs.partSize.value;
  if (inputs.concurrency.given) env.INPUT_CONCURRENCY = inputs.concurrency.value;
  const m = await timed(NODE24, [bundle], { env, cwd: ws });
  const outputs = parseOutputs(fs.readFileSync(output, 'utf8'));
  if (m.code !== 0 || outputs.uploaded !== '2') {
    throw new Error(
      `upload-image bundle failed: ${m.signal ?? `exit ${m.code}`}, outputs ${JSON.stringify(outputs)}\n` +
        `--- stdout (tail) ---\n${m.stdout.slice(-4000)}\n--- stderr (tail) ---\n${m.stderr.slice(-4000)}`,
    );
  }
  return m;
}


/** `aws s3 cp` to one store, default transfer settings. */
async function runAws(file, store, bucket, baseEnv) {
  const env = awsCliEnv(store, baseEnv);
  const m = await timed(AWS, ['s3', 'cp', file, `s3://${bucket}/bench-image.qcow2`, '--endpoint-url', store.endpoint, ...awsCaArgs(store)], { env });
  // aws-cli 2.9 crashes on RGW's empty error messages, so its stderr may say little: show it all.
  if (m.code !== 0) throw new Error(`aws s3 cp to ${store.name} failed (${m.signal ?? `exit ${m.code}`}):\n${m.stderr.slice(-4000)}`);
  return m;
}

/** `rclone copyto` to one store, configured only by environment variables, default settings. */
async function runRclone(file, store, remote, bucket, scratch, baseEnv) {
  const env = rcloneEnv({ [remote]: store }, scratch, baseEnv);
  // rclone 1.60 fails while AWS_CA_BUNDLE is set (as it is on these machines).
  const m = await timed('env', ['-u', 'AWS_CA_BUNDLE', RCLONE, 'copyto', file, `${remote.toLowerCase()}:${bucket}/bench-image.qcow2`, ...rcloneCaArgs(store)], { env });
  if (m.code !== 0) throw new Error(`rclone copyto to ${store.name} failed (${m.signal ?? `exit ${m.code}`}):\n${m.stderr.slice(-4000)}`);
  return m;
}

/**
 * One signed PUT with curl's own SigV4 (curl >= 7.75). curl 7.88 does not send the
 * x-amz-content-sha256 header that S3 requires, so it is given, as UNSIGNED-PAYLOAD: hashing the
 * body first would make this no longer a raw baseline.
 */
async function runCurl(file, store, bucket, baseEnv) {
  const m = await timed('curl', curlArgs(file, store, bucket), { env: baseEnv });
  if (m.code !== 0) throw new Error(`curl PUT to ${store.name} failed (${m.signal ?? `exit ${m.code}`}):\n${m.stderr.slice(-4000)}`);
  return m;
}

function curlArgs(file, store, bucket) {
  return ['-sS', '--fail-with-body', '-o', '/dev/null', '--aws-sigv4', `aws:amz:${store.region}:s3`, '--user', `${store.accessKey}:${store.secretKey}`,
    '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', ...curlCaArgs(store), '-T', file, `${store.endpoint}/${bucket}/bench-image.qcow2`];
}

/** Both stores' PUTs of runCurl at the same time, under one GNU time (a shell starts both and waits for both). */
async function runCurlBoth(file, targets, baseEnv) {
  const quote = (a) => `'${a.replace(/'/g, "'\\''")}'`;
  const line = (store, bucket) => ['curl', ...curlArgs(file, store, bucket)].map(quote).join(' ');
  const script = `${line(...targets[0])} & a=$!; ${line(...targets[1])} & b=$!; wait $a; ra=$?; wait $b; rb=$?; [ $ra -eq 0 ] && [ $rb -eq 0 ]`;
  const m = await timed('bash', ['-c', script], { env: baseEnv });
  if (m.code !== 0) throw new Error(`curl PUTs to both stores failed (${m.signal ?? `exit ${m.code}`}):\n${m.stderr.slice(-4000)}`);
  return m;
}

/** Each store's bucket must hold exactly the one key, of the image's size (and sha256 metadata, for ours). */
/** Reads a file once, so that the next reader finds it in the page cache. */
async function warmPageCache(path) {
  const handle = await fs.promises.open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(8 << 20);
    while ((await handle.read(buffer, 0, buffer.length, null)).bytesRead > 0);
  } finally {
    await handle.close();
  }
}

async function checkStored(clusters, buckets, key, sha256) {
  for (const id of ['old', 'new']) {
    const objects = await listObjects(clusters[id], buckets[id]);
    if (objects.length !== 1 || objects[0].key !== key || objects[0].size !== IMAGE_BYTES) {
      throw new Error(`${id}/${buckets[id]}: expected only ${key} of ${IMAGE_BYTES} bytes, found ${JSON.stringify(objects)}`);
    }
    if (sha256 !== undefined) {
      const h = await headObject(clusters[id], buckets[id], key);
      if (h.metadata.sha256 !== sha256) throw new Error(`${id}/${buckets[id]}/${key}: sha256 metadata ${h.metadata.sha256}, expected ${sha256}`);
    }
  }
}
