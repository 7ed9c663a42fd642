/** `mirror-bucket` glue (run by the mirror-bucket and reconcile actions): inputs -> stores -> manifest -> engine -> report, outputs and summary. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Host } from '../../runtime/host';
import type { ActionContext } from '../../runtime/run-action';
import { MirrorFailedError } from './mirror-failed';
import type { Summary } from '../../runtime/summary';
import type { ObjectStore } from '../../storage/object-store';
import { openStore } from '../../storage/open-store';
import { RateLimiter } from '../../storage/rate-limit';
import { RateLimitedStore } from '../../storage/rate-limited-store';
import type { ManifestIdentity, ManifestWriter } from '../../sync/manifest';
import { mirror, type Mark, type MirrorEvents, type MirrorReport } from '../../sync/mirror';
import type { Shard } from '../../storage/key-range';
import { fmtBytes } from '../../config/size';
import { readMirrorBucketInputs, runOptionsOf, type MirrorBucketInputs } from './inputs';
import { planShards } from './shard-plan';
import { reportDigests } from './digest-report';
import { checkReadable, preflightOf } from './preflight';
import { printable, reportWriter, type ReportWriter } from '../../runtime/report-file';
import { phasesNote, writePhasesSummary } from './phases-summary';
import { runFanOut } from './fan-out';
import { destinationRow, runKindOf, type DestinationRow } from './fan-out-report';
import { keepManifest, manifestPlace, notSeenBy, openManifest, openManifestWriter, type OpenedManifest } from './manifest-files';

export { MirrorFailedError };

/** Report lines kept for the summary, at most. */
const SUMMARY_LINES = 50;

export async function mirrorBucket(ctx: ActionContext): Promise<void> {
  await runMirrorBucket(ctx, readMirrorBucketInputs(ctx.host));
}

/** The mirror with inputs already read: mirror-bucket reads them from its step, reconcile from its own. */
export async function runMirrorBucket(ctx: ActionContext, inputs: MirrorBucketInputs): Promise<void> {
  if (inputs.destinations.length > 1 && inputs.mode !== 'plan-shards') return runFanOut(ctx, inputs);
  const { host, summary, onInterrupt } = ctx;
  const opened = [inputs.source, inputs.destination].map((spec) =>
    openStore(spec, { env: host.env, onSecret: (value) => host.setSecret(value), concurrency: inputs.transfers + inputs.checkers + 4 }),
  );
  // Each store its own cap: providers count per bucket or per address.
  const capped = (store: ObjectStore): ObjectStore => (inputs.requestsPerSecond > 0 ? new RateLimitedStore(store, new RateLimiter({ rate: inputs.requestsPerSecond })) : store);
  const source = capped(opened[0]!);
  const destination = capped(opened[1]!);
  try {
    await host.group('Preflight: buckets and credentials', async () => {
      // Planning shards reads the source only.
      await Promise.all([preflightOf('source', source), inputs.mode === 'plan-shards' ? undefined : preflightOf('destination', destination)]);
      host.info(`source: ${source.display}`);
      host.info(`destination: ${destination.display} (visibility mode ${destination.visibilityMode})`);
      if (inputs.shard.count > 1) host.info(`shard ${inputs.shard.index}/${inputs.shard.count}: keys ${describeRange(inputs.shard)}`);
    });
    if (inputs.mode === 'plan-shards') return await planShards(host, summary, source, inputs);
    await host.group('Preflight: reading the source', () => checkReadable(source, inputs));
    await run(host, summary, onInterrupt, source, destination, inputs);
  } finally {
    for (const store of opened) store.close();
  }
}

