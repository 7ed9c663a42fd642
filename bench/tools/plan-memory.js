'use strict';
/**
 * Planning memory: the mirror over two generated listings of N keys each (1,000,000 by default), in
 * sync mode as a dry run, so every key is marched, compared and planned but nothing moves. 1 % of
 * the pairs differ in size, 1 % are only in the source, 1 % only in the destination, 1 % need a HEAD
 * (multipart ETags proved by sha256).
 *
 * Two ways to run it:
 *
 *   node bench/tools/plan-memory.js [--bundle FILE] [--node PATH] [--node-flag FLAG]... [KEYS]
 *     The goal's own terms: the mirror-bucket bundle (default dist/mirror-bucket/index.js) started
 *     as a runner starts it (`node FILE`, inputs in INPUT_* variables, no V8 flag unless --node-flag
 *     adds one), against both listings served over HTTP by this process as ListObjectsV2 pages of
 *     1,000 url-encoded keys, so the wire, the listing reader and the action's glue are measured
 *     too. The bundle's peak RSS is measured by GNU time (bench/lib/timed.js) and printed; the
 *     server's own memory is not counted. --node picks the Node that runs the bundle (default: the
 *     one running this tool).
 *
 *   node bench/tools/plan-memory.js LIB_DIR [KEYS]
 *     The engine alone: LIB_DIR holds src/ compiled by tsc (`npx tsc -p tsconfig.build.json
 *     --outDir DIR`); the listings are handed over as pages of objects in this process, and a
 *     manifest is written for the next run. Peak RSS is measured from outside (GNU time).
 *
 * Prints one JSON line.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const key = (i) => `images/${String(i).padStart(8, '0')}.qcow2`;
const md5 = (i) => (i * 2654435761 >>> 0).toString(16).padStart(32, '0');

/** Whether generated key `i` is listed by `side`, and with what size and ETag. */
function listed(side, i) {
  if (side === 'source' && i % 100 === 1) return undefined; // only in the destination
  if (side === 'destination' && i % 100 === 2) return undefined; // only in the source
  const size = side === 'destination' && i % 100 === 3 ? 4097 : 4096;
  const etag = i % 100 === 4 ? `${md5(i + (side === 'source' ? 0 : 7))}-2` : md5(i);
  return { key: key(i), size, etag };
}

/** What HEAD answers for any key: a multipart ETag and a recorded sha256, equal on both sides. */
const HEAD = { size: 4096, etag: 'x-2', sha256: 'a'.repeat(64) };

