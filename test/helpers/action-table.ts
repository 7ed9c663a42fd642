/**
 * The actions the reliability suites run, as a table: for each, how to run it against a set of
 * stores (inputs, environment, workspace) and what the stores must hold afterwards. The fault, kill
 * and secret-leak suites iterate over {@link ACTIONS}; adding an action there adds it to each.
 *
 * Afterwards the stores are read directly (never through a proxy) by {@link checkStores}.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { runBundle, type BundleRun } from './bundle';
import type { FaultKind, FaultRule } from './fault-proxy';
import { anonymousStatus, client, credentialEnv, githubEnv, listKeys, openUploads, putObject, rgw, type ClusterId } from './rgw';

/** One store an action writes to: a bucket on a cluster, reached at `endpoint` (the RGW or a proxy in front of it). */
export interface StoreUnderTest {
  readonly id: ClusterId;
  readonly bucket: string;
  readonly endpoint: string;
}

/** An object a store must hold afterwards. `sha256` of the stored bytes, when the test knows them. */
export interface ExpectedObject {
  readonly id: ClusterId;
  readonly bucket: string;
  readonly key: string;
  readonly sha256?: string;
  readonly visibility: 'public' | 'private';
  /** The `x-amz-meta-sha256` the object must carry. */
  readonly metaSha256?: string;
}

/** What to run: inputs as in action.yml, extra environment, and the expectations. */
export interface PlannedRun {
  readonly inputs: Record<string, string>;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly expected: readonly ExpectedObject[];
}

export interface ActionEntry {
  /** The bundle under dist/ and actions/. */
  readonly action: string;
  /** Creates the action's input files; `scale` 'big' for the kill tests. */
  workspace(kind: 'small' | 'big'): string;
  /** The run, for attempt `attempt` (1 for the first run, 2 for a re-run...). */
  plan(ws: string, stores: readonly StoreUnderTest[], attempt: number): PlannedRun;
  /** Visibility any key this action writes must have, for keys not in `expected` (earlier attempts). */
  visibilityOf(key: string): 'public' | 'private';
  /**
   * The operation to count before killing a run of the 'big' workspace (the kill tests), on the
   * proxy of store `on` (default 0), slowed by `delayMs` (default 250) and, for answers with a body,
   * paced to `bodyBytesPerSecond`. Absent: the action is not long-running and has no kill test.
   */
  readonly killAfter?: { readonly op: string; readonly n: number; readonly on?: number; readonly delayMs?: number; readonly bodyBytesPerSecond?: number };
  /** Instead of counting requests: resolves when the run is far enough in to be killed. */
  killWhen?(ws: string, plan: PlannedRun, stores: readonly StoreUnderTest[]): Promise<void>;
  /** Whether the 'big' workspace goes in multipart uploads, which a kill leaves open. */
  readonly bigIsMultipart: boolean;
  /** Multipart uploads a kill leaves open at least (default 2: one in each store). */
  readonly orphansAtLeast?: number;
  /**
   * Rules the fault suite adds before the rate on store `index`'s proxy, for an action that sends
   * too few requests for a rate alone to break it surely.
   */
  faultRules?(index: number, seed: number): FaultRule[];
  /** Puts the objects the action reads in place, directly (no proxy), once the buckets exist. */
  prepare?(ws: string, buckets: readonly { id: ClusterId; bucket: string }[]): Promise<void>;
  /** Problems with what the run did beyond the stores' objects (outputs, report, files), after convergence. */
  verify?(ws: string, run: BundleRun, stores: readonly StoreUnderTest[], phase: 'faults' | 'kill'): Promise<string[]>;
  /**
   * What `prepare` put in place that a finished run removes (prune's pruned images): a killed run
   * may leave any of them, whole. Absent: nothing is removed.
   */
  removable?(ws: string, stores: readonly StoreUnderTest[]): ExpectedObject[];
  /** Problems with what is visible while a killed run lies dead, beyond the stores. */
  whileDead?(ws: string, plan: PlannedRun, stores: readonly StoreUnderTest[]): Promise<string[]>;
}

