'use strict';
/**
 * The hashing pass of upload-image on its own: `hashFile` (the sha256 of a plain-named image and
 * the SHA-256 of each part) over a file in the page cache, as the action runs it before a dual
 * write. With two builds they run alternately in one process, so a busy machine weighs on both.
 *
 * Usage: node bench/tools/hash-pass.js [--rounds N] [--file PATH] [--part-mib N] LIB_DIR [BASELINE_LIB_DIR],
 * each holding src/ compiled by tsc (`npx tsc -p tsconfig.build.json --outDir DIR`). Default file:
 * `.bench/bench-image.qcow2` (the upload-image suite's 2 GiB image), 32 MiB parts, 3 rounds.
 * Prints each run (wall seconds, CPU of all the process's threads, load average) and the medians;
 * fails if two builds' digests differ.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const rounds = Number(option('rounds', 3));
const file = path.resolve(option('file', path.join(__dirname, '..', '..', '.bench', 'bench-image.qcow2')));
const partSize = Number(option('part-mib', 32)) * 1024 ** 2;
if (args.length < 1 || args.length > 2) {
  console.error('usage: node bench/tools/hash-pass.js [--rounds N] [--file PATH] [--part-mib N] LIB_DIR [BASELINE_LIB_DIR]');
  process.exit(2);
}
const builds = args.map((dir) => ({ dir, hashFile: require(path.resolve(dir, 'upload', 'file-chunks.js')).hashFile, walls: [] }));
const size = fs.statSync(file).size;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

(async () => {
  let first;
  for (let r = 0; r < rounds; r++) {
    for (const b of builds) {
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      const d = await b.hashFile(file, size, partSize);
      const cpu = process.cpuUsage(cpu0);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      b.walls.push(wall);
      const digests = d.sha256 + d.parts.map((p) => p.toString('hex')).join('');
      if (first === undefined) first = digests;
      else if (digests !== first) throw new Error(`${b.dir}: other digests than the first build's`);
      console.log(`${b.dir}: ${wall.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, ${d.parts.length} parts, load ${os.loadavg()[0].toFixed(1)}`);
    }
  }
  for (const b of builds) console.log(`${b.dir}: median ${median(b.walls).toFixed(2)} s wall over ${rounds} rounds`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
