/** What `digest-in-key` adds to mirror-bucket's outputs, summary and verdict. */
import type { Host } from '../../runtime/host';
import type { Summary } from '../../runtime/summary';
import type { MirrorReport } from '../../sync/mirror';
import type { MirrorBucketInputs } from './inputs';

/**
 * Writes the digest outputs (all `0` without a rule) and, with a rule, the summary's paragraph;
 * resolves the run's failure on account of the digests, if any.
 */
export function reportDigests(host: Host, summary: Summary, inputs: MirrorBucketInputs, report: MirrorReport): string | undefined {
  writeDigestOutputs(host, report);
  writeDigestSummary(summary, inputs.digestInKey?.name, report);
  return digestFailure(report, inputs.reportPath);
}

function writeDigestOutputs(host: Host, report: MirrorReport): void {
  const d = report.digest;
  host.setOutput('corrupt', String(d?.corrupt ?? 0));
  host.setOutput('malformed', String(d?.malformed ?? 0));
  host.setOutput('unaddressed', String(d?.unaddressed ?? 0));
  host.setOutput('digest-verified', String((d?.verified ?? 0) + (d?.proven ?? 0)));
}

/** The summary's paragraph (and table of corrupt and malformed keys) for a run with a rule. */
function writeDigestSummary(summary: Summary, rule: string | undefined, report: MirrorReport): void {
  const d = report.digest;
  if (!d || rule === undefined) return;
  summary.paragraph(
    `Digest in key (\`${rule}\`): ${d.verified} copied object(s) hashed to the digest their key names, ${d.proven} destination object(s) proven by it; ` +
      `**${d.corrupt} corrupt** source object(s) and **${d.malformed} malformed** key(s), none of them copied; ${d.unaddressed} key(s) the rule does not address, copied and compared as usual.`,
  );
  if (d.found.length > 0) summary.heading('Corrupt and malformed (not copied)').table(['key', 'found', 'why'], d.found.map((f) => [f.key, f.kind, f.reason]), 20);
}

/** The run's failure on account of the digests, if any. */
function digestFailure(report: MirrorReport, reportPath: string): string | undefined {
  const d = report.digest;
  if (!d || d.corrupt + d.malformed === 0) return undefined;
  const first = d.found[0];
  const found = [d.corrupt > 0 ? `${d.corrupt} source object(s) do not match the digest their key names` : '', d.malformed > 0 ? `${d.malformed} key(s) break the layout` : ''];
  return `${found.filter((f) => f !== '').join(' and ')}; none of them was copied and nothing was deleted (first: ${first?.key}: ${first?.reason}); see the report ${reportPath}`;
}