export function storeLine(s: StoreUnderTest, sub: string): string {
  return `${s.endpoint}/${s.bucket}/${sub} credentials=env:${s.id.toUpperCase()} name=${s.id}`;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MIB = 1024 * 1024;

function scratch(stem: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${stem}-`));
}

/** The files of an upload-image workspace and their sha256, kept beside it. */
const imageFiles = new Map<string, Map<string, string>>();

const uploadImage: ActionEntry = {
  action: 'upload-image',
  // About 25 requests a store: a seed could draw no fault at 10 % (bucket names are random, so the
  // draws change from run to run); one part upload to the first store always breaks besides.
  faultRules: (index, seed) =>
    index === 0 ? [{ kind: (['internal', 'slowdown', 'reset-before', 'drop-answer', 'reset-mid-body'] as FaultKind[])[seed % 5]!, match: (r) => r.op === 'UploadPart', nth: [1 + (seed % 3)] }] : [],
  workspace(kind) {
    const ws = scratch('ws-image');
    const files = new Map<string, string>();
    const write = (name: string, content: Buffer) => {
      fs.writeFileSync(path.join(ws, name), content);
      files.set(name, sha(content));
    };
    if (kind === 'small') {
      write('fedora-42.qcow2', randomBytes(96 * 1024));
      write('debian-13.img', randomBytes(700 * 1024));
      write('rhel-9-6.qcow2', randomBytes(1536 * 1024));
      // Three parts of 5 MiB: the multipart path, private.
      write('rhel-10-0.qcow2', randomBytes(11 * MIB));
    } else {
      // Sparse: 200 MiB of zeros costs no disk and no CPU to make; 40 parts of 5 MiB.
      const p = path.join(ws, 'rhel-10-big.qcow2');
      fs.writeFileSync(p, '');
      fs.truncateSync(p, 200 * MIB);
      files.set('rhel-10-big.qcow2', sha(Buffer.alloc(200 * MIB)));
    }
    imageFiles.set(ws, files);
    return ws;
  },
  plan(ws, stores) {
    const files = imageFiles.get(ws)!;
    return {
      cwd: ws,
      env: credentialEnv(),
      inputs: {
        files: [...files.keys()].join('\n'),
        stores: stores.map((s) => storeLine(s, 'images')).join('\n'),
        'part-size': '5MiB',
        concurrency: '3',
      },
      expected: stores.flatMap((s) =>
        [...files].map(([name, digest]) => ({ id: s.id, bucket: s.bucket, key: `images/${name}`, sha256: digest, metaSha256: digest, visibility: uploadImage.visibilityOf(name) })),
      ),
    };
  },
  visibilityOf: (key) => (/^rhel/i.test(path.posix.basename(key)) ? 'private' : 'public'),
  killAfter: { op: 'UploadPart', n: 8 },
  bigIsMultipart: true,
};

const logFiles = new Map<string, Map<string, string>>();

const uploadLogs: ActionEntry = {
  action: 'upload-logs',
  workspace(kind) {
    const ws = scratch('ws-logs');
    const files = new Map<string, string>();
    const count = kind === 'small' ? 40 : 160;
    for (let i = 0; i < count; i++) {
      const rel = `suite-${i % 4}/test-${i}.log`;
      const content = Buffer.from(`test ${i}: ok\n${randomBytes(200 + (i % 7) * 300).toString('hex')}\n`);
      fs.mkdirSync(path.join(ws, 'logs', path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(ws, 'logs', rel), content);
      files.set(rel, sha(content));
    }
    const json = Buffer.from(JSON.stringify({ passed: count, failed: 0 }));
    fs.writeFileSync(path.join(ws, 'logs', 'results.json'), json);
    files.set('results.json', sha(json));
    logFiles.set(ws, files);
    return ws;
  },
  plan(ws, stores, attempt) {
    const files = logFiles.get(ws)!;
    // A re-run of a job is a new attempt, and so a new prefix, as on GitHub.
    const prefix = `logs/ci/4242-${attempt}`;
    return {
      cwd: ws,
      env: {
        ...credentialEnv(),
        ...githubEnv({ GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: String(attempt) }),
      },
      inputs: {
        path: 'logs',
        stores: stores.map((s) => storeLine(s, 'logs')).join('\n'),
        prefix: 'ci/{run-id}-{run-attempt}',
        'files-in-flight': '8',
        'github-token': '',
      },
      expected: stores.flatMap((s) => [
        ...[...files].map(([rel, digest]) => ({ id: s.id, bucket: s.bucket, key: `${prefix}/${rel}`, sha256: digest, visibility: 'public' as const })),
        { id: s.id, bucket: s.bucket, key: `${prefix}/index.html`, visibility: 'public' as const },
      ]),
    };
  },
  visibilityOf: () => 'public',
  killAfter: { op: 'PutObject', n: 60 },
  bigIsMultipart: false,
};

/** An object put in place directly with the SDK: `multipart` gives the part size when it goes in parts. */
interface Seeded {
  readonly key: string;
  readonly body: Buffer;
  readonly visibility: 'public' | 'private';
  readonly multipart?: number;
  /** Record `x-amz-meta-sha256`, as the project's own uploads do. */
  readonly sha256Meta?: boolean;
}

async function seed(id: ClusterId, bucket: string, prefix: string, o: Seeded): Promise<void> {
  const c = client(id);
  const common = { Bucket: bucket, Key: `${prefix}${o.key}`, ACL: o.visibility === 'public' ? ('public-read' as const) : ('private' as const), Metadata: (o.sha256Meta ? { sha256: sha(o.body) } : {}) as Record<string, string> };
  await putObject(c, common, o.body, o.multipart);
}

const rhelPrivate = (key: string): 'public' | 'private' => (/^rhel/i.test(path.posix.basename(key)) ? 'private' : 'public');
const seededSets = new Map<string, readonly Seeded[]>();

/** mirror-bucket: the old cluster's `src/` copied to the new cluster's `mirror/`, a manifest kept in a file. */
const mirrorBucket: ActionEntry = {
  action: 'mirror-bucket',
  workspace(kind) {
    const ws = scratch('ws-mirror');
    const objects: Seeded[] =
      kind === 'small'
        ? [
            { key: 'fedora-42.qcow2', body: randomBytes(200 * 1024), visibility: 'public', sha256Meta: true },
            { key: 'debian-13.img', body: randomBytes(90 * 1024), visibility: 'public' },
            { key: 'rhel-9-6.qcow2', body: randomBytes(300 * 1024), visibility: 'private' },
            // Three parts of 5 MiB: a multipart ETag, so the recorded sha256 or the manifest proves it.
            { key: 'centos-10-multi.qcow2', body: randomBytes(12 * MIB), visibility: 'public', multipart: 5 * MIB, sha256Meta: true },
            { key: 'nested/deep/a b+c%d#e&f=g.txt', body: Buffer.from('special characters\n'), visibility: 'public' },
            { key: 'nested/ünïcödé-名前.txt', body: Buffer.from('unicode\n'), visibility: 'public' },
            { key: 'logs/run-1/log.txt', body: randomBytes(3000), visibility: 'public' },
            { key: 'empty', body: Buffer.alloc(0), visibility: 'public' },
          ]
        : [
            { key: 'fedora-42.qcow2', body: randomBytes(64 * 1024), visibility: 'public' },
            { key: 'debian-13.img', body: randomBytes(64 * 1024), visibility: 'public' },
            // Twelve parts of 5 MiB, streamed from one cluster to the other.
            { key: 'rhel-10-big.qcow2', body: randomBytes(60 * MIB), visibility: 'private', sha256Meta: true },
          ];
    seededSets.set(ws, objects);
    return ws;
  },
  // About fifteen requests a store: at 10 % a seed may draw no fault at all (bucket names are random,
  // so the draws change from run to run). One read of the source and one write to the destination
  // always break, a different way for each seed, besides the rate.
  faultRules: (index, seed) => {
    const kinds: FaultKind[] = ['reset-mid-body', 'truncate', 'drop-answer', 'internal', 'slowdown'];
    return index === 0
      ? [{ kind: kinds[seed % 5]!, match: (r) => r.op === 'GetObject', nth: [1 + (seed % 3)] }]
      : [{ kind: kinds[(seed + 2) % 5]!, match: (r) => r.op === 'PutObject', nth: [1 + (seed % 2)] }];
  },
  async prepare(ws, buckets) {
    for (const o of seededSets.get(ws)!) await seed(buckets[0]!.id, buckets[0]!.bucket, 'src/', o);
  },
  plan(ws, stores) {
    const [src, dst] = stores as [StoreUnderTest, StoreUnderTest];
    const objects = seededSets.get(ws)!;
    return {
      cwd: ws,
      env: credentialEnv(),
      inputs: {
        source: `${src.endpoint}/${src.bucket}/src/ credentials=env:OLD name=old`,
        destination: `${dst.endpoint}/${dst.bucket}/mirror/ credentials=env:NEW name=new`,
        mode: 'copy',
        'part-size': '5MiB',
        manifest: path.join(ws, `manifest-${dst.bucket}.gz`),
        'report-path': path.join(ws, `report-${dst.bucket}.txt`),
      },
      expected: objects.flatMap((o) => [
        { id: src.id, bucket: src.bucket, key: `src/${o.key}`, sha256: sha(o.body), visibility: o.visibility },
        { id: dst.id, bucket: dst.bucket, key: `mirror/${o.key}`, sha256: sha(o.body), visibility: o.visibility, ...(o.sha256Meta ? { metaSha256: sha(o.body) } : {}) },
      ]),
    };
  },
  visibilityOf: rhelPrivate,
  async verify(ws, run, stores) {
    const problems: string[] = [];
    const [src, dst] = stores as [StoreUnderTest, StoreUnderTest];
    if (run.outputs['in-sync'] !== 'true' || run.outputs.failed !== '0') problems.push(`last run: in-sync ${run.outputs['in-sync']}, failed ${run.outputs.failed}`);
    if (!fs.existsSync(path.join(ws, `manifest-${dst.bucket}.gz`))) problems.push('no manifest file written');
    // Check mode directly against the stores, no proxy: the two agree.
    const check = await runBundle(
      'mirror-bucket',
      {
        source: `${rgw(src.id).endpoint}/${src.bucket}/src/ credentials=env:OLD name=old`,
        destination: `${rgw(dst.id).endpoint}/${dst.bucket}/mirror/ credentials=env:NEW name=new`,
        mode: 'check',
        'report-path': path.join(ws, `check-${dst.bucket}.txt`),
      },
      { cwd: ws, env: credentialEnv() },
    );
    const got = { code: check.code, missing: check.outputs.missing, extra: check.outputs.extra, differ: check.outputs.differ, 'in-sync': check.outputs['in-sync'] };
    const want = { code: 0, missing: '0', extra: '0', differ: '0', 'in-sync': 'true' };
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`check mode afterwards: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    return problems;
  },
  killAfter: { op: 'UploadPart', n: 4, on: 1 },
  bigIsMultipart: true,
  // The mirror writes to the destination only.
  orphansAtLeast: 1,
};

