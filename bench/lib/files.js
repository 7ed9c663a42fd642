'use strict';
/** Test files for the benchmarks: random content made once and reused, their sha256, and links. */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');

/**
 * Makes `file` hold `bytes` random bytes, unless it already has exactly that size. Written to a
 * temporary name first, so that an interrupted run never leaves a short file that looks reusable.
 */
function ensureRandomFile(file, bytes, log = () => {}) {
  if (fs.existsSync(file) && fs.statSync(file).size === bytes) return false;
  log(`writing ${bytes} random bytes to ${file}`);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const r = spawnSync('head', ['-c', String(bytes), '/dev/urandom'], { stdio: ['ignore', fd, 'inherit'] });
    if (r.status !== 0) throw new Error(`head -c ${bytes} /dev/urandom failed (${r.signal ?? `exit ${r.status}`})`);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.statSync(tmp).size !== bytes) throw new Error(`${tmp} came out short`);
  fs.renameSync(tmp, file);
  return true;
}

/**
 * The sha256 of a file, hex. Remembered in `FILE.sha256` together with the file's size, mtime and
 * inode, so that a rerun on an unchanged file does not read 2 GiB again.
 */
async function sha256OfFile(file) {
  const st = fs.statSync(file);
  const stamp = `${st.size} ${st.mtimeMs} ${st.ino}`;
  const cache = `${file}.sha256`;
  if (fs.existsSync(cache)) {
    const [hash, ...rest] = fs.readFileSync(cache, 'utf8').trim().split(' ');
    if (rest.join(' ') === stamp && /^[0-9a-f]{64}$/.test(hash)) return hash;
  }
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 8 * 1024 * 1024 })) h.update(chunk);
  const hash = h.digest('hex');
  fs.writeFileSync(cache, `${hash} ${stamp}\n`);
  return hash;
}

/** Makes `link` a hard link to `file` (replacing whatever `link` was). */
function hardLink(file, link) {
  if (fs.existsSync(link) && fs.statSync(link).ino === fs.statSync(file).ino) return;
  fs.rmSync(link, { force: true });
  fs.linkSync(file, link);
}

module.exports = { ensureRandomFile, sha256OfFile, hardLink };
