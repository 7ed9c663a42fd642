/** The job summary of `prune`: what was decided, per store, and the first lines of the report. */
import type { Summary } from '../../runtime/summary';
import type { PruneReport } from '../../prune/prune';
import type { PruneInputs } from './inputs';

export function writePruneSummary(summary: Summary, inputs: PruneInputs, report: PruneReport, shown: readonly string[], seconds: number): void {
  const rule = inputs.rule.kind === 'newest' ? `keep the newest ${inputs.rule.count} per group of \`${inputs.match.source}\`` : `keep what \`${inputs.keepListPath}\` names${inputs.match.source === '' ? '' : ` among keys matching \`${inputs.match.source}\``}`;
  summary.paragraph(
    `**prune${inputs.dryRun ? ' (dry run: nothing deleted)' : ''}**, ${rule}, over ${report.stores.length} store(s) in ${seconds.toFixed(1)} s: ` +
      `${report.keep} key(s) kept${report.groups > 0 ? ` in ${report.groups} group(s)` : ''}, decided over the union of the stores.`,
  );
  summary.table(
    ['store', 'listed', 'not matched', 'kept', 'missing here (drift)', inputs.dryRun ? 'would delete' : 'to delete', 'deleted', 'failed', 'listing'],
    report.stores.map((s) => [s.store, s.listed, s.unmatched, s.kept, s.drift, s.due, inputs.dryRun ? 0 : s.deleted, s.failed].map(String).concat(s.listingError === undefined ? 'whole' : `failed: ${s.listingError}`)),
  );
  if (report.withheld !== undefined) summary.paragraph(`**${report.withheld}**`);
  if (report.namedMissing.length > 0) summary.paragraph(`${report.namedMissing.length} key(s) the keep list names are in no store, first: \`${report.namedMissing[0]}\`.`);
  if (report.failures.length > 0) summary.heading('Failures').table(['store', 'key', 'reason'], report.failures.map((f) => [f.store, f.key, f.reason]), 20);
  if (shown.length > 0) summary.heading('Deletions and drift (first lines; the full list is in the report file)').paragraph(`\`\`\`\n${shown.join('\n')}\n\`\`\``);
}