/** The key the audit's rules call private but the stores hold public-read: the one right finding. */
const CANARY = 'audit-canary.qcow2';
/** Findings that say a check could not be made: allowed under faults, never a verdict. */
const UNKNOWN_KINDS = new Set(['check-failed', 'policy-unreadable', 'setting-unreadable']);

/** audit-acl: both stores audited through the proxies; the report must hold no false finding. */
const auditAcl: ActionEntry = {
  action: 'audit-acl',
  workspace() {
    const ws = scratch('ws-audit');
    const objects: Seeded[] = [
      { key: 'fedora-42.qcow2', body: randomBytes(2048), visibility: 'public' },
      { key: 'debian-13.img', body: randomBytes(2048), visibility: 'public' },
      { key: 'rhel-9-6.qcow2', body: randomBytes(2048), visibility: 'private' },
      { key: 'RHEL-10-0.qcow2', body: randomBytes(2048), visibility: 'private' },
      { key: 'nested/a b+c%d#e&f=g.txt', body: Buffer.from('special\n'), visibility: 'public' },
      { key: CANARY, body: randomBytes(1024), visibility: 'public' },
      ...Array.from({ length: 10 }, (_, i): Seeded => ({ key: `logs/test-${i}.log`, body: randomBytes(300), visibility: 'public' })),
    ];
    seededSets.set(ws, objects);
    return ws;
  },
  async prepare(ws, buckets) {
    for (const b of buckets) for (const o of seededSets.get(ws)!) await seed(b.id, b.bucket, 'images/', o);
  },
  plan(ws, stores) {
    return {
      cwd: ws,
      env: credentialEnv(),
      inputs: {
        stores: stores.map((s) => storeLine(s, 'images')).join('\n'),
        'visibility-rules': `${CANARY} private\nrhel* private\n* public`,
        'fail-on': 'never',
        fix: 'false',
        concurrency: '8',
        'report-path': path.join(ws, `audit-${stores[0]!.bucket}.json`),
      },
      // The audit changes nothing.
      expected: stores.flatMap((s) => seededSets.get(ws)!.map((o) => ({ id: s.id, bucket: s.bucket, key: `images/${o.key}`, sha256: sha(o.body), visibility: o.visibility }))),
    };
  },
  visibilityOf: rhelPrivate,
  /**
   * A probe or an ACL read that failed is `check-failed` (a warning saying the object was not
   * checked), never a verdict: no other finding but the canary's `exposed`, and the canary either
   * found exposed or reported not checked, in each store.
   */
  async verify(ws, run, stores) {
    const problems: string[] = [];
    const report = JSON.parse(fs.readFileSync(run.outputs.report!, 'utf8')) as { stores: { name: string; objectsChecked: number; findings: { kind: string; key?: string; message: string }[] }[] };
    const total = seededSets.get(ws)!.length;
    if (report.stores.length !== stores.length) problems.push(`report holds ${report.stores.length} store(s)`);
    let exposed = 0;
    for (const st of report.stores) {
      if (st.objectsChecked !== total) problems.push(`${st.name}: ${st.objectsChecked} object(s) checked of ${total}`);
      for (const f of st.findings) {
        if (f.kind === 'exposed' && f.key === CANARY) exposed++;
        else if (!UNKNOWN_KINDS.has(f.kind)) problems.push(`${st.name}: false finding ${f.kind} ${f.key ?? '(bucket)'}: ${f.message}`);
      }
      const canary = st.findings.filter((f) => f.key === CANARY).map((f) => f.kind);
      if (canary.length !== 1) problems.push(`${st.name}: the exposed canary gave findings ${JSON.stringify(canary)}, expected exposed (or check-failed)`);
    }
    if (run.outputs.errors !== String(exposed)) problems.push(`errors output ${run.outputs.errors}, the report holds ${exposed} exposed`);
    if (run.outputs['objects-checked'] !== String(total * stores.length)) problems.push(`objects-checked ${run.outputs['objects-checked']}`);
    return problems;
  },
  bigIsMultipart: false,
};

