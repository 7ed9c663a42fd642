/** `prune` glue: inputs -> stores -> engine -> report file, outputs and summary. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError } from '../../config/configuration-error';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import type { Host } from '../../runtime/host';
import { reportWriter } from '../../runtime/report-file';
import { openStore } from '../../storage/open-store';
import { prune, type PruneEvents, type PruneReport } from '../../prune/prune';
import { readPruneInputs, type PruneInputs } from './inputs';
import { writePruneSummary } from './summary';

/** Raised when a listing failed, deletions were withheld, or some deletions failed. */
export class PruneFailedError extends ActionFailure {
  override readonly name = 'PruneFailedError';
}

/** Deletions (each with its backup) in flight per store. */
const CONCURRENCY = 8;
/** Part size of a backup copy that cannot be made inside the provider. */
const BACKUP_PART = 64 * 1024 * 1024;
/** Report lines kept for the summary, at most. */
const SUMMARY_LINES = 50;

export async function pruneAction({ host, summary, onInterrupt }: ActionContext): Promise<void> {
  const inputs = readPruneInputs(host);
  const targets = inputs.stores.map((spec) => ({ name: spec.name, store: openStore(spec, { env: host.env, onSecret: (v) => host.setSecret(v), concurrency: CONCURRENCY + 4 }) }));
  try {
    await host.group('Preflight: buckets and credentials', () => preflight(host, targets));
    await fs.mkdir(path.dirname(inputs.reportPath), { recursive: true });
    const file = reportWriter(inputs.reportPath);
    file.add(`# prune${inputs.dryRun ? ' (dry run: nothing deleted)' : ''}: MARK STORE KEY; - deleted${inputs.dryRun ? ' (would be)' : ''}, ! not deleted, = changed during the run so kept, ? kept but missing in that store\n`);
    const shown: string[] = [];
    let stopped = false;
    const unregister = onInterrupt(async () => {
      stopped = true;
    });
    const started = Date.now();
    let report: PruneReport;
    try {
      report = await host.group(inputs.dryRun ? 'Prune (dry run: nothing is deleted)' : 'Prune', () =>
        prune({
          targets,
          match: inputs.match,
          rule: inputs.rule,
          dryRun: inputs.dryRun,
          maxDelete: inputs.maxDelete,
          backupPrefix: inputs.backupPrefix,
          concurrency: CONCURRENCY,
          partSize: BACKUP_PART,
          stopped: () => stopped,
          events: events(host, (line) => file.add(line), shown),
        }),
      );
    } finally {
      unregister();
      await file.end();
    }
    const seconds = (Date.now() - started) / 1000;
    writeOutputs(host, inputs, report);
    writePruneSummary(summary, inputs, report, shown, seconds);
    finish(host, inputs, report, stopped);
  } finally {
    for (const t of targets) t.store.close();
  }
}

/** Every store must answer: a prune that cannot see a store cannot decide for the others. */
async function preflight(host: Host, targets: readonly { name: string; store: { preflight(): Promise<void>; display: string } }[]): Promise<void> {
  const outcomes = await Promise.all(targets.map((t) => t.store.preflight().then(() => undefined, (e: unknown) => `${t.name}: ${e instanceof Error ? e.message : String(e)}`)));
  const bad = outcomes.filter((o): o is string => o !== undefined);
  if (bad.length > 0) throw new ConfigurationError(`input "stores": ${bad.join('; ')}. Nothing was deleted.`);
  for (const t of targets) host.info(`${t.name}: ${t.store.display}`);
}

function events(host: Host, write: (line: string) => void, shown: string[]): PruneEvents {
  let last = Date.now();
  return {
    info: (m) => host.info(m),
    debug: (m) => host.debug(m),
    warning: (m) => host.warning(m),
    line: (store, mark, key, detail) => {
      write(`${mark} ${store} ${printable(key)}\n`);
      if (shown.length < SUMMARY_LINES) shown.push(`${mark} ${store} ${printable(key)}: ${detail}`);
      if (host.debugEnabled) host.debug(`${mark} ${store} ${key}: ${detail}`);
    },
    progress: (done, total) => {
      if (done < total && Date.now() - last < 5000) return;
      last = Date.now();
      host.info(`${done} of ${total} deletion(s) done`);
    },
  };
}

function printable(key: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0020\u007f]/.test(key) ? JSON.stringify(key) : key;
}

const sum = (report: PruneReport, field: 'due' | 'deleted' | 'failed' | 'drift' | 'unmatched') => report.stores.reduce((n, s) => n + s[field], 0);

function writeOutputs(host: Host, inputs: PruneInputs, report: PruneReport): void {
  host.setOutput('planned', String(sum(report, 'due')));
  host.setOutput('deleted', String(inputs.dryRun ? 0 : sum(report, 'deleted')));
  host.setOutput('kept', String(report.keep));
  host.setOutput('drift', String(sum(report, 'drift')));
  host.setOutput('unmatched', String(sum(report, 'unmatched')));
  host.setOutput('failed', String(sum(report, 'failed')));
  host.setOutput(
    'stores',
    JSON.stringify(
      report.stores.map((s) => ({
        store: s.store,
        listed: s.listed,
        unmatched: s.unmatched,
        kept: s.kept,
        drift: s.drift,
        planned: s.due,
        deleted: inputs.dryRun ? 0 : s.deleted,
        failed: s.failed,
        ...(s.listingError !== undefined ? { listingError: s.listingError } : {}),
      })),
    ),
  );
  host.setOutput('report', inputs.reportPath);
}

function finish(host: Host, inputs: PruneInputs, report: PruneReport, stopped: boolean): void {
  const due = sum(report, 'due');
  host.info(`${report.keep} key(s) kept over ${report.stores.length} store(s)${report.groups > 0 ? ` in ${report.groups} group(s)` : ''}; ${inputs.dryRun ? `${due} deletion(s) planned (dry run)` : `${sum(report, 'deleted')} of ${due} deleted`}, ${sum(report, 'failed')} failed, ${sum(report, 'drift')} drift`);
  const drift = sum(report, 'drift');
  if (drift > 0) host.warning(`${drift} kept object(s) are missing from some store (drift; not an error): ${report.stores.filter((s) => s.drift > 0).map((s) => `${s.store} lacks ${s.drift}`).join(', ')}; see the report ${inputs.reportPath}`);
  const changed = report.stores.reduce((n, s) => n + s.changed, 0);
  if (changed > 0) host.warning(`${changed} object(s) were written again or deleted after the listing and were kept, not deleted; see the report ${inputs.reportPath}`);
  if (report.namedMissing.length > 0) host.warning(`${report.namedMissing.length} key(s) the keep list names are in no store (first: ${report.namedMissing[0]})`);
  const listing = report.stores.filter((s) => s.listingError !== undefined);
  if (listing.length > 0) throw new PruneFailedError(`${report.withheld}: ${listing.map((s) => `${s.store}: ${s.listingError}`).join('; ')}`);
  if (report.withheld !== undefined) throw new PruneFailedError(report.withheld);
  if (stopped) throw new PruneFailedError('interrupted: the deletions not done yet were not made; run again to finish');
  const failed = sum(report, 'failed');
  if (failed > 0) throw new PruneFailedError(`${failed} deletion(s) failed (first: ${report.failures[0]?.store} ${report.failures[0]?.key}: ${report.failures[0]?.reason}); see the report ${inputs.reportPath}`);
}
