/**
 * `upload-logs` glue: inputs -> authorization (issue comments) -> prefix -> directory walk -> stores
 * -> upload -> index page -> visibility check -> outputs, report and summary -> link back.
 *
 * Everything that can refuse the run (an input, a comment, a template, a link leaving the
 * directory, a store, a prefix already in use, a policy that would expose private logs) does so
 * before the first byte is written.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseBucketPolicy } from '../../acl/bucket-policy';
import { ConfigurationError, quote } from '../../config/configuration-error';
import { authorizeComment, RefusedError, type CommentGrant } from '../../logs/authorize';
import { chooseContent } from '../../logs/content-type';
import { renderIndex, type MissingEntry } from '../../logs/index-page';
import { commentBody, commentMarker, sanitizeCommentId, statusDescription, type LinkCounts } from '../../logs/link-back';
import { describeExposure, keysExposedByPolicy } from '../../logs/policy-exposure';
import { prefixValues, renderPrefix } from '../../logs/prefix-template';
import { probeSample } from '../../logs/probe-sample';
import { Redactor } from '../../logs/redact';
import { readRunContext, type RunContext } from '../../logs/run-context';
import { TreeProgress } from '../../logs/tree-progress';
import { putObject, uploadTree, type TreeReport, type TreeTarget } from '../../logs/upload-tree';
import { walkTree, type WalkResult } from '../../logs/walk';
import { checkWritten } from '../../operations/verify-visibility';
import { githubApi, type GitHubApi } from '../../runtime/github-api';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import type { ObjectStore } from '../../storage/object-store';
import { encodeKey, formatAddress, probeAnonymous } from '../../storage/anonymous';
import { missingCredentials } from '../../storage/credentials';
import { openStore } from '../../storage/open-store';
import type { StoreSpec } from '../../storage/store-spec';
import type { UploadLogsInputs } from './inputs';
import { readUploadLogsInputs } from './inputs';
import { writeResults, type LinkResult, type ProbeResult, type RunResult } from './results';

const INDEX = 'index.html';
/** Hidden paths named in the log line; the report file has them all. */
const HIDDEN_SHOWN = 5;
/** Anonymous checks in flight per store. */
const PROBES_IN_FLIGHT = 16;

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
  const totalBytes = walked.files.reduce((n, f) => n + f.size, 0);
  host.info(`${walked.files.length} file(s), ${totalBytes} bytes under ${walked.root}; ${walked.skipped.length} skipped, ${walked.unusable.length} unusable`);

  const secrets = new Set<string>(inputs.redactValues);
  const remember = (v: string) => {
    host.setSecret(v);
    secrets.add(v);
  };
  const stores: { spec: StoreSpec; store: ObjectStore & { close(): void } }[] = [];
  try {
    for (const spec of inputs.stores) stores.push({ spec, store: openStore(spec, { env: host.env, onSecret: remember, concurrency: inputs.filesInFlight + 4 }) });
  } catch (e) {
    for (const s of stores) s.store.close();
    // Worth saying only when skipping would have happened: every store's env:NAME variables are empty.
    const noneAnywhere = async () =>
      (await Promise.all(inputs.stores.map((s) => (s.kind === 's3' && s.credentials.type === 'env' ? missingCredentials(s, host.env) : undefined)))).every((m) => m !== undefined);
    if (e instanceof ConfigurationError && inputs.ifNoCredentials === 'error' && (await noneAnywhere())) {
      throw new ConfigurationError(`${e.message}. A run that gets no secrets (a pull request from a fork) can skip instead: set if-no-credentials: warn or ignore`);
    }
    throw e;
  }
  try {
    // Every key the run may write: the files and the index page (the logs' own, or the generated one).
    const keys = [...new Set([...walked.files.map((f) => prefix + f.rel), prefix + INDEX])];
    await host.group('Preflight: buckets, credentials and the prefix', () => preflight(host, stores, inputs, prefix, keys));
    const primary = stores[0]!;
    const url = indexUrl(inputs, primary.spec, primary.store, prefix);

    if (inputs.dryRun) {
      await host.group('Plan (dry run: nothing is written)', async () => {
        for (const f of walked.files) host.info(`${prefix}${f.rel}: ${f.size} bytes, ${chooseContent(f.rel, new Uint8Array(0)).contentType} (by name)`);
      });
      writeResults(host, summary, { inputs, run, prefix, url, walked, dryRun: true, seconds: 0, stores: [], tree: undefined, grant, links: [] });
      return;
    }

    const redactor = inputs.redact ? new Redactor(collectSecrets(host, inputs, secrets)) : undefined;
    if (redactor) host.info(redactor.active ? `secret redaction: on for every file, ${redactor.formCount} form(s) of the known secrets` : 'secret redaction: on, but no secret value is known to this step');
    const progress = new TreeProgress(walked.files.length, totalBytes, (line) => host.info(line));
    const t0 = Date.now();
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
        onInterrupt,
      }),
    );
    const probes = await host.group('Index page and visibility check', () => publishIndex(host, inputs, run, sha, prefix, walked, tree, targets));
    const seconds = (Date.now() - t0) / 1000;

    const counts = countsOf(tree, walked);
    const linking = inputs.statusContext !== undefined || inputs.comment;
    const links = linking ? await host.group('Link back', () => linkBack(host, inputs, run, api, sha, context, prefix, url, counts, tree)) : [];
    const result: RunResult = { inputs, run, prefix, url, walked, dryRun: false, seconds, stores: probes, tree, grant, links, redactionsIgnored: redactor?.ignored };
    writeResults(host, summary, result);

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
  } finally {
    for (const s of stores) s.store.close();
  }
}