const SMALL_IMAGE = 'fedora-42.qcow2';
const BIG_IMAGE = 'rhel-10-big.qcow2';
const saveDir = (ws: string, stores: readonly StoreUnderTest[]) => path.join(ws, 'out', stores[0]!.bucket);

/** download-image: the image is in both stores; it must land whole, with its sha256, and no `.part` left. */
const downloadImage: ActionEntry = {
  action: 'download-image',
  workspace(kind) {
    const ws = scratch('ws-download');
    seededSets.set(ws, [
      kind === 'small'
        ? { key: SMALL_IMAGE, body: randomBytes(3 * MIB + 17), visibility: 'public', sha256Meta: true }
        : { key: BIG_IMAGE, body: randomBytes(60 * MIB), visibility: 'private', sha256Meta: true },
    ]);
    return ws;
  },
  async prepare(ws, buckets) {
    for (const b of buckets) for (const o of seededSets.get(ws)!) await seed(b.id, b.bucket, 'images/', o);
  },
  plan(ws, stores) {
    const image = seededSets.get(ws)![0]!;
    return {
      cwd: ws,
      env: credentialEnv(),
      inputs: { 'object-key': image.key, 'save-to': `${path.relative(ws, saveDir(ws, stores))}/`, stores: stores.map((s) => storeLine(s, 'images')).join('\n'), sha256: sha(image.body) },
      expected: stores.map((s) => ({ id: s.id, bucket: s.bucket, key: `images/${image.key}`, sha256: sha(image.body), visibility: image.visibility })),
    };
  },
  visibilityOf: rhelPrivate,
  // One HEAD and one GET a run: the first GET from the first store always breaks, a different way for each seed.
  faultRules: (index, seed) =>
    index === 0 ? [{ kind: (['reset-mid-body', 'truncate', 'drop-answer', 'internal', 'slowdown'] as FaultKind[])[seed % 5]!, match: (r) => r.op === 'GetObject', nth: [1] }] : [],
  async verify(ws, run, stores, phase) {
    const problems: string[] = [];
    const image = seededSets.get(ws)![0]!;
    const file = path.join(saveDir(ws, stores), image.key);
    if (!fs.existsSync(file)) return [`${file} missing`];
    const got = sha(fs.readFileSync(file));
    if (got !== sha(image.body)) problems.push(`${image.key}: sha256 ${got}, expected ${sha(image.body)}`);
    if (run.outputs.sha256 !== sha(image.body)) problems.push(`sha256 output ${run.outputs.sha256}`);
    const left = fs.readdirSync(saveDir(ws, stores)).filter((n) => n !== image.key);
    if (left.length > 0) problems.push(`left beside the file: ${left.join(', ')}`);
    // The re-run after a kill takes the killed run's bytes rather than fetching them again.
    if (phase === 'kill' && !(Number(run.outputs['resumed-from']) > 0)) problems.push(`re-run resumed from ${run.outputs['resumed-from']}, expected the killed run's .part`);
    return problems;
  },
  killAfter: { op: 'GetObject', n: 1, delayMs: 0, bodyBytesPerSecond: 24 * MIB },
  async killWhen(ws, _plan, stores) {
    const part = path.join(saveDir(ws, stores), `${BIG_IMAGE}.part`);
    // Bounded: a run that ends first is caught by the kill test (no SIGKILL) and whileDead.
    for (const end = Date.now() + 60_000; Date.now() < end; ) {
      if (fs.existsSync(part) && fs.statSync(part).size >= 12 * MIB) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  },
  async whileDead(ws, _plan, stores) {
    const dir = saveDir(ws, stores);
    const problems: string[] = [];
    if (fs.existsSync(path.join(dir, BIG_IMAGE))) problems.push(`${BIG_IMAGE} in place before the download finished`);
    const part = path.join(dir, `${BIG_IMAGE}.part`);
    const size = fs.existsSync(part) ? fs.statSync(part).size : 0;
    if (!(size > 0 && size < 60 * MIB)) problems.push(`${BIG_IMAGE}.part holds ${size} bytes: not killed mid-download`);
    return problems;
  },
  bigIsMultipart: false,
};

/** The image keys prune keeps (named in its keep list); every other `.qcow2` at the top is pruned. */
const PRUNE_KEEP = ['fedora-42-keep.qcow2', 'rhel-10-keep.qcow2'];

/**
 * prune: the same images in both stores, a keep list naming two of them; each other image is backed
 * up privately under `pruned/1/` of its own store, then deleted. What a store holds afterwards:
 * exactly the kept images, the README the match leaves alone, and one backup per pruned image.
 */
const prune: ActionEntry = {
  action: 'prune',
  workspace(kind) {
    const ws = scratch('ws-prune');
    const count = kind === 'small' ? 4 : 60;
    const objects: Seeded[] = [
      ...PRUNE_KEEP.map((key) => ({ key, body: randomBytes(4096), visibility: rhelPrivate(key) })),
      { key: 'README.txt', body: Buffer.from('not an image\n'), visibility: 'public' },
      ...Array.from({ length: count }, (_, i): Seeded => {
        const key = `${i % 2 === 0 ? 'fedora' : 'rhel'}-41-${String(i).padStart(3, '0')}.qcow2`;
        return { key, body: randomBytes(2048 + i), visibility: rhelPrivate(key) };
      }),
    ];
    seededSets.set(ws, objects);
    fs.writeFileSync(path.join(ws, 'keep.txt'), `# images still referenced\n${PRUNE_KEEP.join('\n')}\n`);
    return ws;
  },
  async prepare(ws, buckets) {
    for (const b of buckets) for (const o of seededSets.get(ws)!) await seed(b.id, b.bucket, 'images/', o);
  },
  // About 30 requests a store: one deletion from the first store always breaks besides the rate.
  faultRules: (index, seed) =>
    index === 0 ? [{ kind: (['internal', 'slowdown', 'reset-before', 'drop-answer', 'reset-mid-body'] as FaultKind[])[seed % 5]!, match: (r) => r.op === 'DeleteObject', nth: [1 + (seed % 3)] }] : [],
  plan(ws, stores) {
    const objects = seededSets.get(ws)!;
    const pruned = (key: string) => key.endsWith('.qcow2') && !PRUNE_KEEP.includes(key);
    return {
      cwd: ws,
      env: credentialEnv(),
      inputs: {
        stores: stores.map((s) => storeLine(s, 'images')).join('\n'),
        match: '[^/]+\\.qcow2',
        'keep-list': 'keep.txt',
        'dry-run': 'false',
        'max-delete': 'none',
        'backup-prefix': 'pruned/1/',
        'report-path': path.join(ws, `prune-${stores[0]!.bucket}.txt`),
      },
      expected: stores.flatMap((s) =>
        objects.map((o) =>
          pruned(o.key)
            ? { id: s.id, bucket: s.bucket, key: `images/pruned/1/${o.key}`, sha256: sha(o.body), visibility: 'private' as const }
            : { id: s.id, bucket: s.bucket, key: `images/${o.key}`, sha256: sha(o.body), visibility: o.visibility },
        ),
      ),
    };
  },
  removable: (ws, stores) =>
    stores.flatMap((s) =>
      seededSets
        .get(ws)!
        .filter((o) => o.key.endsWith('.qcow2') && !PRUNE_KEEP.includes(o.key))
        .map((o) => ({ id: s.id, bucket: s.bucket, key: `images/${o.key}`, sha256: sha(o.body), visibility: o.visibility })),
    ),
  // Backups are private whatever their name says.
  visibilityOf: (key) => (key.includes('/pruned/') ? 'private' : rhelPrivate(key)),
  /** Nothing beside what is expected: every pruned image is gone from both stores (its backup stays). */
  async verify(ws, run, stores) {
    const problems: string[] = [];
    if (run.outputs.failed !== '0') problems.push(`last run: failed ${run.outputs.failed}`);
    const plan = prune.plan(ws, stores, 1);
    for (const s of stores) {
      const want = plan.expected.filter((e) => e.id === s.id && e.bucket === s.bucket).map((e) => e.key).sort();
      const held = (await listKeys(s.id, s.bucket)).sort();
      if (JSON.stringify(held) !== JSON.stringify(want)) problems.push(`${s.id}/${s.bucket} holds ${JSON.stringify(held)}, expected ${JSON.stringify(want)}`);
    }
    return problems;
  },
  killAfter: { op: 'DeleteObject', n: 10 },
  bigIsMultipart: false,
};

/** Every action the reliability suites run. */
export const ACTIONS: readonly ActionEntry[] = [uploadImage, uploadLogs, mirrorBucket, auditAcl, downloadImage, prune];

/** What {@link checkStores} looked at. */
export interface StoreCheck {
  readonly objects: number;
  readonly problems: string[];
}

async function getSha256(id: ClusterId, bucket: string, key: string): Promise<{ sha256: string; meta?: string }> {
  const r = await client(id).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await r.Body!.transformToByteArray());
  return { sha256: sha(body), meta: r.Metadata?.sha256 };
}

