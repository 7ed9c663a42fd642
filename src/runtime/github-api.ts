/**
 * The GitHub REST calls the actions make, on `@actions/github`: the only module that imports it.
 *
 * The API address is passed in (from `GITHUB_API_URL`), so the same code talks to github.com, to
 * GitHub Enterprise Server, and to the tests' local server. Every failure becomes a
 * {@link GitHubApiError} that names the call and the HTTP status and never holds the token.
 */
import { backoff, withRetry } from '../flow/retry';

/**
 * What `GET /repos/{owner}/{repo}/collaborators/{user}/permission` answered; `undefined` for 404.
 * The logs engine declares the same shape for what it judges (an engine may not import the
 * runtime); the action hands this answer to it, so the compiler keeps the two in step.
 */
export interface PermissionAnswer {
  /** `admin`, `write`, `read` or `none` (maintain and triage are folded into write and read here). */
  readonly permission: string;
  /** `admin`, `maintain`, `write`, `triage`, `read`, or a custom role's name. */
  readonly roleName?: string;
}

/** A failed API call: what was asked, the HTTP status (when there was an answer) and GitHub's message. */
export class GitHubApiError extends Error {
  override readonly name = 'GitHubApiError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface CommitStatus {
  readonly state: 'success' | 'failure' | 'error' | 'pending';
  readonly context: string;
  readonly description: string;
  readonly targetUrl: string;
}

/** The comment that now carries the marker. */
export interface CommentResult {
  readonly action: 'created' | 'updated';
  readonly id: number;
  readonly url: string;
}

/** The calls, typed plainly. */
export interface GitHubApi {
  /** The user's permission on the repository; `undefined` when the API says 404 (not a collaborator). */
  permission(owner: string, repo: string, login: string): Promise<PermissionAnswer | undefined>;
  /** The head commit of a pull request. */
  pullHeadSha(owner: string, repo: string, pullNumber: number): Promise<string>;
  setStatus(owner: string, repo: string, sha: string, status: CommitStatus): Promise<void>;
  /**
   * Updates the comment on the issue or pull request whose body starts with `marker`, or creates it.
   * Of several such comments (someone copied one), those written by a bot are preferred, and of
   * those the oldest, so every re-run updates the same one.
   */
  upsertComment(owner: string, repo: string, issueNumber: number, marker: string, body: string): Promise<CommentResult>;
}

export interface GitHubApiOptions {
  readonly token: string;
  /** `GITHUB_API_URL`: `https://api.github.com`, or `https://HOST/api/v3` on GHES. */
  readonly baseUrl: string;
  /** Per request, in milliseconds (default 30 s). */
  readonly timeoutMs?: number;
  /** Attempts per call for server errors and network faults (default 3). */
  readonly attempts?: number;
  readonly debug?: (message: string) => void;
}

type Octokit = ReturnType<typeof import('@actions/github').getOctokit>;

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { data?: { message?: string } };
}