async function run(host: Host, summary: Summary, onInterrupt: ActionContext['onInterrupt'], source: ObjectStore, destination: ObjectStore, inputs: MirrorBucketInputs): Promise<void> {
  const identity: ManifestIdentity = { source: source.display, destination: destination.display };
  const manifest = await host.group('Manifest of verified copies', () => openManifest(host, manifestPlace(inputs, 0), inputs.shard, identity));
  const writes = !inputs.dryRun;
  const writer = manifest.file !== undefined && writes ? await openManifestWriter({ ...manifest, file: manifest.file }, manifestPlace(inputs, 0), identity, notSeenBy(inputs)) : undefined;
  const { report, shown, stopped, seconds } = await runEngine(host, onInterrupt, source, destination, inputs, manifest, writer);
  const kept = writer ? await keepManifest(host, manifest, writer, { listingError: report.listingError, stopped }) : 0;

  const counts = report.counts;
  const row = destinationRow(inputs.destination.name, destination.display, report, runKindOf(inputs), undefined, kept);
  const inSync = row.inSync;
  writeOutputs(host, inputs, report, row);
  writeSummary(summary, inputs, report, shown, seconds, source, destination);
  const corrupt = reportDigests(host, summary, inputs, report);
  host.info(`${report.keys} key(s) in ${seconds.toFixed(1)} s: ${progressLine(report)}; compared by ${methodsLine(report)}`);

  if (report.listingError !== undefined) throw new MirrorFailedError(`a listing failed, so the run stopped and nothing was deleted: ${report.listingError}`);
  if (stopped) throw new MirrorFailedError('interrupted: nothing was deleted; run again to finish');
  if (counts.failed > 0) throw new MirrorFailedError(`${counts.failed} object(s) failed (first: ${report.failures[0]?.key}: ${report.failures[0]?.reason})${phasesNote(report.phases)}; nothing was deleted; see the report ${inputs.reportPath}`);
  if (corrupt !== undefined) throw new MirrorFailedError(`${corrupt}${phasesNote(report.phases)}`);
  if (report.deletionsWithheld !== undefined) throw new MirrorFailedError(report.deletionsWithheld);
  if (inputs.mode === 'check' && !inSync) throw new MirrorFailedError(`the stores differ: ${counts.missing} only in the source, ${counts.extra} only in the destination, ${counts.differ} different; see the report ${inputs.reportPath}`);
}

/** What one run of the engine left: its report, the lines kept for the summary, whether it was interrupted, how long it took. */
interface EngineRun {
  readonly report: MirrorReport;
  readonly shown: readonly string[];
  readonly stopped: boolean;
  readonly seconds: number;
}

/** Runs the engine, writing one report line a key; an interrupt stops it (nothing is deleted then). */
async function runEngine(
  host: Host,
  onInterrupt: ActionContext['onInterrupt'],
  source: ObjectStore,
  destination: ObjectStore,
  inputs: MirrorBucketInputs,
  manifest: OpenedManifest,
  writer: ManifestWriter | undefined,
): Promise<EngineRun> {
  let reportFile: ReturnType<typeof reportWriter>;
  try {
    await fs.mkdir(path.dirname(inputs.reportPath), { recursive: true });
    reportFile = reportWriter(inputs.reportPath);
  } catch (e) {
    // No run, so no temporary manifest left behind.
    await writer?.discard();
    throw e;
  }
  const shown: string[] = [];
  let stopped = false;
  const unregister = onInterrupt(async () => {
    stopped = true;
  });
  const started = Date.now();
  let report: MirrorReport;
  try {
    report = await host.group(inputs.mode === 'check' ? 'Check' : inputs.dryRun ? `${inputs.mode} (dry run: nothing is written)` : inputs.mode, () =>
      mirror({
        source,
        destination,
        mode: inputs.mode as 'copy' | 'sync' | 'check',
        ...runOptionsOf(inputs),
        compare: inputs.compare,
        manifest: manifest.reader,
        manifestOut: writer,
        stopped: () => stopped,
        onInterrupt,
        publication: inputs.publication,
        events: mirrorEvents(host, reportFile, shown),
        digest: inputs.digestInKey,
      }),
    );
  } catch (e) {
    await writer?.discard();
    throw e;
  } finally {
    unregister();
    await reportFile.end();
  }
  return { report, shown, stopped, seconds: (Date.now() - started) / 1000 };
}

/** The engine's log lines, one report line a key (the first changes also kept for the summary), and progress at most every 5 s. */
function mirrorEvents(host: Host, reportFile: ReportWriter, shown: string[]): MirrorEvents {
  let lastProgress = Date.now();
  return {
    info: (message) => host.info(message),
    debug: (message) => host.debug(message),
    warning: (message) => host.warning(message),
    line: (mark: Mark, key: string, detail: string) => {
      reportFile.add(`${mark} ${printable(key)}\n`);
      if (mark !== '=' && shown.length < SUMMARY_LINES) shown.push(`${mark} ${printable(key)}: ${detail}`);
      if (host.debugEnabled) host.debug(`${mark} ${key}: ${detail}`);
    },
    progress: (sofar) => {
      if (Date.now() - lastProgress < 5000) return;
      lastProgress = Date.now();
      host.info(`${sofar.keys} key(s): ${progressLine(sofar)}`);
    },
  };
}

