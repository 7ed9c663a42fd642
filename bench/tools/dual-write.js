'use strict';
/**
 * One dual write of the upload-image suite's image, case by case, against two clusters already
 * running (`scripts/rgw start --tls`, or a bench run with `--keep`), with what each case cost the
 * servers: the CPU of both clusters' radosgw, ceph-osd and ceph-mon, read from /proc before and
 * after, beside the client's wall and CPU time (GNU time, as the suite measures). Made to find
 * where a dual write's time goes on a machine whose cores the servers share with the client.
 *
 * Usage: node bench/tools/dual-write.js [--clusters STEM] [--mib N] [--repeat R] [--transport https|http] CASE...
 *   STEM: the clusters STEM-old and STEM-new under .rgw/ (default bench)
 *   CASE: aws            `aws s3 cp`, old then new
 *         curl-seq       one unsigned PUT per store, old then new
 *         curl-par       the same two PUTs at once
 *         ours:NAME=BUNDLE[:VAR=VALUE,...]   an upload-image bundle, plain name, with extra
 *                        environment (INPUT_PART_SIZE=64MiB, INPUT_CONCURRENCY=2, ...)
 *         sha:NAME=BUNDLE[:...]              the same on the content-addressed name
 * Cases run in turn, R rounds; each writes into fresh buckets (dropped after, RGW's garbage
 * collected), ours is checked from outside (one key, size, sha256 metadata). Prints each run and
 * the medians, with each case's wall time over the AWS CLI's median when `aws` is among the cases,
 * and the whole machine's busy and idle CPU seconds during each case (others' work included).
 * TIMELINE=1 prints the bundle's log lines with the seconds since it started instead of timing it;
 * PERF=FILE runs it under `perf record -g` (with --perf-basic-prof) into FILE.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const REPO = path.resolve(__dirname, '..', '..');
const { timed } = require(`${REPO}/bench/lib/timed`);
const { createBucket, dropBucket, listObjects, headObject, closeClients } = require(`${REPO}/bench/lib/s3`);
const { describe, collectGarbage } = require(`${REPO}/bench/lib/rgw`);
const { ensureRandomFile, sha256OfFile, hardLink } = require(`${REPO}/bench/lib/files`);
const { NODE24, AWS, awsCliEnv, childEnv, parseOutputs } = require(`${REPO}/bench/lib/tools`);
const { over, storeCaOption, awsCaArgs, curlCaArgs } = require(`${REPO}/bench/lib/transport`);

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return d;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const MIB = Number(opt('mib', 512));
const REPEAT = Number(opt('repeat', 1));
const TRANSPORT = opt('transport', 'https');
const STEM = opt('clusters', 'bench');
const CASES = args;
const BYTES = MIB * 1024 ** 2;

/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;
function serverCpu(name) {
  let total = 0;
  const dir = path.join(REPO, '.rgw', name);
  const per = {};
  for (const role of ['rgw', 'osd', 'mon']) {
    const pid = fs.readFileSync(path.join(dir, `${role}.pid`), 'utf8').trim();
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const t = (Number(f[11]) + Number(f[12])) / TICKS; // utime + stime
    per[role] = t;
    total += t;
  }
  return { total, per };
}
function cpuAll() {
  const o = serverCpu(`${STEM}-old`);
  const n = serverCpu(`${STEM}-new`);
  return { total: o.total + n.total, rgw: o.per.rgw + n.per.rgw, osd: o.per.osd + n.per.osd, mon: o.per.mon + n.per.mon };
}
function procStat() {
  const l = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return { busy: l[0] + l[1] + l[2] + l[5] + l[6] + l[7], idle: l[3] + l[4] };
}

async function warm(p) {
  const h = await fs.promises.open(p, 'r');
  const b = Buffer.allocUnsafe(8 << 20);
  while ((await h.read(b, 0, b.length, null)).bytesRead > 0);
  await h.close();
}

async function main() {
  const clusters = { old: describe(`${STEM}-old`), new: describe(`${STEM}-new`) };
  const dir = MIB === 2048 ? path.join(REPO, '.bench') : path.join(REPO, '.bench', `image-${MIB}MiB`);
  fs.mkdirSync(dir, { recursive: true });
  const image = path.join(dir, 'bench-image.qcow2');
  ensureRandomFile(image, BYTES, console.error);
  const sha256 = await sha256OfFile(image);
  const addressed = path.join(dir, `bench-image-${sha256}.qcow2`);
  hardLink(image, addressed);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dual-write-'));
  const env = childEnv();
  const o = over(clusters.old, TRANSPORT);
  const n = over(clusters.new, TRANSPORT);
  const results = {};
  for (let r = 0; r < REPEAT; r++) {
    for (const c of CASES) {
      const b = { old: await createBucket(clusters.old, 'x'), new: await createBucket(clusters.new, 'x') };
      try {
        await warm(image);
        const s0 = cpuAll();
        const p0 = procStat();
        const m = await runCase(c, { image, addressed, o, n, b, scratch, env });
        const s1 = cpuAll();
        const p1 = procStat();
        const srv = { total: s1.total - s0.total, rgw: s1.rgw - s0.rgw, osd: s1.osd - s0.osd };
        const machineBusy = (p1.busy - p0.busy) / 100;
        const machineIdle = (p1.idle - p0.idle) / 100;
        (results[c] ??= []).push({ wall: m.wall, cpu: m.cpu, srv });
        console.log(`${c.split('=')[0].padEnd(30)} wall ${m.wall.toFixed(2)} cpu ${m.cpu.toFixed(2)} server ${srv.total.toFixed(2)} (rgw ${srv.rgw.toFixed(2)} osd ${srv.osd.toFixed(2)}) machine busy ${machineBusy.toFixed(1)} idle ${machineIdle.toFixed(1)}`);
        if (c.startsWith('ours') || c.startsWith('sha')) await check(clusters, b, c.startsWith('sha') ? path.basename(addressed) : path.basename(image), sha256);
      } finally {
        for (const id of ['old', 'new']) {
          await dropBucket(clusters[id], b[id]);
          await collectGarbage(clusters[id]);
        }
      }
    }
  }
  const aws = results.aws ? median(results.aws.map((x) => x.wall)) : undefined;
  console.log('--- medians');
  for (const [c, ms] of Object.entries(results)) {
    const w = median(ms.map((x) => x.wall));
    console.log(`${c.split('=')[0].padEnd(30)} wall ${w.toFixed(2)} [${ms.map((x) => x.wall.toFixed(2)).join(' ')}] cpu ${median(ms.map((x) => x.cpu)).toFixed(2)} server ${median(ms.map((x) => x.srv.total)).toFixed(2)}${aws ? ` vs aws ${(w / aws).toFixed(3)}x [${ms.map((x) => (x.wall / aws).toFixed(3)).join(' ')}]` : ''}`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  closeClients();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function check(clusters, b, key, sha256) {
  for (const id of ['old', 'new']) {
    const objs = await listObjects(clusters[id], b[id]);
    if (objs.length !== 1 || objs[0].key !== key || objs[0].size !== BYTES) throw new Error(`${id}: ${JSON.stringify(objs)}`);
    const h = await headObject(clusters[id], b[id], key);
    if (h.metadata.sha256 !== sha256) throw new Error(`${id}: sha256 ${h.metadata.sha256}`);
  }
}

const sum = (ms) => ({ wall: ms.reduce((s, m) => s + m.wallSeconds, 0), cpu: ms.reduce((s, m) => s + m.cpuSeconds, 0) });
function ok(m, what) {
  if (m.code !== 0) throw new Error(`${what} failed: ${m.stderr.slice(-3000)} ${m.stdout.slice(-3000)}`);
  return m;
}

async function runCase(c, x) {
  const { image, addressed, o, n, b, scratch, env } = x;
  if (c === 'aws') {
    const ms = [];
    for (const [s, bucket] of [[o, b.old], [n, b.new]]) {
      ms.push(ok(await timed(AWS, ['s3', 'cp', image, `s3://${bucket}/bench-image.qcow2`, '--endpoint-url', s.endpoint, ...awsCaArgs(s)], { env: awsCliEnv(s, env) }), 'aws'));
    }
    return sum(ms);
  }
  const curlArgs = (s, bucket) => ['-sS', '--fail-with-body', '-o', '/dev/null', '--aws-sigv4', `aws:amz:${s.region}:s3`, '--user', `${s.accessKey}:${s.secretKey}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', ...curlCaArgs(s), '-T', image, `${s.endpoint}/${bucket}/bench-image.qcow2`];
  if (c === 'curl-seq') {
    const ms = [];
    for (const [s, bucket] of [[o, b.old], [n, b.new]]) ms.push(ok(await timed('curl', curlArgs(s, bucket), { env }), 'curl'));
    return sum(ms);
  }
  if (c === 'curl-par') {
    const q = (a) => a.map((v) => `'${v.replace(/'/g, "'\\''")}'`).join(' ');
    const script = `curl ${q(curlArgs(o, b.old))} & a=$!; curl ${q(curlArgs(n, b.new))} & c=$!; wait $a && wait $c`;
    return sum([ok(await timed('bash', ['-c', script], { env }), 'curl-par')]);
  }
  const m = /^(ours|sha):([^=]+)=([^:]+)(?::(.*))?$/.exec(c);
  if (!m) throw new Error(`case ${c}`);
  const file = m[1] === 'sha' ? addressed : image;
  const extra = Object.fromEntries((m[4] ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));
  const output = path.join(scratch, 'out');
  fs.writeFileSync(output, '');
  fs.writeFileSync(path.join(scratch, 'sum'), '');
  const e = {
    ...env,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: path.dirname(file),
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: path.join(scratch, 'sum'),
    RUNNER_TEMP: scratch,
    INPUT_FILES: file,
    INPUT_STORES: `${o.endpoint}/${b.old} credentials=env:OLD${storeCaOption(o)}\n${n.endpoint}/${b.new} credentials=env:NEW${storeCaOption(n)}`,
    OLD_ACCESS_KEY_ID: o.accessKey,
    OLD_SECRET_ACCESS_KEY: o.secretKey,
    NEW_ACCESS_KEY_ID: n.accessKey,
    NEW_SECRET_ACCESS_KEY: n.secretKey,
    ...extra,
  };
  const r = process.env.TIMELINE ? await timeline(path.resolve(m[3]), e, path.dirname(file)) : ok(process.env.PERF ? await timed('perf', ['record', '-F', '999', '-g', '-o', process.env.PERF, '--', NODE24, '--perf-basic-prof', path.resolve(m[3])], { env: e, cwd: path.dirname(file) }) : await timed(NODE24, [path.resolve(m[3])], { env: e, cwd: path.dirname(file) }), c);
  const outs = parseOutputs(fs.readFileSync(output, 'utf8'));
  if (outs.uploaded !== '2') throw new Error(`${c}: outputs ${JSON.stringify(outs)} ${r.stdout.slice(-3000)}`);
  if (process.env.SHOW_LOG) console.log(r.stdout.slice(-6000));
  return sum([r]);
}

async function timeline(bundle, env, cwd) {
  const { spawn } = require('node:child_process');
  const t0 = Date.now();
  return new Promise((resolve) => {
    const ch = spawn(NODE24, [bundle], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const on = (d) => { buf += d; let i; while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); if (!/::debug::.*(part|progress)/.test(line)) console.log(((Date.now() - t0) / 1000).toFixed(2).padStart(7), line.slice(0, 200)); } };
    ch.stdout.on('data', on); ch.stderr.on('data', on);
    ch.on('close', (code) => resolve({ code, wallSeconds: (Date.now() - t0) / 1000, cpuSeconds: 0, stdout: '', stderr: '' }));
  });
}

main().catch((e) => {
  console.error(e);
  closeClients();
  process.exit(1);
});
