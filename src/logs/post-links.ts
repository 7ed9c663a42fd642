/**
 * Links a publish back to GitHub: the commit status and the comment on the pull request or issue
 * (texts in `link-back.ts`). A failure here is reported, never thrown: the logs are uploaded
 * either way. The API is the runtime's; this engine declares the calls it makes (it may not
 * import the runtime), and the action that hands one to the other is where the compiler checks
 * that they agree.
 */
import { quote } from '../config/configuration-error';
import { commentBody, commentMarker, sanitizeCommentId, statusDescription, type LinkCounts } from './link-back';
import type { RunContext } from './run-context';

export type StatusState = 'success' | 'failure' | 'error' | 'pending';

/** The calls made to the GitHub API; each throws when the call failed. */
export interface LinkApi {
  setStatus(owner: string, repo: string, sha: string, status: { state: StatusState; context: string; description: string; targetUrl: string }): Promise<void>;
  /** Updates the comment whose body starts with `marker`, or creates it. */
  upsertComment(owner: string, repo: string, issueNumber: number, marker: string, body: string): Promise<{ readonly action: string; readonly url: string }>;
}

/** One link back (commit status or comment) and how it went. */
export interface LinkResult {
  readonly kind: 'status' | 'comment' | 'status-or-comment';
  readonly ok: boolean;
  readonly detail: string;
}

export interface LinkLog {
  info(message: string): void;
  warning(message: string): void;
}

export interface PostLinksOptions {
  readonly api: LinkApi | undefined;
  readonly run: RunContext;
  /** The commit the status is set on. */
  readonly sha: string;
  /** The run's context (`fedora-42`), part of the comment's title and id. */
  readonly context: string;
  readonly prefix: string;
  /** The address of the logs. */
  readonly url: string;
  readonly counts: LinkCounts;
  /** The commit status's context; `undefined`: no status. */
  readonly statusContext: string | undefined;
  /** `auto`: `failure` when a file failed, else `success`. */
  readonly statusState: StatusState | 'auto';
  /** Whether a file could not be written (what `auto` reads). */
  readonly filesFailed: boolean;
  /** Whether to comment, and on which issue (else the event's) under which id (else job and context). */
  readonly comment: boolean;
  readonly issueNumber: number | undefined;
  readonly commentId: string | undefined;
  readonly log: LinkLog;
}

export interface PostedLinks {
  readonly links: LinkResult[];
  /** The comment's address, when it was written. */
  readonly commentUrl?: string;
}

/** Sets the commit status and writes the comment, as asked. */
export async function postLinks(options: PostLinksOptions): Promise<PostedLinks> {
  const { api, run, url, log } = options;
  if (api === undefined || run.owner === '' || run.repo === '') {
    const why = api === undefined ? 'no github-token' : 'no GITHUB_REPOSITORY';
    log.warning(`cannot link the logs back (${why}); the logs are uploaded at ${url}`);
    return { links: [{ kind: 'status-or-comment', ok: false, detail: why }] };
  }
  const links: LinkResult[] = [];
  if (options.statusContext !== undefined) links.push(await postStatus(api, options.statusContext, options));
  if (!options.comment) return { links };
  const commented = await postComment(api, options);
  return { links: [...links, commented.link], ...(commented.url !== undefined ? { commentUrl: commented.url } : {}) };
}

async function postStatus(api: LinkApi, statusContext: string, options: PostLinksOptions): Promise<LinkResult> {
  const { run, sha, log } = options;
  const state = options.statusState === 'auto' ? (options.filesFailed ? 'failure' : 'success') : options.statusState;
  try {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new Error(`no commit to set it on (sha ${quote(sha)}); set the sha input`);
    await api.setStatus(run.owner, run.repo, sha, { state, context: statusContext, description: statusDescription(options.counts), targetUrl: options.url });
    log.info(`commit status ${quote(statusContext)} on ${sha.slice(0, 12)}: ${state}`);
    return { kind: 'status', ok: true, detail: `${state} on ${sha}` };
  } catch (e) {
    const message = (e as Error).message;
    log.warning(`could not set the commit status ${quote(statusContext)}: ${message}. The logs are uploaded; the job needs "permissions: statuses: write"`);
    return { kind: 'status', ok: false, detail: message };
  }
}

async function postComment(api: LinkApi, options: PostLinksOptions): Promise<{ link: LinkResult; url?: string }> {
  const { run, context, url, log } = options;
  const issue = options.issueNumber ?? run.issueNumber;
  const id = sanitizeCommentId(options.commentId ?? (context !== '' ? `${run.job}-${context}` : run.job || 'logs'));
  if (issue === undefined || id === undefined) {
    const why = issue === undefined ? 'this event names no pull request or issue; set issue-number' : 'comment-id has no usable character';
    log.warning(`cannot comment: ${why}. The logs are uploaded at ${url}`);
    return { link: { kind: 'comment', ok: false, detail: why } };
  }
  const title = `${run.job || 'this run'}${context !== '' ? ` (${context})` : ''}`;
  const body = commentBody({ marker: commentMarker(id), title, url, prefix: options.prefix, counts: options.counts, runUrl: run.runUrl, sha: options.sha });
  try {
    const written = await api.upsertComment(run.owner, run.repo, issue, commentMarker(id), body);
    log.info(`comment ${written.action} on #${issue}: ${written.url}`);
    return { link: { kind: 'comment', ok: true, detail: `${written.action} ${written.url}` }, url: written.url };
  } catch (e) {
    const message = (e as Error).message;
    log.warning(`could not comment on #${issue}: ${message}. The logs are uploaded at ${url}; the job needs "permissions: pull-requests: write" (or issues: write)`);
    return { link: { kind: 'comment', ok: false, detail: message } };
  }
}