function writeOutputs(host: Host, inputs: MirrorBucketInputs, report: MirrorReport, row: DestinationRow): void {
  const counts = report.counts;
  host.setOutput('matched', String(counts.matched));
  host.setOutput('copied', String(counts.copied));
  host.setOutput('updated', String(counts.updated));
  host.setOutput('deleted', String(counts.deleted));
  host.setOutput('skipped', String(counts.skipped));
  host.setOutput('failed', String(counts.failed));
  host.setOutput('missing', String(counts.missing));
  host.setOutput('extra', String(counts.extra));
  host.setOutput('differ', String(counts.differ));
  host.setOutput('bytes-copied', String(report.bytes.copied + report.bytes.updated));
  host.setOutput('methods', JSON.stringify(report.methods));
  host.setOutput('in-sync', String(row.inSync));
  host.setOutput('report', inputs.reportPath);
  host.setOutput('manifest-entries', String(row.manifestEntries));
  host.setOutput('destinations', JSON.stringify([row]));
  // One GET a streamed copy (a copy made inside the provider reads nothing here).
  host.setOutput('source-reads', String(report.readChecks.sha256 + report.readChecks.md5 + report.readChecks.none));
}

function describeRange(shard: Shard): string {
  const { from, to } = shard.range;
  return `from ${from === undefined ? 'the first' : JSON.stringify(from)} to ${to === undefined ? 'the last' : `before ${JSON.stringify(to)}`}`;
}

function progressLine(report: MirrorReport): string {
  const counts = report.counts;
  const parts = [`${counts.matched} same`, `${counts.copied} copied`, `${counts.updated} updated`, `${counts.deleted} deleted`, `${counts.skipped} skipped`, `${counts.failed} failed`];
  if (counts.missing + counts.extra + counts.differ > 0) parts.push(`${counts.missing} only in source`, `${counts.extra} only in destination`, `${counts.differ} differ`);
  parts.push(`${fmtBytes(report.bytes.copied + report.bytes.updated)} transferred`);
  return parts.join(', ');
}

function methodsLine(report: MirrorReport): string {
  const used = Object.entries(report.methods).filter(([, count]) => count > 0);
  return used.length === 0 ? 'nothing (no pair in both stores)' : used.map(([method, count]) => `${method} ${count}`).join(', ');
}

function writeSummary(summary: Summary, inputs: MirrorBucketInputs, report: MirrorReport, shown: readonly string[], seconds: number, source: ObjectStore, destination: ObjectStore): void {
  const counts = report.counts;
  summary.paragraph(
    `**${inputs.mode}${inputs.dryRun ? ' (dry run)' : ''}** from \`${source.display}\` to \`${destination.display}\`` +
      `${inputs.shard.count > 1 ? `, shard ${inputs.shard.index}/${inputs.shard.count}` : ''}: ${report.keys} key(s) in ${seconds.toFixed(1)} s.`,
  );
  summary.table(
    ['same', 'copied', 'updated', 'deleted', 'skipped', 'failed', 'only in source', 'only in destination', 'differ', 'transferred'],
    [[counts.matched, counts.copied, counts.updated, counts.deleted, counts.skipped, counts.failed, counts.missing, counts.extra, counts.differ].map(String).concat(fmtBytes(report.bytes.copied + report.bytes.updated))],
  );
  summary.paragraph(
    `Compared by: ${methodsLine(report)}. Streamed copies checked against the source by: sha256 ${report.readChecks.sha256}, MD5 ETag ${report.readChecks.md5}, nothing to check against ${report.readChecks.none}; server-side copies ${report.serverSideCopies}.`,
  );
  if (report.listingError) summary.paragraph(`**Listing failed; nothing was deleted:** ${report.listingError}`);
  if (report.deletionsWithheld) summary.paragraph(`**${report.deletionsWithheld}**`);
  writePhasesSummary(summary, report.phases, inputs.dryRun);
  if (report.failures.length > 0) summary.heading('Failures').table(['key', 'reason'], report.failures.map((failure) => [failure.key, failure.reason]), 20);
  if (shown.length > 0) summary.heading('Differences and changes (first lines; the full list is in the report file)').paragraph(`\`\`\`\n${shown.join('\n')}\n\`\`\``);
}
