/**
 * `upload-logs` runs that end before writing anything (no files, no credentials), and the line on
 * hidden paths left out: what they log and the outputs they set.
 */
import { ConfigurationError, quote } from '../../config/configuration-error';
import type { CommentGrant } from '../../logs/authorize';
import type { WalkResult } from '../../logs/walk';
import type { ActionContext } from '../../runtime/run-action';
import { missingCredentials } from '../../storage/credentials';
import type { UploadLogsInputs } from './inputs';

/** Hidden paths named in the log line; the report file has them all. */
const HIDDEN_SHOWN = 5;

type Host = ActionContext['host'];

/** The directory is missing or holds no file to upload: an error, a warning or a line, as `if-no-files` says. */
export function noFiles(host: Host, inputs: UploadLogsInputs, walked: WalkResult, prefix: string, grant: CommentGrant | undefined): void {
  const notes =
    walked.kind === 'missing'
      ? []
      : [
          ...(walked.unusable.length > 0 ? [`${walked.unusable.length} named so they cannot be keys: ${walked.unusable.slice(0, 3).map((u) => quote(u.rel)).join(', ')}`] : []),
          ...(walked.hidden.length > 0 ? [`${hiddenSummary(walked.hidden)} left out: set include-hidden-files: true to publish them`] : []),
        ];
  const what = walked.kind === 'missing' ? `${quote(inputs.path)} does not exist` : `${quote(inputs.path)} holds no file to upload${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  if (inputs.ifNoFiles === 'error') {
    throw new ConfigurationError(`input "path": ${what}; nothing was written (set if-no-files: warn or ignore to allow this)`);
  }
  if (inputs.ifNoFiles === 'warn') host.warning(`${what}; nothing was uploaded`);
  else host.info(`${what}; nothing was uploaded`);
  nothingWritten(host, prefix, grant, 'no-files', walked.kind === 'walked' ? walked.hidden.length : 0);
}

/** The outputs of a run that wrote nothing, and why (the `result` output). */
function nothingWritten(host: Host, prefix: string, grant: CommentGrant | undefined, result: 'no-files' | 'no-credentials', hidden: number): void {
  const outputs = [['result', result], ['url', ''], ['prefix', prefix], ['files', '0'], ['bytes', '0'], ['skipped', '0'], ['hidden', String(hidden)], ['failed', '0'], ['redactions', '0'], ['report', '']];
  for (const [name, value] of outputs) host.setOutput(name!, value!);
  if (grant === undefined) host.setOutput('arguments', '[]');
}

/** `3 hidden path(s) (.git/, .env, ...)`: the count and the first few, on one line. */
function hiddenSummary(hidden: readonly string[]): string {
  // eslint-disable-next-line no-control-regex
  const show = (rel: string) => (/[\u0000-\u001f\u007f]/.test(rel) ? JSON.stringify(rel) : rel);
  return `${hidden.length} hidden path(s) (${hidden.slice(0, HIDDEN_SHOWN).map(show).join(', ')}${hidden.length > HIDDEN_SHOWN ? ', ...' : ''})`;
}

/**
 * One line on the hidden entries left out. A warning when an include glob names hidden paths
 * (the workflow asked for them, and include-hidden-files still keeps them out), else an info line.
 */
export function reportHidden(host: Host, inputs: UploadLogsInputs, hidden: readonly string[]): void {
  const line = `left out ${hiddenSummary(hidden)}: names starting with "." (.git/, .env) often hold credentials; set include-hidden-files: true to publish them`;
  if (inputs.includeNamesHidden.length > 0) {
    host.warning(`include names hidden paths (${inputs.includeNamesHidden.map((g) => quote(g)).join(', ')}), but include-hidden-files is false: ${line}`);
  } else {
    host.info(line);
  }
}

/**
 * When no store has any credential configured (a pull request from a fork gets no secrets), the
 * run ends here with a notice (`ignore`) or a warning (`warn`), writing nothing; resolves true then.
 * A store with a credential, right or wrong, or any store that needs none, lets the run go on, and
 * a wrong or incomplete credential fails it as usual.
 */
export async function noCredentials(
  host: Host,
  summary: ActionContext['summary'],
  inputs: UploadLogsInputs,
  prefix: string,
  grant: CommentGrant | undefined,
): Promise<boolean> {
  const missing = await Promise.all(inputs.stores.map((spec) => missingCredentials(spec, host.env)));
  if (missing.some((m) => m === undefined)) return false;
  const why = inputs.stores.map((spec, i) => `${spec.name}: ${missing[i]}`).join('; ');
  const message =
    `no store has credentials (${why}), as in a pull request from a fork, which gets no secrets; ` +
    `nothing was uploaded (if-no-credentials: ${inputs.ifNoCredentials})`;
  if (inputs.ifNoCredentials === 'warn') host.warning(message);
  else host.notice(message);
  summary.paragraph(`Logs not published: no store has credentials (as in a pull request from a fork). Nothing was written.`);
  nothingWritten(host, prefix, grant, 'no-credentials', 0);
  return true;
}