/**
 * Reads the stores directly: every expected object present with its content and visibility, no
 * multipart upload open in any bucket, and no object that should be private readable anonymously
 * (expected or not: earlier attempts count too). Resolves the problems found, none when all is right.
 */
export async function checkStores(expected: readonly ExpectedObject[], entry: Pick<ActionEntry, 'visibilityOf'>, buckets: readonly { id: ClusterId; bucket: string }[]): Promise<StoreCheck> {
  const problems: string[] = [];
  let objects = 0;
  await inParallel(expected, 8, async (e) => {
    objects++;
    const where = `${e.id}/${e.bucket}/${e.key}`;
    let got;
    try {
      got = await getSha256(e.id, e.bucket, e.key);
    } catch (err) {
      problems.push(`${where}: missing (${(err as Error).name})`);
      return;
    }
    if (e.sha256 !== undefined && got.sha256 !== e.sha256) problems.push(`${where}: content sha256 ${got.sha256}, expected ${e.sha256}`);
    if (e.metaSha256 !== undefined && got.meta !== e.metaSha256) problems.push(`${where}: x-amz-meta-sha256 ${got.meta}, expected ${e.metaSha256}`);
    const anon = await anonymousStatus(e.id, e.bucket, e.key);
    if (anon !== (e.visibility === 'public' ? 200 : 403)) problems.push(`${where}: anonymous GET answered ${anon} for a ${e.visibility} object`);
  });
  const known = new Set(expected.map((e) => `${e.id}/${e.bucket}/${e.key}`));
  for (const b of buckets) {
    const open = await openUploads(b.id, b.bucket);
    if (open.length > 0) problems.push(`${b.id}/${b.bucket}: ${open.length} multipart upload(s) left open: ${open.join(', ')}`);
    for (const key of await listKeys(b.id, b.bucket)) {
      if (known.has(`${b.id}/${b.bucket}/${key}`)) continue;
      objects++;
      if (entry.visibilityOf(key) === 'private' && (await anonymousStatus(b.id, b.bucket, key)) !== 403) problems.push(`${b.id}/${b.bucket}/${key}: private and readable anonymously`);
    }
  }
  return { objects, problems };
}

/** Runs `fn` on every item, at most `n` at a time. */
async function inParallel<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