/** Authorizes an issue comment, or throws `RefusedError`. */
async function authorize(host: ActionContext['host'], inputs: UploadLogsInputs, run: RunContext, api: GitHubApi | undefined): Promise<CommentGrant> {
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
async function headSha(host: ActionContext['host'], inputs: UploadLogsInputs, run: RunContext, api: GitHubApi | undefined): Promise<string> {
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

function noFiles(host: ActionContext['host'], inputs: UploadLogsInputs, walked: WalkResult, prefix: string, grant: CommentGrant | undefined): void {
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
function nothingWritten(host: ActionContext['host'], prefix: string, grant: CommentGrant | undefined, result: 'no-files' | 'no-credentials', hidden: number): void {
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
function reportHidden(host: ActionContext['host'], inputs: UploadLogsInputs, hidden: readonly string[]): void {
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
async function noCredentials(
  host: ActionContext['host'],
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

/**
 * Every store must answer, the prefix must be free, and private logs must not be exposed by a
 * policy: every key to be written (`keys`, relative to the store) is evaluated against it.
 */
async function preflight(host: ActionContext['host'], stores: { spec: StoreSpec; store: ObjectStore }[], inputs: UploadLogsInputs, prefix: string, keys: readonly string[]): Promise<void> {
  const problems = await Promise.all(
    stores.map(async ({ spec, store }): Promise<string | undefined> => {
      try {
        await store.preflight();
      } catch (e) {
        return `${spec.name}: ${e instanceof Error ? e.message : String(e)}`;
      }
      host.info(`${spec.name}: ok (${store.display}, visibility ${store.visibilityMode})`);
      if (!inputs.overwrite) {
        try {
          for await (const o of store.list(prefix)) {
            return `${spec.name}: ${quote(prefix)} already holds objects (${quote(o.key)}), another run's logs; nothing was written. Use a prefix that is unique to the run (add {run-attempt}, {job} or {context}) or set overwrite: true`;
          }
        } catch (e) {
          return `${spec.name}: cannot list ${quote(prefix)}: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      if (inputs.visibility === 'private') {
        const state = await store.policy();
        const where = store.locate(prefix + INDEX);
        if (state.kind === 'document' && where !== undefined) {
          let exposed;
          try {
            const full = keys.map((k) => store.locate(k)?.key ?? k);
            exposed = keysExposedByPolicy(parseBucketPolicy(state.text), where.bucket, full);
          } catch (e) {
            return `${spec.name}: the bucket policy cannot be read (${(e as Error).message}), so private logs cannot be shown to stay private`;
          }
          if (exposed.length > 0) {
            return `${spec.name}: ${describeExposure(exposed, keys.length)}; private logs would be public. Nothing was written`;
          }
        } else if (state.kind === 'unknown') {
          host.info(`${spec.name}: bucket policy not readable (${state.reason}); visibility is checked anonymously after the upload`);
        }
      }
      return undefined;
    }),
  );
  const bad = problems.filter((p): p is string => p !== undefined);
  if (bad.length > 0) throw new ConfigurationError(`input "stores": ${bad.join('; ')}`);
}

/** The address people open: through `proxy-url` when given, else the first store's public address. */
function indexUrl(inputs: UploadLogsInputs, spec: StoreSpec, store: ObjectStore, prefix: string): string {
  const key = prefix + INDEX;
  if (inputs.proxyUrl !== undefined) return `${inputs.proxyUrl}/${encodeKey(store.locate(key)?.key ?? key)}`;
  if (spec.kind === 'file') return pathToFileURL(path.join(spec.root, ...key.split('/'))).href;
  const address = store.anonymousAddress(key);
  return address !== undefined ? formatAddress(address) : key;
}

/** The secrets to redact: given values, the named environment variables, and every credential this step read. */
function collectSecrets(host: ActionContext['host'], inputs: UploadLogsInputs, found: Set<string>): Set<string> {
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

/** Writes each store's index page (unless the logs have their own), then checks visibility anonymously. */
async function publishIndex(
  host: ActionContext['host'],
  inputs: UploadLogsInputs,
  run: RunContext,
  sha: string,
  prefix: string,
  walked: Extract<WalkResult, { kind: 'walked' }>,
  tree: TreeReport,
  targets: readonly TreeTarget[],
): Promise<ProbeResult[]> {
  const own = walked.files.some((f) => f.rel === INDEX);
  if (own) host.info(`the logs have their own ${INDEX}; it is the page linked to, and none is generated`);
  const links = [
    ...(run.runUrl ? [{ text: 'workflow run', href: run.runUrl }] : []),
    ...(run.repository && sha ? [{ text: `commit ${sha.slice(0, 12)}`, href: `${run.serverUrl}/${run.repository}/commit/${sha}` }] : []),
    ...(run.repository && run.pr !== undefined ? [{ text: `pull request #${run.pr}`, href: `${run.serverUrl}/${run.repository}/pull/${run.pr}` }] : []),
  ];
  const unusable: MissingEntry[] = walked.unusable.map((u) => ({ path: u.rel, reason: u.reason }));
  return Promise.all(
    targets.map(async (t): Promise<ProbeResult> => {
      const held = tree.files.filter((f) => f.stores.includes(t.name));
      let indexError: string | undefined;
      if (!own) {
        const html = renderIndex({
          title: prefix.slice(0, -1),
          entries: held.map((f) => ({ path: f.rel, size: f.size ?? f.sourceSize })),
          missing: [...tree.files.filter((f) => !f.stores.includes(t.name)).map((f) => ({ path: f.rel, reason: f.reason ?? f.outcome })), ...unusable],
          links,
          generated: new Date(),
        });
        try {
          await putObject(t.store, prefix + INDEX, Buffer.from(html), { contentType: 'text/html; charset=utf-8', visibility: inputs.visibility });
        } catch (e) {
          indexError = e instanceof Error ? e.message : String(e);
          host.warning(`${t.name}: the index page could not be written: ${indexError}`);
        }
      }
      // Every folder and every extension written, and the index: what exposes one file of a kind exposes them all.
      const keys = probeSample(
        held.map((f) => prefix + f.rel),
        indexError === undefined ? [prefix + INDEX] : [],
      );
      const expected = inputs.visibility === 'public' ? 'readable' : 'denied';
      const samples: ProbeResult['samples'][number][] = new Array(keys.length);
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          const i = next++;
          const key = keys[i]!;
          const check = await checkWritten(t.store, key, inputs.visibility, probeAnonymous);
          samples[i] = { key, expected, access: check.access, ...(check.verdict !== 'ok' ? { reason: check.reason } : {}) };
        }
      };
      await Promise.all(Array.from({ length: Math.min(PROBES_IN_FLIGHT, keys.length) }, worker));
      host.info(`${t.name}: ${keys.length} object(s) checked anonymously (every folder and extension written${indexError === undefined ? ', and the index' : ''})`);
      for (const s of samples) {
        if (s.access === 'n/a' || s.access === s.expected) continue;
        if (expected === 'readable') host.warning(`${t.name}: ${s.key} is not readable anonymously (${s.access}); the link will not open for people without credentials`);
        else if (s.access !== 'readable') host.warning(`${t.name}: ${s.key} is not shown private: ${s.reason ?? s.access}`);
      }
      return { store: t.name, indexError, samples };
    }),
  );
}

function countsOf(tree: TreeReport, walked: Extract<WalkResult, { kind: 'walked' }>): LinkCounts {
  return {
    files: tree.files.filter((f) => f.outcome === 'uploaded').length,
    bytes: tree.files.reduce((n, f) => n + (f.outcome === 'uploaded' ? (f.size ?? 0) : 0), 0),
    failed: tree.files.filter((f) => f.outcome === 'failed').length + walked.unusable.length,
    vanished: tree.files.filter((f) => f.outcome === 'vanished').length,
    redactions: tree.redactions,
  };
}

/** The commit status and the comment. A failure here is reported; the logs are uploaded either way. */
async function linkBack(
  host: ActionContext['host'],
  inputs: UploadLogsInputs,
  run: RunContext,
  api: GitHubApi | undefined,
  sha: string,
  context: string,
  prefix: string,
  url: string,
  counts: LinkCounts,
  tree: TreeReport,
): Promise<LinkResult[]> {
  const out: LinkResult[] = [];
  if (api === undefined || run.owner === '' || run.repo === '') {
    const why = api === undefined ? 'no github-token' : 'no GITHUB_REPOSITORY';
    host.warning(`cannot link the logs back (${why}); the logs are uploaded at ${url}`);
    return [{ kind: 'status-or-comment', ok: false, detail: why }];
  }
  if (inputs.statusContext !== undefined) {
    const failed = tree.files.some((f) => f.outcome === 'failed');
    const state = inputs.statusState === 'auto' ? (failed ? 'failure' : 'success') : inputs.statusState;
    try {
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new Error(`no commit to set it on (sha ${quote(sha)}); set the sha input`);
      await api.setStatus(run.owner, run.repo, sha, { state, context: inputs.statusContext, description: statusDescription(counts), targetUrl: url });
      host.info(`commit status ${quote(inputs.statusContext)} on ${sha.slice(0, 12)}: ${state}`);
      out.push({ kind: 'status', ok: true, detail: `${state} on ${sha}` });
    } catch (e) {
      const m = (e as Error).message;
      host.warning(`could not set the commit status ${quote(inputs.statusContext)}: ${m}. The logs are uploaded; the job needs "permissions: statuses: write"`);
      out.push({ kind: 'status', ok: false, detail: m });
    }
  }
  if (inputs.comment) {
    const issue = inputs.issueNumber ?? run.issueNumber;
    const id = sanitizeCommentId(inputs.commentId ?? (context !== '' ? `${run.job}-${context}` : run.job || 'logs'));
    if (issue === undefined || id === undefined) {
      const why = issue === undefined ? 'this event names no pull request or issue; set issue-number' : 'comment-id has no usable character';
      host.warning(`cannot comment: ${why}. The logs are uploaded at ${url}`);
      out.push({ kind: 'comment', ok: false, detail: why });
    } else {
      const title = `${run.job || 'this run'}${context !== '' ? ` (${context})` : ''}`;
      const body = commentBody({ marker: commentMarker(id), title, url, prefix, counts, runUrl: run.runUrl, sha });
      try {
        const r = await api.upsertComment(run.owner, run.repo, issue, commentMarker(id), body);
        host.info(`comment ${r.action} on #${issue}: ${r.url}`);
        host.setOutput('comment-url', r.url);
        out.push({ kind: 'comment', ok: true, detail: `${r.action} ${r.url}` });
      } catch (e) {
        const m = (e as Error).message;
        host.warning(`could not comment on #${issue}: ${m}. The logs are uploaded at ${url}; the job needs "permissions: pull-requests: write" (or issues: write)`);
        out.push({ kind: 'comment', ok: false, detail: m });
      }
    }
  }
  return out;
}
