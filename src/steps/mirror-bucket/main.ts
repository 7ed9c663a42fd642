/** `mirror-bucket` glue (run by the mirror-bucket and reconcile actions): inputs -> stores -> manifest -> engine -> report, outputs and summary. */
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { probeAnonymous } from '../../storage/anonymous';
import { actionsCache, type FileCache } from '../../runtime/actions-cache';
import type { Host } from '../../runtime/host';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import type { Summary } from '../../runtime/summary';
import type { ObjectStore } from '../../storage/object-store';
import { openStore } from '../../storage/open-store';
import { StoreError } from '../../errors';
import { ConfigurationError, quote } from '../../config/configuration-error';
import { RateLimiter } from '../../storage/rate-limit';
import { RateLimitedStore } from '../../storage/rate-limited-store';
import { manifestCacheKey, ManifestReader, ManifestWriter, type ManifestIdentity } from '../../sync/manifest';
import { mirror, type Mark, type MirrorReport } from '../../sync/mirror';
import { inRange, shardToJson, type Shard } from '../../storage/key-range';
import { globToRegExp } from '../../acl/glob';
import { ShardPlanner } from '../../sync/shard';
import { fmtBytes } from '../../config/size';
import { readMirrorBucketInputs, type MirrorBucketInputs } from './inputs';

/** Raised when the stores do not agree (check mode) or some objects failed. */
export class MirrorFailedError extends ActionFailure {
  override readonly name = 'MirrorFailedError';
}

/** Report lines kept for the summary, at most. */
const SUMMARY_LINES = 50;

export async function mirrorBucket(ctx: ActionContext): Promise<void> {
  await runMirrorBucket(ctx, readMirrorBucketInputs(ctx.host));
}

/** The mirror with inputs already read: mirror-bucket reads them from its step, reconcile from its own. */
export async function runMirrorBucket({ host, summary, onInterrupt }: ActionContext, inputs: MirrorBucketInputs): Promise<void> {
  const opened = [inputs.source, inputs.destination].map((spec) =>
    openStore(spec, { env: host.env, onSecret: (v) => host.setSecret(v), concurrency: inputs.transfers + inputs.checkers + 4 }),
  );
  // Each store its own cap: providers count per bucket or per address.
  const capped = (s: ObjectStore): ObjectStore => (inputs.requestsPerSecond > 0 ? new RateLimitedStore(s, new RateLimiter({ rate: inputs.requestsPerSecond })) : s);
  const source = capped(opened[0]!);
  const destination = capped(opened[1]!);
  try {
    await host.group('Preflight: buckets and credentials', async () => {
      // Planning shards reads the source only.
      await Promise.all([source.preflight(), inputs.mode === 'plan-shards' ? undefined : destination.preflight()]);
      host.info(`source: ${source.display}`);
      host.info(`destination: ${destination.display} (visibility mode ${destination.visibilityMode})`);
      if (inputs.shard.count > 1) host.info(`shard ${inputs.shard.index}/${inputs.shard.count}: keys ${describeRange(inputs.shard)}`);
    });
    if (inputs.mode === 'plan-shards') return await planShards(host, summary, source, inputs);
    await host.group('Preflight: reading the source', () => checkReadable(source, inputs));
    await run(host, summary, onInterrupt, source, destination, inputs);
  } finally {
    for (const s of opened) s.close();
  }
}

/**
 * Credentials that may list but not read would fail every copy one by one: one HEAD of the first
 * key in range says so at once, before anything is written.
 */
async function checkReadable(source: ObjectStore, inputs: MirrorBucketInputs): Promise<void> {
  const keep = filterOf(inputs);
  let first: string | undefined;
  for await (const page of source.listPages('', inputs.shard.range)) {
    first = page.find((o) => keep(o.key))?.key;
    if (first !== undefined || page.length > 0) break;
  }
  if (first === undefined) return;
  try {
    await source.head(first);
  } catch (e) {
    if (e instanceof StoreError && e.kind === 'access-denied') {
      throw new ConfigurationError(
        `input "source": the credentials may list ${source.display} but not read its objects (HEAD ${quote(first)} was refused); they need s3:GetObject as well as s3:ListBucket`,
      );
    }
    throw e;
  }
}