function parseArgs(argv) {
  const o = { nodeFlags: [], positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--bundle') o.bundle = argv[++i];
    else if (a === '--node') o.node = argv[++i];
    else if (a === '--node-flag') o.nodeFlags.push(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.positional.push(a);
  }
  // LIB_DIR [KEYS]: the engine alone (what the bench suite ran first); otherwise the bundle.
  const first = o.positional[0];
  if (o.bundle === undefined && first !== undefined && fs.existsSync(first) && fs.statSync(first).isDirectory()) {
    return { ...o, lib: path.resolve(first), keys: Number(o.positional[1] || 1_000_000) };
  }
  const bundle = path.resolve(o.bundle ?? path.join(__dirname, '..', '..', 'dist', 'mirror-bucket', 'index.js'));
  return { ...o, bundle, keys: Number(first || 1_000_000) };
}

/** A store that lists generated keys and answers HEAD; it holds no data and is never written. */
function generated(side, n) {
  return {
    display: `generated ${side}`,
    visibilityMode: 'acl',
    async preflight() {},
    // Pages of 1,000 keys, as ListObjectsV2 gives them.
    async *listPages() {
      let page = [];
      for (let i = 0; i < n; i++) {
        const o = listed(side, i);
        if (o === undefined) continue;
        page.push(o);
        if (page.length === 1000) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    async head(k) {
      return { key: k, size: HEAD.size, etag: HEAD.etag, metadata: { sha256: HEAD.sha256 } };
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

async function engine(args) {
  const LIB = args.lib;
  const { mirror } = require(path.join(LIB, 'sync', 'mirror.js'));
  const { ManifestWriter } = require(path.join(LIB, 'sync', 'manifest.js'));
  const { parseVisibilityRules, DEFAULT_RULES_TEXT } = require(path.join(LIB, 'acl', 'visibility.js'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-memory-'));
  const writer = new ManifestWriter(path.join(dir, 'manifest.gz'), { source: 'generated source', destination: 'generated destination' });
  const started = process.hrtime.bigint();
  let peakHeap = 0;
  const report = await mirror({
    source: generated('source', args.keys),
    destination: generated('destination', args.keys),
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
    `${JSON.stringify({ mode: 'engine', keys: report.keys, seconds, counts: report.counts, methods: report.methods, manifestEntries: writer.entries, peakHeapMiB: peakHeap / 1048576 })}\n`,
  );
}

/** The XML of one ListObjectsV2 page of `side` from generated key `from` on, as RGW writes it. */
function listPage(side, n, from) {
  let entries = '';
  let count = 0;
  let i = from;
  for (; i < n && count < 1000; i++) {
    const o = listed(side, i);
    if (o === undefined) continue;
    count++;
    // These keys need no escaping: url encoding leaves them as they are.
    entries +=
      `<Contents><Key>${o.key}</Key><LastModified>2026-11-30T23:17:14.328Z</LastModified>` +
      `<ETag>&quot;${o.etag}&quot;</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  }
  const truncated = i < n;
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>${side}</Name><Prefix></Prefix><KeyCount>${count}</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>` +
    `<IsTruncated>${truncated}</IsTruncated>${from > 0 ? `<ContinuationToken>${from}</ContinuationToken>` : ''}` +
    `${truncated ? `<NextContinuationToken>${i}</NextContinuationToken>` : ''}${entries}</ListBucketResult>`
  );
}

/**
 * A plain-HTTP S3 endpoint holding the two generated buckets, `source` and `destination`
 * (path-style): ListObjectsV2, HEAD of the bucket and of any key, no bucket policy. Signatures are
 * not checked. Counts requests by kind; anything else is answered 501 and counted as unexpected.
 */
function serve(n) {
  const counts = {};
  const count = (what) => (counts[what] = (counts[what] ?? 0) + 1);
  const xml = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    req.resume();
    const url = new URL(req.url, 'http://localhost');
    const [, bucket, ...rest] = url.pathname.split('/');
    const objectKey = rest.join('/');
    if (bucket !== 'source' && bucket !== 'destination') {
      count('unexpected');
      return xml(res, 404, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code></Error>');
    }
    if (req.method === 'GET' && objectKey === '' && url.searchParams.get('list-type') === '2') {
      count('ListObjectsV2');
      return xml(res, 200, listPage(bucket, n, Number(url.searchParams.get('continuation-token') ?? 0)));
    }
    if (req.method === 'HEAD') {
      count(objectKey === '' ? 'HeadBucket' : 'HeadObject');
      const headers = { 'content-length': objectKey === '' ? 0 : HEAD.size, 'last-modified': 'Mon, 30 Nov 2026 23:17:14 GMT' };
      if (objectKey !== '') Object.assign(headers, { etag: `"${HEAD.etag}"`, 'x-amz-meta-sha256': HEAD.sha256, 'content-type': 'application/octet-stream' });
      res.writeHead(200, headers);
      return res.end();
    }
    if (req.method === 'GET' && objectKey === '' && url.searchParams.has('policy')) {
      count('GetBucketPolicy');
      return xml(res, 404, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message></Error>');
    }
    count(`unexpected ${req.method} ${url.pathname.slice(0, 40)}?${[...url.searchParams.keys()].join('&')}`);
    return xml(res, 501, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code></Error>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, counts, endpoint: `http://127.0.0.1:${server.address().port}` })));
}

/** The bundle, started as a runner starts it, against the generated endpoint. */
async function bundle(args) {
  const { timed } = require('../lib/timed');
  const { parseOutputs } = require('../lib/tools');
  if (!fs.existsSync(args.bundle)) throw new Error(`${args.bundle}: no such bundle (build it, or give --bundle FILE)`);
  const { server, counts, endpoint } = await serve(args.keys);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-memory-'));
  try {
    const output = path.join(dir, 'github-output');
    fs.writeFileSync(output, '');
    fs.writeFileSync(path.join(dir, 'step-summary'), '');
    const inputs = {
      source: `${endpoint}/source credentials=env:PLAN`,
      destination: `${endpoint}/destination credentials=env:PLAN`,
      mode: 'sync',
      'dry-run': 'true',
      'max-delete': String(args.keys),
      transfers: '64',
      checkers: '64',
      'report-path': path.join(dir, 'report.txt'),
    };
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: dir,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: path.join(dir, 'step-summary'),
      RUNNER_TEMP: dir,
      // The throwaway keys of a server that checks no signature.
      PLAN_ACCESS_KEY_ID: 'plan-memory',
      PLAN_SECRET_ACCESS_KEY: 'plan-memory-secret',
      AWS_CONFIG_FILE: path.join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const m = await timed(args.node ?? process.execPath, [...args.nodeFlags, args.bundle], { env, cwd: dir });
    const outputs = parseOutputs(fs.readFileSync(output, 'utf8'));
    if (m.code !== 0) throw new Error(`the bundle failed (${m.signal ?? `exit ${m.code}`}), outputs ${JSON.stringify(outputs)}:\n${m.stdout.slice(-3000)}${m.stderr.slice(-2000)}`);
    const result = {
      mode: 'bundle',
      bundle: args.bundle,
      nodeFlags: args.nodeFlags,
      keys: args.keys,
      seconds: m.wallSeconds,
      cpuSeconds: m.cpuSeconds,
      peakRssMiB: m.peakRssMiB,
      outputs: Object.fromEntries(['matched', 'copied', 'updated', 'deleted', 'skipped', 'failed'].map((k) => [k, Number(outputs[k])])),
      methods: JSON.parse(outputs.methods ?? '{}'),
      requests: counts,
      // One line a key: what the run found for it (written while the run goes, in chunks).
      reportLines: countLines(path.join(dir, 'report.txt')),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const pairs = Object.values(result.outputs).reduce((a, b) => a + b, 0);
    if (pairs !== args.keys || result.reportLines !== pairs) throw new Error(`${args.keys} keys, but ${pairs} pairs counted and ${result.reportLines} report lines`);
    if (Object.keys(counts).some((k) => k.startsWith('unexpected'))) throw new Error(`unexpected requests: ${JSON.stringify(counts)}`);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function countLines(file) {
  const buf = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'r');
  let lines = 0;
  try {
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
  } finally {
    fs.closeSync(fd);
  }
  return lines;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.lib !== undefined) await engine(args);
  else await bundle(args);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
