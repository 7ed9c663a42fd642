/**
 * `upload-logs` glue: inputs -> authorization (issue comments) -> prefix -> directory walk -> stores
 * -> upload -> index page -> visibility check -> outputs, report and summary -> link back.
 *
 * Everything that can refuse the run (an input, a comment, a template, a link leaving the
 * directory, a store, a prefix already in use, a policy that would expose private logs) does so
 * before the first byte is written.
 */
import { ConfigurationError } from '../../config/configuration-error';
import { authorizeComment, RefusedError, type CommentGrant } from '../../logs/authorize';
import { chooseContent } from '../../logs/content-type';
import type { LinkCounts } from '../../logs/link-back';
import { postLinks, type LinkResult } from '../../logs/post-links';
import { preflightStores } from '../../logs/preflight';
import { prefixValues, renderPrefix } from '../../logs/prefix-template';
import { INDEX_PAGE, indexUrl, publishIndex, type ProbeResult } from '../../logs/publish-index';
import { Redactor } from '../../logs/redact';
import { readRunContext, type RunContext } from '../../logs/run-context';
import { TreeProgress } from '../../logs/tree-progress';
import { uploadTree, type TreeReport, type TreeTarget } from '../../logs/upload-tree';
import { walkTree, type WalkResult } from '../../logs/walk';
import { githubApi, type GitHubApi } from '../../runtime/github-api';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import type { ObjectStore } from '../../storage/object-store';
import { missingCredentials } from '../../storage/credentials';
import { openStore } from '../../storage/open-store';
import type { StoreSpec } from '../../storage/store-spec';
import type { UploadLogsInputs } from './inputs';
import { readUploadLogsInputs } from './inputs';
import { noCredentials, noFiles, reportHidden } from './nothing-written';
import { writeResults, type RunResult } from './results';

type Host = ActionContext['host'];
type OpenStore = { spec: StoreSpec; store: ObjectStore & { close(): void } };
type Walked = Extract<WalkResult, { kind: 'walked' }>;

/** What one run has settled before it opens the stores. */
interface Job extends ActionContext {
  readonly inputs: UploadLogsInputs;
  readonly run: RunContext;
  readonly api: GitHubApi | undefined;
  readonly grant: CommentGrant | undefined;
  readonly sha: string;
  readonly context: string;
  readonly prefix: string;
  readonly walked: Walked;
  readonly totalBytes: number;
  /** Secrets known so far; every credential a store reads is added. */
  readonly secrets: Set<string>;
}

export async function uploadLogs({ host, summary, onInterrupt }: ActionContext): Promise<void> {
  const inputs = readUploadLogsInputs(host);
  const run = readRunContext(host.env);
  const started = new Date();
  const api = inputs.githubToken !== '' ? githubApi({ token: inputs.githubToken, baseUrl: run.apiUrl, debug: (m) => host.debug(m) }) : undefined;

  const grant = run.comment ? await host.group('Authorize the comment', () => authorize(host, inputs, run, api)) : undefined;
  if (inputs.authorizeOnly) {
    if (grant === undefined) {
      host.info(`the event is ${run.eventName || 'not a workflow event'}, not issue_comment: there is no comment to authorize`);
      host.setOutput('arguments', '[]');
    }
    return;
  }
  const sha = await headSha(host, inputs, run, api);
  const context = inputs.context !== '' ? inputs.context : (grant?.arguments.join('-') ?? '');
  const prefix = renderRunPrefix(inputs, run, sha, context, started);
  host.info(`prefix: ${prefix}`);
  if (inputs.ifNoCredentials !== 'error' && (await noCredentials(host, summary, inputs, prefix, grant))) return;

  const walked = await walkTree(inputs.path, { include: inputs.include, exclude: inputs.exclude, includeHidden: inputs.includeHiddenFiles }).catch((e: unknown) => {
    throw e instanceof ConfigurationError ? e.within('input "path"') : e;
  });
  if (walked.kind === 'walked' && walked.hidden.length > 0) reportHidden(host, inputs, walked.hidden);
  if (walked.kind === 'missing' || walked.files.length === 0) {
    noFiles(host, inputs, walked, prefix, grant);
    return;
  }
  const totalBytes = walked.files.reduce((sum, file) => sum + file.size, 0);
  host.info(`${walked.files.length} file(s), ${totalBytes} bytes under ${walked.root}; ${walked.skipped.length} skipped, ${walked.unusable.length} unusable`);

  const secrets = new Set<string>(inputs.redactValues);
  const stores = await openStores(host, inputs, secrets);
  try {
    await publish({ host, summary, onInterrupt, inputs, run, api, grant, sha, context, prefix, walked, totalBytes, secrets }, stores);
  } finally {
    for (const opened of stores) opened.store.close();
  }
}