async function planShards(host: Host, summary: Summary, source: ObjectStore, inputs: MirrorBucketInputs): Promise<void> {
  const planner = new ShardPlanner();
  const keep = filterOf(inputs);
  await host.group('Listing the source to balance the shards', async () => {
    for await (const o of source.list()) if (keep(o.key)) planner.add(o.key);
  });
  const shards = planner.shards(inputs.shardCount);
  host.setOutput('shards', `[${shards.map(shardToJson).join(',')}]`);
  host.setOutput('keys', String(planner.keys));
  host.info(`${planner.keys} key(s) in ${shards.length} shard(s) of about ${Math.ceil(planner.keys / shards.length)} each`);
  summary
    .heading(`Shard plan: ${shards.length} shards over ${planner.keys} keys`)
    .table(
      ['shard', 'from (inclusive)', 'to (exclusive)'],
      shards.map((s) => [`${s.index}/${s.count}`, s.range.from ?? '(first key)', s.range.to ?? '(last key)']),
    );
}

async function run(host: Host, summary: Summary, onInterrupt: ActionContext['onInterrupt'], source: ObjectStore, destination: ObjectStore, inputs: MirrorBucketInputs): Promise<void> {
  const identity: ManifestIdentity = { source: source.display, destination: destination.display };
  const manifest = await host.group('Manifest of verified copies', () => openManifest(host, inputs, identity));
  const writes = !inputs.dryRun;
  const writer = manifest.file && writes ? new ManifestWriter(manifest.file, identity, notSeenBy(inputs)) : undefined;

  await fs.mkdir(path.dirname(inputs.reportPath), { recursive: true });
  const reportFile = reportWriter(inputs.reportPath);
  const shown: string[] = [];
  let stopped = false;
  const unregister = onInterrupt(async () => {
    stopped = true;
  });
  let last = Date.now();
  const started = Date.now();
  let report: MirrorReport;
  try {
    report = await host.group(inputs.mode === 'check' ? 'Check' : inputs.dryRun ? `${inputs.mode} (dry run: nothing is written)` : inputs.mode, () =>
      mirror({
        source,
        destination,
        mode: inputs.mode as 'copy' | 'sync' | 'check',
        dryRun: inputs.dryRun,
        filter: filterOf(inputs),
        range: inputs.shard.range,
        rules: inputs.rules,
        compare: inputs.compare,
        maxDelete: inputs.maxDelete,
        backupPrefix: inputs.backupPrefix,
        transfers: inputs.transfers,
        checkers: inputs.checkers,
        partSize: inputs.partSize,
        partsInFlight: 4,
        memory: inputs.memory,
        manifest: manifest.reader,
        manifestOut: writer,
        verifyVisibility: inputs.verifyVisibility,
        probe: (url) => probeAnonymous(url),
        stopped: () => stopped,
        onInterrupt,
        events: {
          info: (m) => host.info(m),
          debug: (m) => host.debug(m),
          warning: (m) => host.warning(m),
          line: (mark: Mark, key: string, detail: string) => {
            reportFile.add(`${mark} ${printable(key)}\n`);
            if (mark !== '=' && shown.length < SUMMARY_LINES) shown.push(`${mark} ${printable(key)}: ${detail}`);
            if (host.debugEnabled) host.debug(`${mark} ${key}: ${detail}`);
          },
          progress: (r) => {
            if (Date.now() - last < 5000) return;
            last = Date.now();
            host.info(`${r.keys} key(s): ${progressLine(r)}`);
          },
        },
      }),
    );
  } catch (e) {
    await writer?.discard();
    throw e;
  } finally {
    unregister();
    await reportFile.end();
  }
  const seconds = (Date.now() - started) / 1000;

  if (writer) {
    // A run that did not see every key would drop the entries it did not reach: keep the old manifest.
    if (report.listingError !== undefined || stopped) await writer.discard();
    else {
      await writer.close();
      host.info(`manifest: ${writer.entries} verified pair(s) recorded${writer.carriedOver > 0 ? `, ${writer.carriedOver} of them outside this shard's range, kept from before` : ''}`);
      if (manifest.cache && manifest.cacheKey) {
        try {
          await manifest.cache.save(manifest.file!, `${manifest.cacheKey}${host.env.GITHUB_RUN_ID ?? Date.now()}-${host.env.GITHUB_RUN_ATTEMPT ?? '1'}`);
        } catch (e) {
          host.warning(`could not save the manifest to the Actions cache: ${(e as Error).message}; the next run compares the slow way`);
        }
      }
    }
  }

  const c = report.counts;
  const inSync = inputs.mode === 'check' ? report.complete && c.missing + c.extra + c.differ === 0 : report.complete && report.deletionsWithheld === undefined;
  host.setOutput('matched', String(c.matched));
  host.setOutput('copied', String(c.copied));
  host.setOutput('updated', String(c.updated));
  host.setOutput('deleted', String(c.deleted));
  host.setOutput('skipped', String(c.skipped));
  host.setOutput('failed', String(c.failed));
  host.setOutput('missing', String(c.missing));
  host.setOutput('extra', String(c.extra));
  host.setOutput('differ', String(c.differ));
  host.setOutput('bytes-copied', String(report.bytes.copied + report.bytes.updated));
  host.setOutput('methods', JSON.stringify(report.methods));
  host.setOutput('in-sync', String(inSync));
  host.setOutput('report', inputs.reportPath);
  host.setOutput('manifest-entries', String(writer?.entries ?? 0));
  writeSummary(summary, inputs, report, shown, seconds, source, destination);
  host.info(`${report.keys} key(s) in ${seconds.toFixed(1)} s: ${progressLine(report)}; compared by ${methodsLine(report)}`);

  if (report.listingError !== undefined) throw new MirrorFailedError(`a listing failed, so the run stopped and nothing was deleted: ${report.listingError}`);
  if (stopped) throw new MirrorFailedError('interrupted: nothing was deleted; run again to finish');
  if (c.failed > 0) throw new MirrorFailedError(`${c.failed} object(s) failed (first: ${report.failures[0]?.key}: ${report.failures[0]?.reason}); nothing was deleted; see the report ${inputs.reportPath}`);
  if (report.deletionsWithheld !== undefined) throw new MirrorFailedError(report.deletionsWithheld);
  if (inputs.mode === 'check' && !inSync) throw new MirrorFailedError(`the stores differ: ${c.missing} only in the source, ${c.extra} only in the destination, ${c.differ} different; see the report ${inputs.reportPath}`);
}

/** The report file, written in chunks: a write per key would queue an object per key while the file lags. */
function reportWriter(file: string): { add(line: string): void; end(): Promise<void> } {
  const out = createWriteStream(file);
  let pending = '';
  return {
    add(line) {
      pending += line;
      if (pending.length < 65_536) return;
      out.write(pending);
      pending = '';
    },
    end: () => new Promise<void>((resolve) => out.end(pending, () => resolve())),
  };
}

interface OpenedManifest {
  readonly reader?: ManifestReader;
  /** Where this run's manifest is read from and written to. */
  readonly file?: string;
  readonly cache?: FileCache;
  readonly cacheKey?: string;
}

async function openManifest(host: Host, inputs: MirrorBucketInputs, identity: ManifestIdentity): Promise<OpenedManifest> {
  const m = inputs.manifest;
  if (m.kind === 'none') {
    host.info('no manifest: pairs whose ETags cannot prove them equal are compared by their recorded sha256 (a HEAD each)');
    return {};
  }
  let file: string;
  let cache: FileCache | undefined;
  let cacheKey: string | undefined;
  if (m.kind === 'cache') {
    cacheKey = manifestCacheKey(identity, inputs.shard);
    file = path.join(host.env.RUNNER_TEMP || host.cwd, `${cacheKey.slice(0, -1)}.manifest.gz`);
    const available = await actionsCache(host);
    if (!available.cache) {
      host.warning(`manifest: ${available.reason}; going on without one (slower, not less exact)`);
      return {};
    }
    cache = available.cache;
    try {
      const restored = await cache.restore(file, cacheKey);
      host.info(restored ? `manifest restored from the Actions cache (${restored})` : 'no manifest in the Actions cache yet');
    } catch (e) {
      host.warning(`could not restore the manifest from the Actions cache: ${(e as Error).message}`);
    }
  } else file = m.path;
  const opened = await ManifestReader.open(file, identity);
  if (opened.reader) host.info(`manifest: ${file}`);
  else if (opened.reason === 'no manifest yet') host.info(`no manifest at ${file} yet; this run writes one`);
  else host.warning(`manifest ${file} ignored: ${opened.reason}; this run writes a new one`);
  return { reader: opened.reader, file, cache, cacheKey };
}

/**
 * The keys a run does not look at (outside its shard's range, or left out by include and exclude),
 * whose manifest entries it carries over; undefined when it looks at every key.
 */
function notSeenBy(inputs: MirrorBucketInputs): ((key: string) => boolean) | undefined {
  const { range } = inputs.shard;
  const all = globToRegExp('**').source;
  const everything = range.from === undefined && range.to === undefined && inputs.exclude.length === 0 && inputs.include.some((r) => r.source === all);
  if (everything) return undefined;
  const taken = filterOf(inputs);
  return (key) => !inRange(key, range) || !taken(key);
}

function filterOf(inputs: MirrorBucketInputs): (key: string) => boolean {
  const { include, exclude, backupPrefix } = inputs;
  return (key) =>
    (backupPrefix === undefined || !key.startsWith(backupPrefix)) && (include.length === 0 || include.some((r) => r.test(key))) && !exclude.some((r) => r.test(key));
}

function describeRange(s: Shard): string {
  return `from ${s.range.from === undefined ? 'the first' : JSON.stringify(s.range.from)} to ${s.range.to === undefined ? 'the last' : `before ${JSON.stringify(s.range.to)}`}`;
}

function printable(key: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(key) ? JSON.stringify(key) : key;
}

function progressLine(r: MirrorReport): string {
  const c = r.counts;
  const parts = [`${c.matched} same`, `${c.copied} copied`, `${c.updated} updated`, `${c.deleted} deleted`, `${c.skipped} skipped`, `${c.failed} failed`];
  if (c.missing + c.extra + c.differ > 0) parts.push(`${c.missing} only in source`, `${c.extra} only in destination`, `${c.differ} differ`);
  parts.push(`${fmtBytes(r.bytes.copied + r.bytes.updated)} transferred`);
  return parts.join(', ');
}

function methodsLine(r: MirrorReport): string {
  const used = Object.entries(r.methods).filter(([, n]) => n > 0);
  return used.length === 0 ? 'nothing (no pair in both stores)' : used.map(([m, n]) => `${m} ${n}`).join(', ');
}

function writeSummary(summary: Summary, inputs: MirrorBucketInputs, r: MirrorReport, shown: readonly string[], seconds: number, source: ObjectStore, destination: ObjectStore): void {
  const c = r.counts;
  summary.paragraph(
    `**${inputs.mode}${inputs.dryRun ? ' (dry run)' : ''}** from \`${source.display}\` to \`${destination.display}\`` +
      `${inputs.shard.count > 1 ? `, shard ${inputs.shard.index}/${inputs.shard.count}` : ''}: ${r.keys} key(s) in ${seconds.toFixed(1)} s.`,
  );
  summary.table(
    ['same', 'copied', 'updated', 'deleted', 'skipped', 'failed', 'only in source', 'only in destination', 'differ', 'transferred'],
    [[c.matched, c.copied, c.updated, c.deleted, c.skipped, c.failed, c.missing, c.extra, c.differ].map(String).concat(fmtBytes(r.bytes.copied + r.bytes.updated))],
  );
  summary.paragraph(
    `Compared by: ${methodsLine(r)}. Streamed copies checked against the source by: sha256 ${r.readChecks.sha256}, MD5 ETag ${r.readChecks.md5}, nothing to check against ${r.readChecks.none}; server-side copies ${r.serverSideCopies}.`,
  );
  if (r.listingError) summary.paragraph(`**Listing failed; nothing was deleted:** ${r.listingError}`);
  if (r.deletionsWithheld) summary.paragraph(`**${r.deletionsWithheld}**`);
  if (r.failures.length > 0) summary.heading('Failures').table(['key', 'reason'], r.failures.map((f) => [f.key, f.reason]), 20);
  if (shown.length > 0) summary.heading('Differences and changes (first lines; the full list is in the report file)').paragraph(`\`\`\`\n${shown.join('\n')}\n\`\`\``);
}
