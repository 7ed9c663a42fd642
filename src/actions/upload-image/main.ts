/** `upload-image` glue: inputs -> stores -> engine -> outputs and summary. */
import * as path from 'node:path';
import { ConfigurationError } from '../../config/configuration-error';
import { probeAnonymous } from '../../storage/anonymous';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import { Progress } from '../../runtime/progress';
import { StoreError } from '../../errors';
import { openStore } from '../../storage/open-store';
import { expandFiles } from '../../upload/files';
import { hashFile, readChunks } from '../../upload/file-chunks';
import { requiredCount } from '../../config/requirement';
import { fmtBytes } from '../../config/size';
import { uploadImages, type UploadReport, type UploadTarget } from '../../upload/upload-images';
import { readUploadImageInputs, type UploadImageInputs } from './inputs';

/** Raised when files did not reach enough stores, or a private object is exposed. */
export class UploadFailedError extends ActionFailure {
  override readonly name = 'UploadFailedError';
}

export async function uploadImage({ host, summary, onInterrupt }: ActionContext): Promise<void> {
  const inputs = readUploadImageInputs(host);
  const files = await expandFiles(inputs.files, host.cwd).catch((e: unknown) => {
    throw e instanceof ConfigurationError ? e.within('input "files"') : e;
  });

  const stores = inputs.stores.map((spec) => ({
    spec,
    store: openStore(spec, { env: host.env, onSecret: (v) => host.setSecret(v), concurrency: inputs.concurrency + 4 }),
  }));
  try {
    const targets = await host.group('Preflight: buckets and credentials', () => preflight(host, stores, inputs));
    const progress = new Progress((line) => host.info(line));
    const started = Date.now();
    const report = await host.group(inputs.dryRun ? 'Plan (dry run: nothing is written)' : 'Upload and verify', () =>
      uploadImages({
        files,
        targets,
        keyTemplate: inputs.key,
        rules: inputs.rules,
        requirement: inputs.require,
        partSize: inputs.partSize,
        concurrency: inputs.concurrency,
        contentType: inputs.contentType,
        cacheControl: inputs.cacheControl,
        dryRun: inputs.dryRun,
        readChunks,
        hashFile,
        probe: (url) => probeAnonymous(url),
        events: {
          info: (m) => host.info(m),
          debug: (m) => host.debug(m),
          warning: (m) => host.warning(m),
          progress: (file, done, total) => progress.bytes(file, done, total),
        },
        onInterrupt,
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    writeOutputs(host, report);
    writeSummary(summary, report, inputs, seconds);
    host.info(
      `${report.files.length} file(s), ${stores.length} store(s): ${count(report, 'uploaded')} uploaded, ${count(report, 'skipped')} skipped, ` +
        `${count(report, 'failed')} failed; ${fmtBytes(report.bytesUploaded)} written in ${seconds.toFixed(1)} s`,
    );
    if (report.exposed.length > 0) {
      const list = report.exposed.map((x) => `${x.key} on ${x.store}`).join(', ');
      throw new UploadFailedError(`private object(s) readable anonymously: ${list}. Fix the bucket policy or ACLs now.`);
    }
    if (!report.ok) {
      const needed = requiredCount(inputs.require, stores.length);
      const bad = report.files.filter((f) => !f.ok);
      throw new UploadFailedError(
        `${bad.length} of ${report.files.length} file(s) reached fewer than the ${needed} store(s) required: ` +
          bad.map((f) => `${f.key} (${f.stores.filter((s) => s.outcome === 'failed').map((s) => `${s.store}: ${s.reason}`).join('; ')})`).join(', '),
      );
    }
  } finally {
    for (const s of stores) s.store.close();
  }
}

/** Checks every store at once. Configuration problems stop the run; passing faults mark the store unavailable. */
async function preflight(
  host: ActionContext['host'],
  stores: { spec: UploadImageInputs['stores'][number]; store: UploadTarget['store'] }[],
  inputs: UploadImageInputs,
): Promise<UploadTarget[]> {
  const outcomes = await Promise.all(
    stores.map(async ({ spec, store }) => {
      try {
        await store.preflight();
        host.info(`${spec.name}: ok (${store.display}, visibility ${store.visibilityMode})`);
        return { name: spec.name, store };
      } catch (e) {
        return { name: spec.name, store, error: e };
      }
    }),
  );
  const fatal = outcomes.filter((o) => o.error !== undefined && !(o.error instanceof StoreError && !o.error.isConfiguration));
  if (fatal.length > 0) {
    throw new ConfigurationError(
      `input "stores": ${fatal.map((o) => `${o.name}: ${o.error instanceof Error ? o.error.message : String(o.error)}`).join('; ')}. Nothing was written.`,
    );
  }
  const targets = outcomes.map((o) => ({ name: o.name, store: o.store, unavailable: o.error === undefined ? undefined : `unavailable: ${(o.error as Error).message}` }));
  const healthy = targets.filter((t) => t.unavailable === undefined).length;
  const needed = requiredCount(inputs.require, targets.length);
  if (healthy < needed) {
    throw new UploadFailedError(`only ${healthy} of ${targets.length} store(s) answered, ${needed} required: ${targets.filter((t) => t.unavailable).map((t) => `${t.name}: ${t.unavailable}`).join('; ')}. Nothing was written.`);
  }
  for (const t of targets) if (t.unavailable) host.warning(`${t.name}: ${t.unavailable}`);
  return targets;
}

function count(report: UploadReport, outcome: string): number {
  return report.files.reduce((n, f) => n + f.stores.filter((s) => s.outcome === outcome).length, 0);
}

function writeOutputs(host: ActionContext['host'], report: UploadReport): void {
  const perStore = new Map<string, { store: string; uploaded: number; skipped: number; failed: number; planned: number }>();
  for (const f of report.files) {
    for (const s of f.stores) {
      const row = perStore.get(s.store) ?? { store: s.store, uploaded: 0, skipped: 0, failed: 0, planned: 0 };
      row[s.outcome]++;
      perStore.set(s.store, row);
    }
  }
  host.setOutput(
    'results',
    JSON.stringify(
      report.files.map((f) => ({
        file: f.file,
        key: f.key,
        size: f.size,
        sha256: f.sha256,
        visibility: f.visibility,
        decidedBy: f.decidedBy,
        visibilityReason: f.visibilityReason,
        ok: f.ok,
        stores: f.stores,
      })),
    ),
  );
  host.setOutput('stores', JSON.stringify([...perStore.values()]));
  host.setOutput('keys', JSON.stringify(report.files.map((f) => f.key)));
  host.setOutput('uploaded', String(count(report, 'uploaded')));
  host.setOutput('skipped', String(count(report, 'skipped')));
  host.setOutput('failed', String(count(report, 'failed')));
  host.setOutput('bytes', String(report.bytesUploaded));
}

const DECIDED_BY = { name: 'file name', key: 'key', both: 'file name and key', default: 'no rule (private)' } as const;

function writeSummary(summary: ActionContext['summary'], report: UploadReport, inputs: UploadImageInputs, seconds: number): void {
  const mark = { uploaded: '✅ uploaded', skipped: '⏭️ skipped', failed: '❌ failed', planned: '📝 planned' } as const;
  summary.paragraph(
    `${report.files.length} file(s) to ${inputs.stores.length} store(s)${inputs.dryRun ? ' (dry run)' : ''}, ${fmtBytes(report.bytesUploaded)} written in ${seconds.toFixed(1)} s.`,
  );
  if (report.exposed.length > 0) {
    summary.heading('Exposed private objects').table(['store', 'key'], report.exposed.map((x) => [x.store, x.key]));
  }
  summary.table(
    ['file', 'size', 'visibility', 'store', 'result', 'anonymous read', 'detail'],
    report.files.flatMap((f) =>
      f.stores.map((s) => [
        f.key,
        fmtBytes(f.size),
        f.visibility,
        s.store,
        mark[s.outcome],
        s.anonymous ?? '',
        s.reason ?? (f.sha256 ? `sha256 ${f.sha256.slice(0, 12)}…` : ''),
      ]),
    ),
  );
  // Which rules made each file public or private, and whether its name, its key or both matched:
  // with a key such as `images/{sha256}{ext}`, the name is what keeps a rhel image private.
  summary
    .heading('Visibility')
    .table(
      ['file', 'key', 'visibility', 'decided by', 'why'],
      report.files.map((f) => [path.basename(f.file), f.key, f.visibility, DECIDED_BY[f.decidedBy], f.visibilityReason]),
    );
}
