'use strict';
/**
 * The benchmark's RGW clusters, through scripts/rgw: install, start, stop, read the env file that
 * `start` writes, and run RGW's garbage collector.
 *
 * scripts/rgw runs in a session of its own (detached), so Ctrl-C never cuts a start, a stop or an
 * apt-get install in half: run.js waits for it to finish, then stops what was started.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO, 'scripts', 'rgw');
const RGW_ROOT = process.env.RGW_ROOT || path.join(REPO, '.rgw');

const running = new Set();

/** Runs a command detached; its stderr goes to ours. Resolves to its stdout, rejects on failure. */
function runDetached(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    running.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** Installs Ceph and the given Debian packages if they are missing (apt-get, as root). */
function install(packages) {
  return runDetached(SCRIPT, ['install', ...packages]);
}

/**
 * Starts a throwaway cluster and resolves to its description:
 * { name, endpoint, region, accessKey, secretKey, conf }, and with `tlsPort` its HTTPS endpoint
 * (`tlsEndpoint`) and the PEM file of the CA that signed its certificate (`caFile`).
 */
async function start(name, port, { store = 'bluestore', sizeGiB = 24, tlsPort } = {}) {
  await runDetached(SCRIPT, ['start', name, String(port), '--store', store, '--size', String(sizeGiB), ...(tlsPort ? ['--tls', String(tlsPort)] : [])]);
  return describe(name);
}

/**
 * For a hurried exit from a signal handler: SIGTERM every scripts/rgw (or radosgw-admin) still
 * running and wait, synchronously and for at most `seconds`, until they are gone. A `start` cut
 * short this way stops the daemons it launched (its EXIT trap), so that a stop() afterwards does
 * not race with it.
 */
function abortRunningSync(seconds = 20) {
  const alive = (pid) => {
    try {
      // A zombie has finished: node only reaps it once the event loop runs again.
      return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  };
  const pids = [...running].map((c) => c.pid);
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let t = 0; t < seconds * 10 && pids.some(alive); t++) Atomics.wait(nap, 0, 0, 100);
}

/** Stops a cluster and removes its folder. Synchronous, so that it also works from a signal handler. */
function stop(name) {
  // setsid: a second Ctrl-C must not interrupt the stop itself.
  const r = spawnSync('setsid', ['-w', SCRIPT, 'stop', name], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/rgw stop ${name} failed (${r.signal ?? `exit ${r.status}`})`);
}

/** Reads `.rgw/NAME/env` (KEY=value lines) into a cluster description. */
function describe(name) {
  const vars = {};
  for (const line of fs.readFileSync(path.join(RGW_ROOT, name, 'env'), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) vars[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return {
    name,
    endpoint: vars.RGW_ENDPOINT,
    region: vars.RGW_REGION || 'us-east-1',
    accessKey: vars.RGW_ACCESS_KEY,
    secretKey: vars.RGW_SECRET_KEY,
    conf: vars.RGW_CEPH_CONF,
    tlsEndpoint: vars.RGW_TLS_ENDPOINT,
    caFile: vars.RGW_CA_FILE,
  };
}

/**
 * Frees the space of deleted objects now. RGW deletes an object's head at once but hands the rest
 * of a large object to its garbage collector, which by default waits two hours: without this, a
 * few 2 GiB uploads would fill a bench cluster even though every bucket was emptied.
 */
function collectGarbage(cluster) {
  // --admin-socket '': no clash with the running radosgw's socket.
  return runDetached('radosgw-admin', ['-c', cluster.conf, '--admin-socket', '', 'gc', 'process', '--include-all']);
}

module.exports = { REPO, install, start, stop, abortRunningSync, describe, collectGarbage };
