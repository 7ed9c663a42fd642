/** What a mirror to several destinations reports: totals and a row a destination, as outputs and in the summary. */
import type { Host } from '../../runtime/host';
import type { Summary } from '../../runtime/summary';
import { fmtBytes } from '../../config/size';
import type { FanOutReport } from '../../sync/fan-out';
import { emptyMirrorReport, type MirrorReport } from '../../sync/mirror';
import { inSyncAfter, type MirrorMode } from '../../sync/mirror-types';

/** One destination's result, as the `destinations` output lists it. */
export interface DestinationRow {
  readonly name: string;
  /** Where it is, without credentials. */
  readonly store: string;
  /** True when the run ended right there: the listings read whole, nothing failed, no deletion withheld (a dry run: the plan made, nothing written). */
  readonly ok: boolean;
  /** True when, after this run, it holds what the source holds (`inSyncAfter`): false after a dry run with anything to do there. */
  readonly inSync: boolean;
  readonly matched: number;
  readonly copied: number;
  readonly updated: number;
  readonly deleted: number;
  readonly skipped: number;
  readonly failed: number;
  readonly bytesCopied: number;
  readonly serverSideCopies: number;
  /** Verified pairs recorded in its manifest by this run (0 without one). */
  readonly manifestEntries: number;
  /** Why it took no part (its preflight failed). */
  readonly unavailable?: string;
  readonly listingError?: string;
  readonly deletionsWithheld?: string;
  readonly firstFailure?: string;
}

/** The report of a destination that took no part: nothing done, not complete. */
export const idleReport = emptyMirrorReport;

/** How the run went: its mode and whether it was a dry run, which decide what in sync means. */
export interface RunKind {
  readonly mode: MirrorMode;
  readonly dryRun: boolean;
}

export function runKindOf(inputs: { readonly mode: string; readonly dryRun: boolean }): RunKind {
  return { mode: inputs.mode as MirrorMode, dryRun: inputs.dryRun };
}

export function destinationRow(name: string, store: string, r: MirrorReport, run: RunKind, unavailable?: string, manifestEntries = 0): DestinationRow {
  const c = r.counts;
  const first = r.failures[0];
  const ok = unavailable === undefined && r.complete && r.deletionsWithheld === undefined && c.missing + c.extra + c.differ === 0;
  return {
    name,
    store,
    ok,
    inSync: unavailable === undefined && inSyncAfter(r, run.mode, run.dryRun),
    matched: c.matched,
    copied: c.copied,
    updated: c.updated,
    deleted: c.deleted,
    skipped: c.skipped,
    failed: c.failed,
    bytesCopied: r.bytes.copied + r.bytes.updated,
    serverSideCopies: r.serverSideCopies,
    manifestEntries,
    ...(unavailable !== undefined ? { unavailable } : {}),
    ...(r.listingError !== undefined ? { listingError: r.listingError } : {}),
    ...(r.deletionsWithheld !== undefined ? { deletionsWithheld: r.deletionsWithheld } : {}),
    ...(first !== undefined ? { firstFailure: `${first.key}: ${first.reason}` } : {}),
  };
}

/** The outputs: totals over every destination under the two-way names, and the rows as JSON. */
export function writeFanOutOutputs(host: Host, report: FanOutReport, rows: readonly DestinationRow[], reportPath: string): void {
  const sum = (f: (r: MirrorReport) => number) => report.destinations.reduce((n, r) => n + f(r), 0);
  for (const name of ['matched', 'copied', 'updated', 'deleted', 'skipped', 'failed', 'missing', 'extra', 'differ'] as const) host.setOutput(name, String(sum((r) => r.counts[name])));
  host.setOutput('bytes-copied', String(sum((r) => r.bytes.copied + r.bytes.updated)));
  const methods = { ...report.destinations[0]!.methods };
  for (const k of Object.keys(methods) as (keyof typeof methods)[]) methods[k] = sum((r) => r.methods[k]);
  host.setOutput('methods', JSON.stringify(methods));
  host.setOutput('in-sync', String(rows.every((row) => row.inSync)));
  host.setOutput('report', reportPath);
  host.setOutput('manifest-entries', String(rows.reduce((n, row) => n + row.manifestEntries, 0)));
  host.setOutput('destinations', JSON.stringify(rows));
  host.setOutput('source-reads', String(report.sourceReads));
}

export function writeFanOutSummary(summary: Summary, heading: string, report: FanOutReport, rows: readonly DestinationRow[], shown: readonly string[]): void {
  summary.paragraph(`${heading}: ${report.keys} key(s); ${report.sourceReads} object(s) read from the source, each read once for every destination that needed it.`);
  summary.table(
    ['#', 'destination', 'result', 'same', 'copied', 'updated', 'deleted', 'skipped', 'failed', 'transferred'],
    rows.map((row, i) => [String(i + 1), `\`${row.store}\``, row.ok ? 'ok' : row.unavailable !== undefined ? 'unavailable' : 'failed', ...[row.matched, row.copied, row.updated, row.deleted, row.skipped, row.failed].map(String), fmtBytes(row.bytesCopied)]),
  );
  if (report.listingError !== undefined) summary.paragraph(`**The source listing failed; nothing was deleted in any destination:** ${report.listingError}`);
  const notes = rows.flatMap((row, i) => [row.unavailable, row.listingError && `listing failed, nothing deleted there: ${row.listingError}`, row.deletionsWithheld, row.firstFailure && `first failure: ${row.firstFailure}`].filter((x): x is string => !!x).map((note) => [String(i + 1), note]));
  if (notes.length > 0) summary.heading('Per destination').table(['#', 'note'], notes, 40);
  if (shown.length > 0) summary.heading('Differences and changes (first lines; the full list is in the report file, d1, d2, ... naming the destination)').paragraph(`\`\`\`\n${shown.join('\n')}\n\`\`\``);
}
