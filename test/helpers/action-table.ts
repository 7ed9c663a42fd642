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
import { anonymousStatus, client, listKeys, openUploads, rgw, type ClusterId } from './rgw';

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
  /** The operation to count before killing a run of the 'big' workspace (the kill tests). */
  readonly killAfter: { readonly op: string; readonly n: number };
  /** Whether the 'big' workspace goes in multipart uploads, which a kill leaves open. */
  readonly bigIsMultipart: boolean;
}

/** Environment giving each cluster's keys as `env:OLD` / `env:NEW` credentials. */
export function storeEnv(): NodeJS.ProcessEnv {
  return {
    OLD_ACCESS_KEY_ID: rgw('old').accessKey,
    OLD_SECRET_ACCESS_KEY: rgw('old').secretKey,
    NEW_ACCESS_KEY_ID: rgw('new').accessKey,
    NEW_SECRET_ACCESS_KEY: rgw('new').secretKey,
  };
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
      env: storeEnv(),
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
        ...storeEnv(),
        GITHUB_REPOSITORY: 'cockpit-project/bots',
        GITHUB_SHA: 'c0ffee'.padEnd(40, '0'),
        GITHUB_RUN_ID: '4242',
        GITHUB_RUN_ATTEMPT: String(attempt),
        GITHUB_JOB: 'tests',
        GITHUB_EVENT_NAME: 'push',
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

/** Every action the reliability suites run. mirror-bucket, audit-acl and download-image join here. */
export const ACTIONS: readonly ActionEntry[] = [uploadImage, uploadLogs];

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
