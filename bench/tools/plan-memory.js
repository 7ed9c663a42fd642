'use strict';
/**
 * Planning memory: the mirror engine over two generated listings of N keys each (1,000,000 by
 * default), in sync mode as a dry run, so every key is marched, compared and planned but nothing
 * moves. 1 % of the pairs differ in size, 1 % are only in the source, 1 % only in the destination,
 * 1 % need a HEAD (multipart ETags proved by sha256), and a manifest is written for the next run.
 * Prints one JSON line; peak RSS is measured from outside (GNU time) by the bench suite.
 *
 * Usage: node bench/tools/plan-memory.js LIB_DIR [KEYS], where LIB_DIR holds src/ compiled by tsc
 * (the suite compiles it with tsconfig.build.json into .bench/lib).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const LIB = path.resolve(process.argv[2] || 'lib');
const { mirror } = require(path.join(LIB, 'sync', 'mirror.js'));
const { ManifestWriter } = require(path.join(LIB, 'sync', 'manifest.js'));
const { parseVisibilityRules, DEFAULT_RULES_TEXT } = require(path.join(LIB, 'acl', 'visibility.js'));

const N = Number(process.argv[3] || 1_000_000);
const key = (i) => `images/${String(i).padStart(8, '0')}.qcow2`;
const md5 = (i) => (i * 2654435761 >>> 0).toString(16).padStart(32, '0');

/** A store that lists generated keys and answers HEAD; it holds no data and is never written. */
function generated(side) {
  return {
    display: `generated ${side}`,
    visibilityMode: 'acl',
    async preflight() {},
    // Pages of 1,000 keys, as ListObjectsV2 gives them.
    async *listPages() {
      let page = [];
      for (let i = 0; i < N; i++) {
        if (side === 'source' && i % 100 === 1) continue; // only in the destination
        if (side === 'destination' && i % 100 === 2) continue; // only in the source
        const size = side === 'destination' && i % 100 === 3 ? 4097 : 4096;
        const etag = i % 100 === 4 ? `${md5(i + (side === 'source' ? 0 : 7))}-2` : md5(i);
        page.push({ key: key(i), size, etag });
        if (page.length === 1000) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    async head(k) {
      return { key: k, size: 4096, etag: 'x-2', metadata: { sha256: 'a'.repeat(64) } };
    },
    get: () => Promise.reject(new Error('not in a dry run')),
    put: () => Promise.reject(new Error('not in a dry run')),
    startMultipart: () => Promise.reject(new Error('not in a dry run')),
    delete: () => Promise.reject(new Error('not in a dry run')),
    listOpenUploads: async () => [],
    anonymousUrl: () => undefined,
    policy: async () => ({ kind: 'none' }),
    locate: () => undefined,
  };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-memory-'));
  const writer = new ManifestWriter(path.join(dir, 'manifest.gz'), { source: 'generated source', destination: 'generated destination' });
  const started = process.hrtime.bigint();
  let peakHeap = 0;
  const report = await mirror({
    source: generated('source'),
    destination: generated('destination'),
    mode: 'sync',
    dryRun: true,
    filter: () => true,
    range: {},
    rules: parseVisibilityRules(DEFAULT_RULES_TEXT),
    compare: 'checksum',
    maxDelete: undefined,
    transfers: 64,
    checkers: 64,
    partSize: 32 * 1024 * 1024,
    partsInFlight: 4,
    memory: 512 * 1024 * 1024,
    manifestOut: writer,
    verifyVisibility: 'none',
    probe: async () => ({ access: 'denied' }),
    events: {
      info() {},
      debug() {},
      warning() {},
      line() {},
      progress(r) {
        if (r.keys % 50_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      },
    },
  });
  await writer.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ keys: report.keys, seconds, counts: report.counts, methods: report.methods, manifestEntries: writer.entries, peakHeapMiB: peakHeap / 1048576 })}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
