/** `download-image` glue: inputs -> stores -> engine -> outputs and summary. */
import { downloadImage, DownloadFailedError, type DownloadResult, type StoreAttempt } from '../../download/download-image';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import { Progress } from '../../runtime/progress';
import { openStore } from '../../storage/open-store';
import { fmtBytes } from '../../config/size';
import { readDownloadImageInputs, type DownloadImageInputs } from './inputs';

/** Raised when no store could serve a verified copy of the object. */
export class DownloadImageError extends ActionFailure {
  override readonly name = 'DownloadImageError';
}

export async function downloadImageAction({ host, summary }: ActionContext): Promise<void> {
  const inputs = readDownloadImageInputs(host);
  // No preflight: the HEAD of the object is the first request, and says all a download needs.
  const stores = inputs.stores.map((spec) => ({
    name: spec.name,
    store: openStore(spec, { env: host.env, onSecret: (v) => host.setSecret(v), concurrency: 2 }),
  }));
  const progress = new Progress((line) => host.info(line));
  const started = Date.now();
  let attempts: readonly StoreAttempt[] = [];
  try {
    const result = await host.group(`Download ${inputs.key} (${inputs.order === 'fastest' ? 'the fastest store first' : 'stores in the listed order'})`, () =>
      downloadImage({
        key: inputs.key,
        dest: inputs.dest,
        sources: stores,
        order: inputs.order,
        sha256: inputs.sha256,
        requireSha256: inputs.requireSha256,
        retries: inputs.retries,
        events: {
          info: (m) => host.info(m),
          debug: (m) => host.debug(m),
          warning: (m) => host.warning(m),
          progress: (done, total) => progress.bytes(inputs.key, done, total),
        },
      }),
    );
    attempts = result.attempts;
    const seconds = (Date.now() - started) / 1000;
    writeOutputs(host, result);
    writeSummary(summary, inputs, result, seconds);
    host.info(
      result.outcome === 'present'
        ? `${result.path}: already present and verified, nothing downloaded`
        : `${result.path}: ${fmtBytes(result.size)} from ${result.store} (${fmtBytes(result.received)} received, ${fmtBytes(result.resumedFrom)} resumed) in ${seconds.toFixed(1)} s`,
    );
  } catch (e) {
    if (e instanceof DownloadFailedError) {
      attempts = e.attempts;
      summary.table(['store', 'result', 'detail'], attemptRows(attempts));
      throw new DownloadImageError(`${e.message}. Nothing was written to ${inputs.dest}.`);
    }
    throw e;
  } finally {
    for (const s of stores) s.store.close();
  }
}

function writeOutputs(host: ActionContext['host'], r: DownloadResult): void {
  host.setOutput('path', r.path);
  host.setOutput('store', r.store ?? '');
  host.setOutput('sha256', r.sha256);
  host.setOutput('size', String(r.size));
  host.setOutput('resumed-from', String(r.resumedFrom));
  host.setOutput('skipped', String(r.outcome === 'present'));
  host.setOutput('verified-by', r.verifiedBy);
}

const VERIFIED: Record<DownloadResult['verifiedBy'], string> = {
  input: 'sha256 verified against the input sha256',
  name: 'sha256 verified against the sha256 in the name',
  metadata: 'sha256 verified against the sha256 the store recorded',
  none: '⚠️ not verified: no sha256 was known (require-sha256 is false)',
};

function attemptRows(attempts: readonly StoreAttempt[]): string[][] {
  const mark = { served: '✅ served', skipped: '⏭️ skipped', failed: '❌ failed' } as const;
  return attempts.map((a) => [a.store, mark[a.outcome], a.reason ?? '']);
}

function writeSummary(summary: ActionContext['summary'], inputs: DownloadImageInputs, r: DownloadResult, seconds: number): void {
  summary.paragraph(
    r.outcome === 'present'
      ? `\`${inputs.key}\` was already at \`${r.path}\` with the right sha256: nothing downloaded.`
      : `\`${inputs.key}\` → \`${r.path}\`: ${fmtBytes(r.size)} from **${r.store}** in ${seconds.toFixed(1)} s` +
          (r.resumedFrom > 0 ? `, resumed from byte ${r.resumedFrom}` : '') +
          '.',
  );
  summary.table(['sha256', 'size', 'verification'], [[r.sha256, fmtBytes(r.size), VERIFIED[r.verifiedBy]]]);
  if (r.attempts.length > 0) summary.table(['store', 'result', 'detail'], attemptRows(r.attempts));
}
