/**
 * A mirror to three destinations for the reliability suites (faults, kill): the old cluster's
 * `src/` synced to `m/` of a bucket on the new cluster, of a bucket on the old one (reached at the
 * source's own endpoint with its credentials, so copied inside the provider) and of a second bucket
 * on the new cluster. The suite puts each store behind a proxy of its choosing; {@link recordDeletes}
 * on those proxies sees every deletion a destination is sent.
 *
 * Before the run each destination holds an object only it has (a sync deletes it), a right copy of
 * one source object (left alone) and, in the first, a stale copy of another (updated). Afterwards
 * {@link FanOutScenario.check} reads the stores directly.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { checkStores, type ExpectedObject } from './action-table';
import type { BundleRun } from './bundle';
import type { FaultRule } from './fault-proxy';
import { client, credentialEnv, listKeys, putObject, type ClusterId, type TestBuckets } from './rgw';

const MIB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface SourceObject {
  readonly key: string;
  readonly body: Buffer;
  readonly visibility: 'public' | 'private';
  /** Written in parts of this size (another ETag than a whole PUT's). */
  readonly multipart?: number;
}

/** A place of the run: a bucket on a cluster, and the endpoint the run is given for it (a proxy). */
export interface FanOutPlace {
  readonly id: ClusterId;
  readonly bucket: string;
}

export const visibilityOf = (key: string): 'public' | 'private' => (/^rhel/i.test(path.posix.basename(key)) ? 'private' : 'public');

/** A rule that fails nothing and records the path of every signed DeleteObject the proxy is sent. */
export function recordDeletes(into: string[]): FaultRule {
  return { kind: 'delay', delayMs: 0, match: (r) => (r.op === 'DeleteObject' && r.signed && void into.push(r.path), false) };
}

export interface FanOutScenario {
  readonly source: FanOutPlace;
  /** new-a (new cluster), old-b (old cluster, the source's provider), new-c (new cluster). */
  readonly destinations: readonly FanOutPlace[];
  readonly objects: readonly SourceObject[];
  /** The key of new-a's stale copy (another content than the source's until the sync updates it). */
  readonly staleKey: string;
  /** The inputs of a sync from `sourceUrl` to the destinations at `urls` (one a destination, in order). */
  inputs(sourceUrl: string, urls: readonly string[], extra?: Record<string, string>): Record<string, string>;
  readonly env: NodeJS.ProcessEnv;
  /** What the stores must hold once the mirror is done. */
  readonly expected: readonly ExpectedObject[];
  /**
   * Problems with deletions recorded as `/bucket/key` paths: each must name an object only its
   * destination held before the run, never one the source holds.
   */
  wrongDeletions(paths: readonly string[]): string[];
  /** Problems once the mirror is done: each store read directly, and the run's per-destination rows. */
  check(last: BundleRun): Promise<string[]>;
}

const NAMES = ['new-a', 'old-b', 'new-c'] as const;
const KEEP = 'debian-13.img';
const STALE = 'logs/run-1/log.txt';

function objectsOf(kind: 'small' | 'big'): SourceObject[] {
  const common: SourceObject[] = [
    { key: 'fedora-42.qcow2', body: randomBytes(200 * 1024), visibility: 'public' },
    { key: KEEP, body: randomBytes(90 * 1024), visibility: 'public' },
    { key: 'rhel-9-6.qcow2', body: randomBytes(300 * 1024), visibility: 'private' },
    { key: 'nested/deep/a b+c%d#e&f=g.txt', body: Buffer.from('special characters\n'), visibility: 'public' },
    { key: STALE, body: randomBytes(3000), visibility: 'public' },
    { key: 'empty', body: Buffer.alloc(0), visibility: 'public' },
  ];
  return kind === 'small'
    ? // Three parts of 5 MiB when streamed: written in parts to the two new-cluster destinations.
      [...common, { key: 'centos-10-multi.qcow2', body: randomBytes(12 * MIB), visibility: 'public', multipart: 5 * MIB }]
    : // Six parts of 5 MiB, private: the upload a kill leaves open in each streamed destination
      // (the kill comes at the 4th of the 12 parts the two streamed destinations are sent).
      [...common, { key: 'rhel-10-big.qcow2', body: randomBytes(30 * MIB), visibility: 'private' }];
}

