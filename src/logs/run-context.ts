/**
 * What a step knows about its run, read from the runner's environment and the event payload
 * (`GITHUB_EVENT_PATH`), rather than from `@actions/github`'s context: the CLI host passes its own
 * environment, and tests pass theirs.
 */
import * as fs from 'node:fs';
import { ConfigurationError, quote } from '../config/configuration-error';

/** An `issue_comment` event, as far as deciding whether to act on it needs. */
export interface CommentEvent {
  /** `created`, `edited` or `deleted`. */
  readonly action: string;
  readonly commentId: number;
  readonly body: string;
  readonly commenter: string;
  /** The comment's `author_association`; shown, never trusted. */
  readonly association?: string;
  readonly issueNumber: number;
  readonly isPullRequest: boolean;
}

export interface RunContext {
  /** `owner/name`, or `''` outside a workflow. */
  readonly repository: string;
  readonly owner: string;
  readonly repo: string;
  readonly eventName: string;
  /** `GITHUB_SHA`: on `issue_comment` this is the default branch, not the pull request. */
  readonly sha: string;
  /** The pull request's head commit when the payload names it (`pull_request` events). */
  readonly pullHeadSha?: string;
  /** The pull request number, when the event belongs to one. */
  readonly pr?: number;
  /** The issue or pull request a comment would go on. */
  readonly issueNumber?: number;
  readonly runId: string;
  readonly runAttempt: string;
  readonly job: string;
  /** `https://github.com` or the GHES address. */
  readonly serverUrl: string;
  readonly apiUrl: string;
  /** The workflow run's page, when known. */
  readonly runUrl?: string;
  readonly comment?: CommentEvent;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads the run from `env`. Throws `ConfigurationError` when the event file is named but unreadable. */
export function readRunContext(env: NodeJS.ProcessEnv): RunContext {
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  let payload: Json = {};
  const eventPath = env.GITHUB_EVENT_PATH;
  if (eventPath) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(eventPath, 'utf8'));
    } catch (e) {
      throw new ConfigurationError(`GITHUB_EVENT_PATH ${quote(eventPath)} is not a readable JSON event: ${(e as Error).message}`);
    }
    payload = obj(parsed) ?? {};
  }
  return contextFrom(env, eventName, payload);
}

/** The pure half of {@link readRunContext}: the run from the environment and a parsed payload. */
export function contextFrom(env: NodeJS.ProcessEnv, eventName: string, payload: Json): RunContext {
  const repository = env.GITHUB_REPOSITORY ?? str(obj(payload.repository)?.full_name) ?? '';
  const [owner = '', repo = ''] = repository.split('/');
  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const apiUrl = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  const runId = env.GITHUB_RUN_ID ?? '';
  const pull = obj(payload.pull_request);
  const issue = obj(payload.issue);
  const issueIsPull = issue !== undefined && obj(issue.pull_request) !== undefined;
  const pr = num(pull?.number) ?? (issueIsPull ? num(issue?.number) : undefined);
  let comment: CommentEvent | undefined;
  if (eventName === 'issue_comment') {
    const c = obj(payload.comment);
    const user = obj(c?.user);
    const id = num(c?.id);
    const login = str(user?.login);
    const issueNumber = num(issue?.number);
    if (id === undefined || login === undefined || issueNumber === undefined) {
      throw new ConfigurationError('the issue_comment event payload names no comment id, commenter or issue; refusing to act on it');
    }
    comment = {
      action: str(payload.action) ?? '',
      commentId: id,
      body: str(c?.body) ?? '',
      commenter: login,
      association: str(c?.author_association),
      issueNumber,
      isPullRequest: issueIsPull,
    };
  }
  return {
    repository,
    owner,
    repo,
    eventName,
    sha: env.GITHUB_SHA ?? '',
    pullHeadSha: str(obj(pull?.head)?.sha),
    pr,
    issueNumber: pr ?? num(issue?.number),
    runId,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '',
    job: env.GITHUB_JOB ?? '',
    serverUrl,
    apiUrl,
    runUrl: repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''}` : undefined,
    comment,
  };
}
