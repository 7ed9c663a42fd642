/**
 * What `upload-logs` leaves behind: outputs (counts as decimal strings), a JSON report file under
 * `RUNNER_TEMP` with every file's outcome, and the job summary (the link first, then what needs
 * attention). Names and reasons only: never content, never a secret.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommentGrant } from '../../logs/authorize';
import type { LinkResult } from '../../logs/post-links';
import type { ProbeResult } from '../../logs/publish-index';
import { formatSize } from '../../config/size';
import type { RunContext } from '../../logs/run-context';
import type { TreeReport } from '../../logs/upload-tree';
import type { WalkResult } from '../../logs/walk';
import type { ActionContext } from '../../runtime/run-action';
import type { UploadLogsInputs } from './inputs';

export type { LinkResult, ProbeResult };

export interface RunResult {
  readonly inputs: UploadLogsInputs;
  readonly run: RunContext;
  readonly prefix: string;
  readonly url: string;
  readonly walked: Extract<WalkResult, { kind: 'walked' }>;
  readonly dryRun: boolean;
  readonly seconds: number;
  readonly stores: readonly ProbeResult[];
  /** `undefined` on a dry run. */
  readonly tree: TreeReport | undefined;
  readonly grant: CommentGrant | undefined;
  readonly links: readonly LinkResult[];
  readonly redactionsIgnored?: number;
}

/** Rows of the summary's problem table at most; the report file has them all. */
const SUMMARY_ROWS = 50;

type Host = ActionContext['host'];

/** The counts the outputs, the report and the summary show. */
interface Counts {
  readonly files: number;
  readonly bytes: number;
  readonly skipped: number;
  readonly hidden: number;
  readonly failed: number;
  readonly redactions: number;
}

/** A file not uploaded, and why. */
interface Problem {
  readonly rel: string;
  readonly outcome: string;
  readonly reason: string;
}

/** Sets the outputs, writes the report file and the summary. */
export function writeResults(host: Host, summary: ActionContext['summary'], result: RunResult): void {
  const files = result.tree?.files ?? [];
  const uploaded = files.filter((f) => f.outcome === 'uploaded');
  const problems: Problem[] = [
    ...files.filter((f) => f.outcome !== 'uploaded').map((f) => ({ rel: f.rel, outcome: f.outcome, reason: f.reason ?? '' })),
    ...result.walked.unusable.map((u) => ({ rel: u.rel, outcome: 'failed' as const, reason: u.reason })),
  ];
  const counts: Counts = {
    files: result.dryRun ? result.walked.files.length : uploaded.length,
    bytes: result.tree?.bytes ?? 0,
    skipped: result.walked.skipped.length,
    hidden: result.walked.hidden.length,
    failed: problems.length,
    redactions: result.tree?.redactions ?? 0,
  };
  const reportPath = writeReport(host, result, counts);
  setOutputs(host, result, counts, reportPath);
  logResults(host, result, counts);
  writeSummary(summary, result, counts, problems, reportPath);
}

/** The JSON report file under `RUNNER_TEMP`, with every file's outcome; returns its path. */
function writeReport(host: Host, result: RunResult, counts: Counts): string {
  const files = result.tree?.files ?? [];
  const reportPath = path.join(host.env.RUNNER_TEMP || os.tmpdir(), `upload-logs-${result.run.runId || 'local'}-${randomBytes(4).toString('hex')}.json`);
  const report = {
    prefix: result.prefix,
    url: result.url,
    dryRun: result.dryRun,
    visibility: result.inputs.visibility,
    seconds: result.seconds,
    counts,
    authorization: result.grant ? { commenter: result.grant.commenter, via: result.grant.via, level: result.grant.level, command: result.grant.command, arguments: result.grant.arguments } : undefined,
    stores: result.stores,
    links: result.links,
    redaction: { enabled: result.inputs.redact, occurrences: counts.redactions, secretsTooShort: result.redactionsIgnored ?? 0 },
    files: result.dryRun
      ? result.walked.files.map((f) => ({ path: f.rel, size: f.size, outcome: 'planned' }))
      : files.map((f) => ({
          path: f.rel,
          size: f.size ?? f.sourceSize,
          sourceSize: f.sourceSize,
          contentType: f.contentType,
          contentEncoding: f.contentEncoding,
          redactions: f.redactions,
          scan: f.scan,
          outcome: f.outcome,
          reason: f.reason,
          stores: f.stores,
        })),
    unusable: result.walked.unusable,
    skipped: result.walked.skipped,
    hidden: result.walked.hidden,
  };
  fs.writeFileSync(reportPath, `${JSON.stringify(report, null, 1)}\n`);
  return reportPath;
}