/** Writes an object with its sha256 recorded (as the project's uploads do), in parts when asked. */
async function put(id: ClusterId, bucket: string, key: string, o: Pick<SourceObject, 'body' | 'visibility' | 'multipart'>): Promise<void> {
  const c = client(id);
  const common = { Bucket: bucket, Key: key, ACL: o.visibility === 'public' ? ('public-read' as const) : ('private' as const), Metadata: { sha256: sha(o.body) } };
  await putObject(c, common, o.body, o.multipart);
}

/** Makes the buckets (through the suite's `makeBucket`) and puts the objects in place, directly. */
export async function fanOutScenario(makeBucket: TestBuckets, kind: 'small' | 'big'): Promise<FanOutScenario> {
  const objects = objectsOf(kind);
  const source = { id: 'old' as const, bucket: await makeBucket('old', 'fan-src') };
  const destinations: FanOutPlace[] = [];
  for (const id of ['new', 'old', 'new'] as const) destinations.push({ id, bucket: await makeBucket(id, 'fan-dst') });
  for (const o of objects) await put(source.id, source.bucket, `src/${o.key}`, o);
  const extras = new Set<string>();
  for (const [i, d] of destinations.entries()) {
    const extra = `m/only-in-${NAMES[i]}.txt`;
    extras.add(`/${d.bucket}/${extra}`);
    await put(d.id, d.bucket, extra, { body: Buffer.from(`only in ${NAMES[i]}\n`), visibility: 'public' });
    await put(d.id, d.bucket, `m/${KEEP}`, objects.find((o) => o.key === KEEP)!);
  }
  await put(destinations[0]!.id, destinations[0]!.bucket, `m/${STALE}`, { body: Buffer.from('stale\n'), visibility: 'public' });
  const expected: ExpectedObject[] = [source, ...destinations].flatMap((p, n) =>
    objects.map((o) => ({ id: p.id, bucket: p.bucket, key: `${n === 0 ? 'src' : 'm'}/${o.key}`, sha256: sha(o.body), visibility: o.visibility, metaSha256: sha(o.body) })),
  );
  const sourcePaths = new Set(destinations.flatMap((d) => objects.map((o) => `/${d.bucket}/m/${o.key}`)));
  return {
    source,
    destinations,
    objects,
    staleKey: `m/${STALE}`,
    env: credentialEnv(),
    expected,
    inputs: (sourceUrl, urls, extra = {}) => ({
      source: `${sourceUrl}/${source.bucket}/src/ credentials=env:OLD name=source`,
      destinations: destinations.map((d, i) => `${urls[i]}/${d.bucket}/m/ credentials=env:${d.id.toUpperCase()} name=${NAMES[i]}`).join('\n'),
      mode: 'sync',
      'part-size': '5MiB',
      ...extra,
    }),
    wrongDeletions: (paths) => paths.filter((p) => !extras.has(p)).map((p) => `deleted ${p}, which ${sourcePaths.has(p) ? 'the source holds' : 'no destination held only'}`),
    async check(last) {
      const problems: string[] = [];
      const rows = JSON.parse(last.outputs.destinations ?? '[]') as { name: string; ok: boolean; failed: number }[];
      const got = rows.map((r) => `${r.name} ${r.ok ? 'ok' : 'NOT ok'}`);
      if (JSON.stringify(got) !== JSON.stringify(NAMES.map((n) => `${n} ok`))) problems.push(`destinations output: ${last.outputs.destinations}`);
      if (last.outputs['in-sync'] !== 'true') problems.push(`in-sync ${last.outputs['in-sync']}`);
      // Exactly the source's objects in each destination: its extra gone, nothing else written.
      for (const d of destinations) {
        const held = (await listKeys(d.id, d.bucket)).sort();
        const want = objects.map((o) => `m/${o.key}`).sort();
        if (JSON.stringify(held) !== JSON.stringify(want)) problems.push(`${d.id}/${d.bucket} holds ${JSON.stringify(held)}, expected ${JSON.stringify(want)}`);
      }
      // Contents and their recorded sha256, visibility read anonymously, no upload left open.
      problems.push(...(await checkStores(expected, { visibilityOf }, [source, ...destinations])).problems);
      return problems;
    },
  };
}
