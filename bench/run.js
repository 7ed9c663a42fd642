#!/usr/bin/env node
'use strict';
/**
 * The benchmark harness: node bench/run.js [--only SUITE[,SUITE]] [--repeat N] [--keep] [suite options]
 *
 * Installs what the suites need, starts two throwaway Ceph RGW clusters ("old" and "new" provider,
 * bluestore), runs the suites in bench/suites/, prints their tables on stdout (progress goes to
 * stderr) and writes everything to .bench/results.json. Both clusters are stopped at the end, on
 * failure and on Ctrl-C too, unless --keep. See bench/README.md.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const rgw = require('./lib/rgw');
const { abortAll } = require('./lib/timed');
const { closeClients } = require('./lib/s3');
const { formatTable } = require('./lib/table');

const WORK_DIR = path.join(rgw.REPO, '.bench');
const SUITES_DIR = path.join(__dirname, 'suites');
// CI_STORES_BENCH_PORT moves both clusters (their plain ports, and the HTTPS ones 2 above), so
// benchmarks of two checkouts can run side by side; CI_STORES_BENCH_CLUSTERS=NAME names them
// NAME-old and NAME-new.
const BENCH_PORT = Number(process.env.CI_STORES_BENCH_PORT || 7500);
const BENCH_STEM = process.env.CI_STORES_BENCH_CLUSTERS || 'bench';
const CLUSTERS = {
  old: { name: `${BENCH_STEM}-old`, port: BENCH_PORT, tlsPort: BENCH_PORT + 2 },
  new: { name: `${BENCH_STEM}-new`, port: BENCH_PORT + 1, tlsPort: BENCH_PORT + 3 },
};
const CLUSTER_STORE = { store: 'bluestore', sizeGiB: 24 };
const PACKAGES = ['awscli', 'rclone', 'time', 'openssl'];
const USAGE = `usage: node bench/run.js [--only SUITE[,SUITE]] [--repeat N] [--keep] [--OPTION VALUE]...
  --only    suites to run (default: all in bench/suites/)
  --repeat  runs per measurement; tables show the median (default 1)
  --keep    leave the clusters running (scripts/rgw stop bench-old; scripts/rgw stop bench-new)`;

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

// ------------------------------------------------------------------------------------------------
// Arguments and suites

function parseArgs(argv) {
  const args = { only: undefined, repeat: 1, keep: false, help: false, options: {} };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new UsageError(`unexpected argument ${JSON.stringify(argv[i])}`);
    const [, name, inline] = m;
    if (name === 'keep' || name === 'help') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      args[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    if (name === 'only') args.only = value.split(',').map((s) => s.trim()).filter(Boolean);
    else if (name === 'repeat') {
      args.repeat = Number(value);
      if (!Number.isInteger(args.repeat) || args.repeat < 1) throw new UsageError(`--repeat must be a whole number >= 1, got ${JSON.stringify(value)}`);
    } else args.options[name] = value; // a suite option; checked against the suites below
  }
  return args;
}

class UsageError extends Error {}

/** Every suite module in bench/suites/, by name. */
function allSuites() {
  const suites = new Map();
  for (const file of fs.readdirSync(SUITES_DIR).filter((f) => f.endsWith('.js')).sort()) {
    const suite = require(path.join(SUITES_DIR, file));
    if (typeof suite.name !== 'string' || typeof suite.run !== 'function') throw new Error(`bench/suites/${file} exports no { name, description, run }`);
    suites.set(suite.name, suite);
  }
  return suites;
}

function selectSuites(args) {
  const all = allSuites();
  const names = args.only ?? [...all.keys()];
  for (const n of names) if (!all.has(n)) throw new UsageError(`no suite ${JSON.stringify(n)}; there are: ${[...all.keys()].join(', ')}`);
  const selected = names.map((n) => all.get(n));
  for (const opt of Object.keys(args.options)) {
    if (!selected.some((s) => s.options && opt in s.options)) {
      throw new UsageError(`unknown option --${opt} (not one of the selected suites' options: ${selected.flatMap((s) => Object.keys(s.options ?? {}).map((o) => `--${o}`)).join(', ') || 'none'})`);
    }
  }
  return selected;
}