/** Opens every store, remembering each credential it reads as a secret; closes them all if one fails. */
async function openStores(host: Host, inputs: UploadLogsInputs, secrets: Set<string>): Promise<OpenStore[]> {
  const remember = (value: string) => {
    host.setSecret(value);
    secrets.add(value);
  };
  const stores: OpenStore[] = [];
  try {
    for (const spec of inputs.stores) stores.push({ spec, store: openStore(spec, { env: host.env, onSecret: remember, concurrency: inputs.filesInFlight + 4 }) });
    return stores;
  } catch (e) {
    for (const opened of stores) opened.store.close();
    // Worth saying only when skipping would have happened: every store's env:NAME variables are empty.
    const noneAnywhere = async () =>
      (await Promise.all(inputs.stores.map((s) => (s.kind === 's3' && s.credentials.type === 'env' ? missingCredentials(s, host.env) : undefined)))).every((m) => m !== undefined);
    if (e instanceof ConfigurationError && inputs.ifNoCredentials === 'error' && (await noneAnywhere())) {
      throw new ConfigurationError(`${e.message}. A run that gets no secrets (a pull request from a fork) can skip instead: set if-no-credentials: warn or ignore`);
    }
    throw e;
  }
}

/** Preflight, then (unless a dry run) upload, index page and visibility check, results and link back. */
async function publish(job: Job, stores: readonly OpenStore[]): Promise<void> {
  const { host, summary, inputs, run, prefix, walked, grant } = job;
  // Every key the run may write: the files and the index page (the logs' own, or the generated one).
  const keys = [...new Set([...walked.files.map((f) => prefix + f.rel), prefix + INDEX_PAGE])];
  const preflightTargets = stores.map(({ spec, store }) => ({ name: spec.name, store }));
  await host.group('Preflight: buckets, credentials and the prefix', () =>
    preflightStores(preflightTargets, { prefix, keys, overwrite: inputs.overwrite, visibility: inputs.visibility, info: (m) => host.info(m) }),
  );
  const primary = stores[0]!;
  const url = indexUrl(inputs.proxyUrl, primary.spec, primary.store, prefix);

  if (inputs.dryRun) {
    await host.group('Plan (dry run: nothing is written)', async () => {
      for (const f of walked.files) host.info(`${prefix}${f.rel}: ${f.size} bytes, ${chooseContent(f.rel, new Uint8Array(0)).contentType} (by name)`);
    });
    writeResults(host, summary, { inputs, run, prefix, url, walked, dryRun: true, seconds: 0, stores: [], tree: undefined, grant, links: [] });
    return;
  }

  const redactor = inputs.redact ? new Redactor(collectSecrets(host, inputs, job.secrets)) : undefined;
  if (redactor) host.info(redactor.active ? `secret redaction: on for every file, ${redactor.formCount} form(s) of the known secrets` : 'secret redaction: on, but no secret value is known to this step');
  const progress = new TreeProgress(walked.files.length, job.totalBytes, (line) => host.info(line));
  const startedAt = Date.now();
  const targets: TreeTarget[] = stores.map((s) => ({ name: s.spec.name, store: s.store }));
  const tree = await host.group(`Upload ${walked.files.length} file(s) to ${stores.length} store(s)`, () =>
    uploadTree({
      files: walked.files,
      prefix,
      targets,
      visibility: inputs.visibility,
      concurrency: inputs.filesInFlight,
      redactor,
      onFileDone: (size) => progress.fileDone(size),
      debug: (m) => host.debug(m),
      onInterrupt: job.onInterrupt,
    }),
  );
  const probes = await host.group('Index page and visibility check', () =>
    publishIndex({ prefix, visibility: inputs.visibility, run, sha: job.sha, walked, tree, targets, log: host }),
  );
  const seconds = (Date.now() - startedAt) / 1000;

  const linking = inputs.statusContext !== undefined || inputs.comment;
  const links = linking ? await host.group('Link back', () => linkBack(job, url, tree)) : [];
  const result: RunResult = { inputs, run, prefix, url, walked, dryRun: false, seconds, stores: probes, tree, grant, links, redactionsIgnored: redactor?.ignored };
  writeResults(host, summary, result);
  failOnProblems(probes, tree);
}

/** Fails the run for private logs shown readable or not shown private, and for files not written. */
function failOnProblems(probes: readonly ProbeResult[], tree: TreeReport): void {
  const exposed = probes.flatMap((p) => p.samples.filter((s) => s.expected === 'denied' && s.access === 'readable').map((s) => `${s.key} on ${p.store}`));
  if (exposed.length > 0) {
    throw new ActionFailure(`private logs are readable anonymously: ${exposed.join(', ')}. Fix the bucket policy or ACLs now`);
  }
  // Fail closed: a private object that the anonymous request did not show denied (a 404, a failed request) is not shown private.
  const unverified = probes.flatMap((p) => p.samples.filter((s) => s.expected === 'denied' && s.access !== 'denied' && s.access !== 'n/a').map((s) => `${s.key} on ${p.store} (${s.reason ?? s.access})`));
  if (unverified.length > 0) {
    throw new ActionFailure(`private logs could not be shown private: ${unverified.join(', ')}`);
  }
  const failed = tree.files.filter((f) => f.outcome === 'failed');
  if (failed.length > 0) {
    const shown = failed.slice(0, 5).map((f) => `${f.rel} (${f.reason})`);
    throw new ActionFailure(
      `${failed.length} of ${tree.files.length} file(s) could not be written: ${shown.join(', ')}${failed.length > 5 ? ', ... (see the report)' : ''}`,
    );
  }
}