/** A client for one token and API address. */
export function githubApi(o: GitHubApiOptions): GitHubApi {
  const debug = o.debug ?? (() => undefined);
  const octokit = lazyOctokit(o.token, o.baseUrl, debug);
  const request = () => ({ signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });

  /** Runs one call, retrying 5xx and network faults; maps failures to `GitHubApiError`. */
  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const statusOf = (e: unknown) => {
      const status = ((e ?? {}) as RequestErrorLike).status;
      return typeof status === 'number' && status > 0 ? status : undefined;
    };
    try {
      return await withRetry(fn, {
        retries: (o.attempts ?? 3) - 1,
        retryable: (e) => (statusOf(e) ?? 500) >= 500,
        delayMs: backoff(1000),
        onRetry: (e) => debug(`${what}: ${statusOf(e) ?? 'no answer'}; trying again`),
      });
    } catch (e) {
      const err = (e ?? {}) as RequestErrorLike;
      const status = statusOf(e);
      // GitHub's own text ("Resource not accessible by integration"), without the docs link.
      const text = (err.response?.data?.message ?? err.message ?? String(e)).replace(/\s*-\s*https:\/\/docs\.github\.com\S*$/, '');
      throw new GitHubApiError(`${what}: ${status !== undefined ? `HTTP ${status} ` : ''}${text}`, status);
    }
  }

  return {
    async permission(owner, repo, login) {
      try {
        const r = await call(`GET /repos/${owner}/${repo}/collaborators/${login}/permission`, async () =>
          (await octokit()).rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login, request: request() }),
        );
        return { permission: r.data.permission, roleName: r.data.role_name };
      } catch (e) {
        if (e instanceof GitHubApiError && e.status === 404) return undefined;
        throw e;
      }
    },

    async pullHeadSha(owner, repo, pullNumber) {
      const r = await call(`GET /repos/${owner}/${repo}/pulls/${pullNumber}`, async () =>
        (await octokit()).rest.pulls.get({ owner, repo, pull_number: pullNumber, request: request() }),
      );
      return r.data.head.sha;
    },

    async setStatus(owner, repo, sha, status) {
      await call(`POST /repos/${owner}/${repo}/statuses/${sha}`, async () =>
        (await octokit()).rest.repos.createCommitStatus({ owner, repo, sha, ...statusFields(status), request: request() }),
      );
    },

    async upsertComment(owner, repo, issueNumber, marker, body) {
      return upsertMarkedComment({ octokit, call, request }, { owner, repo, issueNumber }, marker, body);
    },
  };
}

/** The commit status as the REST API names its fields. */
function statusFields(status: CommitStatus) {
  return { state: status.state, context: status.context, description: status.description, target_url: status.targetUrl };
}

/**
 * The client, loaded on first use: Octokit's packages are ES modules, which a CommonJS test runner
 * on Node < 24 cannot require, and most runs of most actions never call the API.
 */
function lazyOctokit(token: string, baseUrl: string, debug: (message: string) => void): () => Promise<Octokit> {
  let client: Promise<Octokit> | undefined;
  return () =>
    (client ??= import('@actions/github').then(({ getOctokit }) =>
      getOctokit(token, {
        baseUrl: baseUrl.replace(/\/+$/, ''),
        userAgent: 'ci-stores',
        log: { debug, info: debug, warn: debug, error: debug },
      }),
    ));
}

/** What the calls of one client share: the client, the call wrapper (retries, errors) and per-request options. */
interface Calls {
  readonly octokit: () => Promise<Octokit>;
  readonly call: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  readonly request: () => { signal: AbortSignal };
}

/** `GitHubApi.upsertComment`: the oldest marked comment (a bot's first) is updated, else one is created. */
async function upsertMarkedComment(
  { octokit, call, request }: Calls,
  { owner, repo, issueNumber }: { owner: string; repo: string; issueNumber: number },
  marker: string,
  body: string,
): Promise<CommentResult> {
  const gh = await octokit();
  const comments = await call(`GET /repos/${owner}/${repo}/issues/${issueNumber}/comments`, () =>
    gh.paginate(gh.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100, request: request() }),
  );
  const marked = comments.filter((comment) => (comment.body ?? '').startsWith(marker));
  const bots = marked.filter((comment) => comment.user?.type === 'Bot');
  const mine = (bots.length > 0 ? bots : marked).sort((a, b) => a.id - b.id)[0];
  if (mine !== undefined) {
    const updated = await call(`PATCH /repos/${owner}/${repo}/issues/comments/${mine.id}`, async () =>
      (await octokit()).rest.issues.updateComment({ owner, repo, comment_id: mine.id, body, request: request() }),
    );
    return { action: 'updated', id: updated.data.id, url: updated.data.html_url };
  }
  const created = await call(`POST /repos/${owner}/${repo}/issues/${issueNumber}/comments`, async () =>
    (await octokit()).rest.issues.createComment({ owner, repo, issue_number: issueNumber, body, request: request() }),
  );
  return { action: 'created', id: created.data.id, url: created.data.html_url };
}