function setOutputs(host: Host, result: RunResult, counts: Counts, reportPath: string): void {
  host.setOutput('result', result.dryRun ? 'dry-run' : 'uploaded');
  host.setOutput('url', result.url);
  host.setOutput('prefix', result.prefix);
  host.setOutput('files', String(counts.files));
  host.setOutput('bytes', String(counts.bytes));
  host.setOutput('skipped', String(counts.skipped));
  host.setOutput('hidden', String(counts.hidden));
  host.setOutput('failed', String(counts.failed));
  host.setOutput('redactions', String(counts.redactions));
  host.setOutput('report', reportPath);
  if (result.grant === undefined) host.setOutput('arguments', '[]');
}

/** Warnings for files vanished, not scanned whole or not usable as keys; then the totals. */
function logResults(host: Host, result: RunResult, counts: Counts): void {
  const files = result.tree?.files ?? [];
  const vanished = files.filter((f) => f.outcome === 'vanished');
  if (vanished.length > 0) host.warning(`${vanished.length} file(s) vanished during the upload and are not in the logs: ${vanished.slice(0, 5).map((f) => f.rel).join(', ')}${vanished.length > 5 ? ', ...' : ''}`);
  const unscanned = files.filter((f) => f.scan === 'unscanned-compressed');
  if (unscanned.length > 0) {
    host.warning(
      `${unscanned.length} gzip file(s) were too large to unpack here, or not whole: only their compressed bytes were redacted, not the content inside: ` +
        `${unscanned.slice(0, 5).map((f) => f.rel).join(', ')}${unscanned.length > 5 ? ', ...' : ''}`,
    );
  }
  if (result.walked.unusable.length > 0) host.warning(`${result.walked.unusable.length} file(s) cannot be uploaded under their names: ${result.walked.unusable.slice(0, 5).map((u) => `${JSON.stringify(u.rel)} (${u.reason})`).join(', ')}`);
  host.info(
    `${result.dryRun ? 'planned' : 'uploaded'} ${counts.files} file(s), ${formatSize(counts.bytes)} written, ${counts.skipped} skipped, ${counts.failed} failed, ` +
      `${counts.redactions} redaction(s)${result.dryRun ? '' : ` in ${result.seconds.toFixed(1)} s`}: ${result.url}`,
  );
}

/** The job summary: the link first, then what needs attention. */
function writeSummary(summary: ActionContext['summary'], result: RunResult, counts: Counts, problems: readonly Problem[], reportPath: string): void {
  const linkText = result.prefix.replace(/[\\[\]]/g, (c) => `\\${c}`).replace(/</g, '&lt;');
  summary.paragraph(
    `${result.dryRun ? 'Dry run, nothing written. Logs would be at' : 'Logs:'} [${linkText}](${result.url}): ${counts.files} file(s), ${formatSize(counts.bytes)} written` +
      (counts.failed > 0 ? `, **${counts.failed} not uploaded**` : '') +
      (counts.skipped > 0 ? `, ${counts.skipped} skipped` : '') +
      (counts.hidden > 0 ? `, ${counts.hidden} hidden path(s) left out (set include-hidden-files: true to publish them)` : '') +
      (counts.redactions > 0 ? `, ${counts.redactions} secret occurrence(s) redacted` : '') +
      (result.dryRun ? '.' : ` in ${result.seconds.toFixed(1)} s.`),
  );
  if (result.grant) summary.paragraph(`Triggered by @${result.grant.commenter} (${result.grant.via === 'allowlist' ? 'allowed-users' : `${result.grant.level} permission`}): \`${result.grant.command}${result.grant.arguments.map((a) => ` ${a}`).join('')}\``);
  if (result.stores.length > 0) {
    summary.table(
      ['store', 'index page', 'anonymous check'],
      result.stores.map((probe) => [probe.store, probe.indexError ?? 'written', probe.samples.map((sample) => `${sample.access}${sample.access === sample.expected || sample.access === 'n/a' ? '' : ` (expected ${sample.expected})`}`).join(', ')]),
    );
  }
  for (const link of result.links) if (!link.ok) summary.paragraph(`⚠️ ${link.kind}: ${link.detail}`);
  if (problems.length > 0) {
    summary.heading('Not uploaded').table(['file', 'outcome', 'reason'], problems.map((p) => [p.rel, p.outcome, p.reason]), SUMMARY_ROWS);
  }
  summary.paragraph(`Report: \`${reportPath}\``);
}
