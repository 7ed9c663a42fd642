/**
 * mirror-bucket to several destinations: stores -> preflight (a destination that fails it takes no
 * part and counts as failed) -> each destination's manifest -> the fan-out engine -> a result a
 * destination, and the exit that `require` asks for: the run fails when fewer destinations than
 * required ended right.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { StoreError } from '../../errors';
import type { Host } from '../../runtime/host';
import { printable, reportWriter } from '../../runtime/report-file';
import type { ActionContext } from '../../runtime/run-action';
import type { ObjectStore } from '../../storage/object-store';
import { openStore } from '../../storage/open-store';
import { RateLimiter } from '../../storage/rate-limit';
import { RateLimitedStore } from '../../storage/rate-limited-store';
import { mirrorFanOut, type FanOutManifest, type FanOutReport } from '../../sync/fan-out';
import type { ManifestWriter } from '../../sync/manifest';
import type { MirrorEvents } from '../../sync/mirror';
import { requiredCount } from '../../config/requirement';
import { destinationRow, idleReport, runKindOf, writeFanOutOutputs, writeFanOutSummary, type DestinationRow } from './fan-out-report';
import { runOptionsOf, type MirrorBucketInputs } from './inputs';
import { MirrorFailedError } from './mirror-failed';
import { checkReadable, preflightOf } from './preflight';
import { keepManifest, manifestPlace, notSeenBy, openManifest, openManifestWriter, type OpenedManifest } from './manifest-files';

const SUMMARY_LINES = 50;

interface Destination {
  readonly name: string;
  readonly store: ObjectStore;
  /** Why it takes no part: its preflight failed. */
  unavailable?: string;
}

export async function runFanOut({ host, summary, onInterrupt }: ActionContext, inputs: MirrorBucketInputs): Promise<void> {
  const open = (spec: MirrorBucketInputs['source']) => {
    const store = openStore(spec, { env: host.env, onSecret: (value) => host.setSecret(value), concurrency: inputs.transfers + inputs.checkers + 4 });
    // Each store its own cap: providers count per bucket or per address.
    return { opened: store, store: inputs.requestsPerSecond > 0 ? new RateLimitedStore(store, new RateLimiter({ rate: inputs.requestsPerSecond })) : store };
  };
  const source = open(inputs.source);
  const dests = inputs.destinations.map((spec) => ({ spec, ...open(spec) }));
  try {
    const destinations: Destination[] = dests.map((d) => ({ name: d.spec.name, store: d.store }));
    await host.group('Preflight: buckets and credentials', () => preflight(host, source.store, destinations, inputs));
    await host.group('Preflight: reading the source', () => checkReadable(source.store, inputs));
    await run(host, summary, onInterrupt, source.store, destinations, inputs);
  } finally {
    source.opened.close();
    for (const d of dests) d.opened.close();
  }
}

/** The source must answer; a destination that does not is left out (and fails) unless too few would be left for `require`. */
async function preflight(host: Host, source: ObjectStore, destinations: Destination[], inputs: MirrorBucketInputs): Promise<void> {
  await preflightOf('source', source);
  host.info(`source: ${source.display}`);
  await Promise.all(
    destinations.map(async (d, i) => {
      try {
        await preflightOf('destinations', d.store);
        host.info(`destination ${i + 1} (${d.name}): ${d.store.display} (visibility mode ${d.store.visibilityMode})`);
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        d.unavailable = `unavailable: ${e.message}`;
        host.warning(`destination ${i + 1} (${d.name}): ${d.unavailable}; it takes no part in this run`);
      }
    }),
  );
  const healthy = destinations.filter((d) => d.unavailable === undefined).length;
  const needed = requiredCount(inputs.require, destinations.length);
  if (healthy < needed) {
    host.setOutput('destinations', JSON.stringify(destinations.map((d) => destinationRow(d.name, d.store.display, idleReport(), runKindOf(inputs), d.unavailable))));
    host.setOutput('in-sync', 'false');
    throw new MirrorFailedError(`only ${healthy} of ${destinations.length} destination(s) answered, ${needed} required (input "require"): ${destinations.filter((d) => d.unavailable).map((d) => `${d.name}: ${d.unavailable}`).join('; ')}. Nothing was written.`);
  }
}