/** Authorizes an issue comment, or throws `RefusedError`. */
async function authorize(host: Host, inputs: UploadLogsInputs, run: RunContext, api: GitHubApi | undefined): Promise<CommentGrant> {
  const event = run.comment!;
  if (api === undefined) {
    throw new RefusedError(`refused: comment ${event.commentId} by @${event.commenter}: no github-token to ask the API for their permission. Nothing was written`);
  }
  const grant = await authorizeComment(
    event,
    { minPermission: inputs.minPermission, allowlist: inputs.allowedUsers, command: inputs.command, argumentPattern: inputs.argumentPattern, maxArguments: 16 },
    (login) => api.permission(run.owner, run.repo, login),
  );
  host.info(
    `@${grant.commenter} may publish (${grant.via === 'allowlist' ? 'in allowed-users' : `${grant.level} permission, at least ${inputs.minPermission} required`}): ` +
      `${grant.command}${grant.arguments.length > 0 ? ` ${grant.arguments.join(' ')}` : ''}`,
  );
  host.setOutput('arguments', JSON.stringify(grant.arguments));
  return grant;
}

/**
 * The commit the logs belong to: the `sha` input, else the pull request's head. On `issue_comment`
 * `GITHUB_SHA` is the default branch, so for a comment on a pull request the API is asked.
 */
async function headSha(host: Host, inputs: UploadLogsInputs, run: RunContext, api: GitHubApi | undefined): Promise<string> {
  if (inputs.sha !== undefined) return inputs.sha;
  if (run.pullHeadSha !== undefined) return run.pullHeadSha;
  if (run.comment?.isPullRequest && api !== undefined) {
    try {
      return await api.pullHeadSha(run.owner, run.repo, run.comment.issueNumber);
    } catch (e) {
      host.warning(`could not learn the head commit of #${run.comment.issueNumber} (${(e as Error).message}); using GITHUB_SHA ${run.sha}`);
    }
  }
  return run.sha;
}

function renderRunPrefix(inputs: UploadLogsInputs, run: RunContext, sha: string, context: string, started: Date): string {
  try {
    return renderPrefix(inputs.prefix, prefixValues(run, sha, context, started), run.eventName);
  } catch (e) {
    throw e instanceof ConfigurationError ? e.within('input "prefix"') : e;
  }
}

/** The secrets to redact: given values, the named environment variables, and every credential this step read. */
function collectSecrets(host: Host, inputs: UploadLogsInputs, found: Set<string>): Set<string> {
  const out = new Set(found);
  if (inputs.githubToken !== '') out.add(inputs.githubToken);
  for (const [name, value] of Object.entries(host.env)) {
    if (value === undefined || value === '') continue;
    const named = inputs.redactEnv.some((r) => r.test(name));
    // The SDK's default chain reads these itself, so the store never reports them as found.
    const sdk = name === 'AWS_SECRET_ACCESS_KEY' || name === 'AWS_SESSION_TOKEN';
    if (named || sdk) {
      host.setSecret(value);
      out.add(value);
    }
  }
  return out;
}

/** The commit status and the comment (the `comment-url` output). A failure here is reported; the logs are uploaded either way. */
async function linkBack(job: Job, url: string, tree: TreeReport): Promise<LinkResult[]> {
  const { host, inputs } = job;
  const posted = await postLinks({
    api: job.api,
    run: job.run,
    sha: job.sha,
    context: job.context,
    prefix: job.prefix,
    url,
    counts: countsOf(tree, job.walked),
    statusContext: inputs.statusContext,
    statusState: inputs.statusState,
    filesFailed: tree.files.some((f) => f.outcome === 'failed'),
    comment: inputs.comment,
    issueNumber: inputs.issueNumber,
    commentId: inputs.commentId,
    log: host,
  });
  if (posted.commentUrl !== undefined) host.setOutput('comment-url', posted.commentUrl);
  return posted.links;
}

function countsOf(tree: TreeReport, walked: Walked): LinkCounts {
  return {
    files: tree.files.filter((f) => f.outcome === 'uploaded').length,
    bytes: tree.files.reduce((n, f) => n + (f.outcome === 'uploaded' ? (f.size ?? 0) : 0), 0),
    failed: tree.files.filter((f) => f.outcome === 'failed').length + walked.unusable.length,
    vanished: tree.files.filter((f) => f.outcome === 'vanished').length,
    redactions: tree.redactions,
  };
}
