/** The ordered-publication part of `mirror-bucket`'s summary, log and failure message. */
import { fmtBytes } from '../../config/size';
import type { Summary } from '../../runtime/summary';
import type { PhaseRow, PhasesReport } from '../../sync/phases';

/** One table row per phase: its globs, what it had to write, wrote, failed, and whether it ran. */
export function writePhasesSummary(summary: Summary, phases: PhasesReport | undefined, dryRun: boolean): void {
  if (!phases) return;
  summary.heading(`Publication phases${dryRun ? ' (dry run: what each would write)' : ''}`);
  summary.table(
    ['phase', 'globs', 'to write', dryRun ? 'would be written' : 'written', 'failed', 'transferred', 'state'],
    phases.rows.map((r) => [String(r.phase), r.phase === 0 ? 'everything else (and the comparisons of every phase)' : `\`${r.globs}\``, String(r.due), String(r.written), String(r.failed), fmtBytes(r.bytes), stateLabel(r)]),
  );
  if (phases.stopped) summary.paragraph(`**Publication stopped before phase ${phases.stopped.phase}:** ${phases.stopped.reason}. No object of phase ${phases.stopped.phase} or later was written, and nothing was deleted.`);
}

/** A phase's state in words: one that met a corrupt source says how many of its objects it left unwritten. */
function stateLabel(r: PhaseRow): string {
  return r.state === 'corrupt source' ? `corrupt source (${r.corrupt} not written)` : r.state;
}

/** What the failure message adds when publication stopped: which phase, and why. */
export function phasesNote(phases: PhasesReport | undefined): string {
  return phases?.stopped ? `; publication stopped before phase ${phases.stopped.phase} (${phases.stopped.reason}), nothing of it or later was written` : '';
}