function help() {
  const lines = [USAGE, '', 'suites:'];
  for (const s of allSuites().values()) {
    lines.push(`  ${s.name}: ${s.description}`);
    for (const [o, d] of Object.entries(s.options ?? {})) lines.push(`      --${o} VALUE  ${d}`);
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------------
// Interruption: the first Ctrl-C (or SIGTERM/SIGHUP) stops the running command and lets the run
// unwind through its `finally`, which stops the clusters; a second one stops them at once.

let interrupted = null;
let keepClusters = false;

function onSignal(signal) {
  if (!interrupted) {
    interrupted = signal;
    log(`${signal}: stopping; the clusters will be stopped too (${signal} again to do that at once)`);
    abortAll(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
    return;
  }
  log(`${signal} again: stopping the clusters now`);
  rgw.abortRunningSync(); // a start in progress must not launch daemons after the stop
  if (!keepClusters) stopClusters();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function checkInterrupted() {
  if (interrupted) throw new Error(`interrupted (${interrupted})`);
}

function stopClusters() {
  for (const { name } of Object.values(CLUSTERS)) {
    try {
      rgw.stop(name);
    } catch (e) {
      log(`${e.message}: stop it by hand (scripts/rgw stop ${name})`);
    }
  }
}

// ------------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(help());
    return 0;
  }
  const suites = selectSuites(args);
  keepClusters = args.keep;
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, onSignal);

  fs.mkdirSync(WORK_DIR, { recursive: true });
  const t0 = Date.now();
  const phases = {};
  const phase = async (name, fn) => {
    checkInterrupted();
    const t = Date.now();
    try {
      return await fn();
    } finally {
      phases[name] = (Date.now() - t) / 1000;
    }
  };
  const results = {
    started: new Date(t0).toISOString(),
    argv: process.argv.slice(2),
    options: { repeat: args.repeat, keep: args.keep, ...args.options },
    host: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version },
    clusters: Object.fromEntries(Object.entries(CLUSTERS).map(([id, c]) => [id, { ...c, ...CLUSTER_STORE }])),
    suites: [],
  };
  let failed = false;

  try {
    await phase('install', () => rgw.install(PACKAGES));
    // Both at once; wait for both even if one fails, so that `finally` stops a finished one.
    const started = await phase('start clusters', () =>
      Promise.allSettled(Object.values(CLUSTERS).map((c) => rgw.start(c.name, c.port, { ...CLUSTER_STORE, tlsPort: c.tlsPort }))),
    );
    const failedStart = started.find((r) => r.status === 'rejected');
    if (failedStart) throw failedStart.reason;
    const clusters = { old: started[0].value, new: started[1].value };

    for (const suite of suites) {
      const record = { name: suite.name, description: suite.description, rows: [], notes: [] };
      results.suites.push(record);
      const ctx = {
        workDir: WORK_DIR,
        clusters,
        repeat: args.repeat,
        options: args.options,
        log: (msg) => log(`${suite.name}: ${msg}`),
        note: (text) => record.notes.push(text),
      };
      log(`suite ${suite.name}: ${suite.description}`);
      try {
        record.rows = await phase(`suite ${suite.name}`, () => suite.run(ctx));
      } catch (e) {
        failed = true;
        record.error = e.stack || String(e);
        log(`suite ${suite.name} FAILED: ${e.stack || e}`);
        if (interrupted) break;
      }
      record.seconds = phases[`suite ${suite.name}`];
    }
  } catch (e) {
    failed = true;
    results.error = e.stack || String(e);
    log(`FAILED: ${e.stack || e}`);
  } finally {
    closeClients();
    if (args.keep) log(`clusters kept: scripts/rgw stop ${CLUSTERS.old.name}; scripts/rgw stop ${CLUSTERS.new.name}`);
    else {
      const t = Date.now();
      stopClusters();
      phases['stop clusters'] = (Date.now() - t) / 1000;
    }
  }

  results.seconds = (Date.now() - t0) / 1000;
  results.phases = phases;
  const file = path.join(WORK_DIR, 'results.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  report(results, file);
  if (interrupted) return interrupted === 'SIGINT' ? 130 : 143;
  return failed ? 1 : 0;
}

/** The tables, notes and timings, on stdout. */
function report(results, file) {
  const out = [];
  for (const s of results.suites) {
    out.push('', `== ${s.name}: ${s.description}`, '');
    if (s.rows.length > 0) out.push(formatTable(s.rows), '');
    for (const n of s.notes) out.push(n);
    if (s.error) out.push(`FAILED: ${s.error.split('\n')[0]}`);
  }
  if (results.error) out.push('', `FAILED: ${results.error.split('\n')[0]}`);
  const phases = Object.entries(results.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ');
  out.push('', `total ${results.seconds.toFixed(1)} s (${phases}); results in ${path.relative(process.cwd(), file)}`);
  console.log(out.join('\n'));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof UsageError) console.error(`bench: ${e.message}\n${USAGE}`);
    else console.error(`bench: ${e.stack || e}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
