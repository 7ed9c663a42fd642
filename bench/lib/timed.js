'use strict';
/**
 * Runs a command under GNU time and reports what it cost: wall seconds, CPU seconds (user + system,
 * the command and every child it waited for) and peak resident memory.
 *
 * Each measured command runs in a process group of its own (GNU time and the command under it), so
 * that a signal can reach the command: GNU time itself would die of SIGTERM and leave the command
 * running. Ctrl-C therefore reaches us only; run.js then calls abortAll(signal), which passes the
 * signal on to every running command and makes any later timed() call fail at once, so a suite
 * stops at its next command without having to check for interruption itself.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const GNU_TIME = '/usr/bin/time';
/** How much of each output stream to keep (the tail): enough for an error message, not a progress log. */
const KEEP_BYTES = 64 * 1024;

const running = new Set();
let abortedBy = null;

/**
 * timed(command, args, { env, cwd }) resolves to
 *   { code, signal, wallSeconds, cpuSeconds, peakRssMiB, stdout, stderr, command }
 * whatever the exit code (check `code` yourself); it rejects only if the command could not be
 * measured at all, or after abortAll().
 */
async function timed(command, args, options = {}) {
  if (abortedBy) throw new Error(`interrupted (${abortedBy})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-time-'));
  const report = path.join(dir, 'time');
  // -o keeps GNU time's report apart from the command's own stderr. %M is in KiB (time >= 1.8).
  const argv = ['-o', report, '-f', '%e %U %S %M', command, ...args];
  try {
    const { code, signal, stdout, stderr } = await new Promise((resolve, reject) => {
      const child = spawn(GNU_TIME, argv, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own session and process group: see the top of this file
      });
      running.add(child);
      const out = tail();
      const err = tail();
      child.stdout.on('data', out.add);
      child.stderr.on('data', err.add);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        running.delete(child);
        resolve({ code, signal, stdout: out.text(), stderr: err.text() });
      });
    });
    // On failure GNU time writes "Command exited with non-zero status N" first; the figures come last.
    const lines = fs.existsSync(report) ? fs.readFileSync(report, 'utf8').trim().split('\n') : [];
    const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(lines[lines.length - 1] ?? '');
    if (abortedBy) throw new Error(`interrupted (${abortedBy}) while running ${command}`);
    if (!m) throw new Error(`${GNU_TIME} gave no figures for ${command} (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`);
    // GNU time passes the command's exit status on; for a command killed by a signal it says so.
    const killedBy = /terminated by signal (\d+)/.exec(lines.join('\n'));
    return {
      command: [command, ...args].join(' '),
      code: killedBy ? null : code,
      signal: killedBy ? `signal ${killedBy[1]}` : null,
      wallSeconds: Number(m[1]),
      cpuSeconds: round(Number(m[2]) + Number(m[3]), 2),
      peakRssMiB: round(Number(m[4]) / 1024, 1),
      stdout,
      stderr,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A byte sink that keeps only the last KEEP_BYTES. */
function tail() {
  let buf = Buffer.alloc(0);
  return {
    add: (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 2 * KEEP_BYTES) buf = buf.subarray(buf.length - KEEP_BYTES);
    },
    text: () => buf.subarray(Math.max(0, buf.length - KEEP_BYTES)).toString('utf8'),
  };
}

/** Sends `signal` (e.g. 'SIGINT') to every measured command's process group and refuses new commands. */
function abortAll(signal) {
  abortedBy = abortedBy ?? signal;
  for (const child of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

module.exports = { timed, abortAll, round };