async function run(host: Host, summary: ActionContext['summary'], onInterrupt: ActionContext['onInterrupt'], source: ObjectStore, all: Destination[], inputs: MirrorBucketInputs): Promise<void> {
  const live = all.filter((d) => d.unavailable === undefined);
  const manifests = await host.group('Manifests of verified copies, one a destination', () => openManifests(host, source, all, live, inputs));
  let reportFile: ReturnType<typeof reportWriter>;
  try {
    await fs.mkdir(path.dirname(inputs.reportPath), { recursive: true });
    reportFile = reportWriter(inputs.reportPath);
  } catch (e) {
    // No run, so no temporary manifest left behind.
    await Promise.all(manifests.map((m) => m.writer?.discard()));
    throw e;
  }
  const shown: string[] = [];
  let stopped = false;
  const unregister = onInterrupt(async () => void (stopped = true));
  const started = Date.now();
  const number = (i: number) => all.indexOf(live[i]!) + 1;
  let report: FanOutReport;
  try {
    report = await host.group(`${inputs.mode} to ${live.length} destinations${inputs.dryRun ? ' (dry run: nothing is written)' : ''}`, () =>
      mirrorFanOut({
        source,
        destinations: live.map((d) => d.store),
        mode: inputs.mode as 'copy' | 'sync',
        ...runOptionsOf(inputs),
        stopped: () => stopped,
        onInterrupt,
        events: (i) => destinationEvents(host, (line) => reportFile.add(line), shown, number(i), live[i]!.name),
        run: { info: (m) => host.info(m), warning: (m) => host.warning(m), progress: progress(host) },
        manifests,
      }),
    );
  } catch (e) {
    await Promise.all(manifests.map((m) => m.writer?.discard()));
    throw e;
  } finally {
    unregister();
    await reportFile.end();
  }
  // Each destination's manifest as a run to it alone would keep it: the old one where its listing (or the source's) was not read whole.
  const kept = await Promise.all(manifests.map((m, i) => (m.writer ? keepManifest(host, m.opened, m.writer, { listingError: report.destinations[i]!.listingError, stopped }, say(host, number(i), live[i]!.name)) : 0)));
  const seconds = (Date.now() - started) / 1000;
  const reports = new Map(live.map((d, i) => [d, report.destinations[i]!]));
  const entries = new Map(live.map((d, i) => [d, kept[i]!]));
  const rows = all.map((d) => destinationRow(d.name, d.store.display, reports.get(d) ?? idleReport(), runKindOf(inputs), d.unavailable, entries.get(d) ?? 0));
  writeFanOutOutputs(host, report, rows, inputs.reportPath);
  const heading = `**${inputs.mode}${inputs.dryRun ? ' (dry run)' : ''}** from \`${source.display}\` to ${all.length} destinations${inputs.shard.count > 1 ? `, shard ${inputs.shard.index}/${inputs.shard.count}` : ''} in ${seconds.toFixed(1)} s`;
  writeFanOutSummary(summary, heading, report, rows, shown);
  host.info(`${report.keys} key(s) in ${seconds.toFixed(1)} s, ${report.sourceReads} source read(s): ${rows.map((r, i) => `${i + 1} ${r.ok ? 'ok' : 'FAILED'} (${r.copied} copied, ${r.updated} updated, ${r.deleted} deleted, ${r.failed} failed)`).join('; ')}`);
  verdict(inputs, report, rows, stopped, (m) => host.warning(m));
}

/** One destination's manifest: where it is kept, the one read and the one this run writes (none in a dry run). */
interface DestinationManifest extends FanOutManifest {
  readonly opened: OpenedManifest;
  readonly writer?: ManifestWriter;
}

/** Each live destination's manifest, opened as a run to that destination alone opens it (the same cache key or file for the pair). */
async function openManifests(host: Host, source: ObjectStore, all: readonly Destination[], live: readonly Destination[], inputs: MirrorBucketInputs): Promise<DestinationManifest[]> {
  const settled = await Promise.allSettled(
    live.map(async (d) => {
      const n = all.indexOf(d);
      const identity = { source: source.display, destination: d.store.display };
      const wanted = manifestPlace(inputs, n);
      const opened = await openManifest(host, wanted, inputs.shard, identity, say(host, n + 1, d.name));
      const writer = opened.file !== undefined && !inputs.dryRun ? await openManifestWriter({ ...opened, file: opened.file }, wanted, identity, notSeenBy(inputs)) : undefined;
      return { opened, reader: opened.reader, writer };
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    // The ones that did open leave no temporary file behind.
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.writer?.discard() : undefined)));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<DestinationManifest>).value);
}

/** Log lines about destination `n`. */
function say(host: Host, n: number, name: string): Pick<Host, 'info' | 'warning'> {
  return { info: (m) => host.info(`destination ${n} (${name}): ${m}`), warning: (m) => host.warning(`destination ${n} (${name}): ${m}`) };
}

/** The exit: a failed source listing or an interrupt fails the run; otherwise `require` decides. */
function verdict(inputs: MirrorBucketInputs, report: FanOutReport, rows: readonly DestinationRow[], stopped: boolean, warn: (m: string) => void): void {
  if (report.listingError !== undefined) throw new MirrorFailedError(`the source listing failed, so the run stopped and nothing was deleted: ${report.listingError}`);
  if (stopped) throw new MirrorFailedError('interrupted: nothing was deleted; run again to finish');
  const needed = requiredCount(inputs.require, rows.length);
  const ok = rows.filter((r) => r.ok).length;
  const bad = rows.flatMap((r, i) => (r.ok ? [] : [`${i + 1} ${r.name}: ${r.unavailable ?? r.listingError ?? r.deletionsWithheld ?? (r.firstFailure !== undefined ? `${r.failed} object(s) failed (first: ${r.firstFailure})` : 'failed')}`]));
  if (ok < needed) throw new MirrorFailedError(`${ok} of ${rows.length} destination(s) ended right, ${needed} required (input "require"): ${bad.join('; ')}; see the report ${inputs.reportPath}`);
  for (const b of bad) warn(`destination ${b} (the run passes: ${ok} of ${rows.length} ended right, ${needed} required)`);
}

/** One destination's report lines: `MARK dN KEY` in the report file, the first changes kept for the summary. */
function destinationEvents(host: Host, add: (line: string) => void, shown: string[], n: number, name: string): MirrorEvents {
  return {
    info: (message) => host.info(`destination ${n} (${name}): ${message}`),
    debug: (message) => host.debug(`destination ${n}: ${message}`),
    warning: (message) => host.warning(`destination ${n} (${name}): ${message}`),
    line: (mark, key, detail) => {
      add(`${mark} d${n} ${printable(key)}\n`);
      if (mark !== '=' && shown.length < SUMMARY_LINES) shown.push(`${mark} d${n} ${printable(key)}: ${detail}`);
      if (host.debugEnabled) host.debug(`${mark} d${n} ${key}: ${detail}`);
    },
  };
}

function progress(host: Host): (r: FanOutReport) => void {
  let last = Date.now();
  return (r) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    host.info(`${r.keys} key(s), ${r.sourceReads} source read(s): ${r.destinations.map((d, i) => `${i + 1}: ${d.counts.copied + d.counts.updated} written, ${d.counts.failed} failed`).join('; ')}`);
  };
}
