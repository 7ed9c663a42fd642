/** The inputs of `upload-logs`, parsed once into one readonly object. */
import * as path from 'node:path';
import { globToRegExp } from '../../acl/glob';
import { ConfigurationError, quote } from '../../config/configuration-error';
import { mayCarryUserinfo } from '../../config/userinfo';
import {
  DEFAULT_ARGUMENT_PATTERN,
  parseArgumentPattern,
  PERMISSION_LEVELS,
  type ArgumentPattern,
  type PermissionLevel,
} from '../../logs/authorize';
import { parsePrefixTemplate, type PrefixTemplate } from '../../logs/prefix-template';
import { isHiddenName } from '../../logs/walk';
import type { Host } from '../../runtime/host';
import { lines, parseBoolean, parseChoice, parseInput, parseIntInRange } from '../../runtime/inputs';
import { readStoreInputs } from '../../runtime/store-inputs';
import type { Visibility } from '../../storage/object-store';
import type { StoreSpec } from '../../storage/store-spec';

export type IfNoFiles = 'error' | 'warn' | 'ignore';
/** What a run does when no store has any credential configured (a pull request from a fork). */
export type IfNoCredentials = 'error' | 'warn' | 'ignore';
export type StatusState = 'auto' | 'success' | 'failure' | 'error' | 'pending';

export interface UploadLogsInputs {
  /** Only check the triggering comment and set `arguments`; upload nothing. */
  readonly authorizeOnly: boolean;
  /** Absolute path of the logs directory. */
  readonly path: string;
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
  /** Take files and folders whose name starts with `.` (off by default: `.git/`, `.env`). */
  readonly includeHiddenFiles: boolean;
  /** The include globs, as written, that name a hidden segment (such as `.hidden/**`). */
  readonly includeNamesHidden: readonly string[];
  readonly stores: readonly StoreSpec[];
  readonly prefix: PrefixTemplate;
  readonly context: string;
  readonly visibility: Visibility;
  readonly proxyUrl?: string;
  readonly ifNoFiles: IfNoFiles;
  readonly ifNoCredentials: IfNoCredentials;
  readonly overwrite: boolean;
  readonly redact: boolean;
  /** Names (or globs) of environment variables whose values are secrets. */
  readonly redactEnv: readonly RegExp[];
  /** Secret values given directly; masked as soon as they are read. */
  readonly redactValues: readonly string[];
  /** Files in flight at once, each to every store: the requests open per store at most. */
  readonly filesInFlight: number;
  readonly dryRun: boolean;
  readonly githubToken: string;
  readonly sha?: string;
  readonly statusContext?: string;
  readonly statusState: StatusState;
  readonly comment: boolean;
  readonly issueNumber?: number;
  readonly commentId?: string;
  readonly minPermission: PermissionLevel;
  readonly allowedUsers: readonly string[];
  readonly command?: string;
  readonly argumentPattern: ArgumentPattern;
}

/** The prefix template's default: per repository, then one folder a run, attempt and job, sortable by time. */
export const DEFAULT_PREFIX = '{repo}/{timestamp}-{short-sha}-{run-id}-{run-attempt}-{job}';
const LOGIN_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

export function readUploadLogsInputs(host: Host): UploadLogsInputs {
  // Secrets first: masked before any error message could show one.
  // Not `lines()`: a secret may well start with '#'.
  const redactValues = parseInput(host, 'redact-values', (v) => v.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== ''));
  for (const v of redactValues) host.setSecret(v);
  // The CLI has no `${{ github.token }}` default: it falls back on the environment.
  const githubToken = parseInput(host, 'github-token', (v) => v || host.env.GITHUB_TOKEN || '');
  if (githubToken !== '') host.setSecret(githubToken);

  // A gate job checks the comment and uploads nothing: it needs no directory and no store.
  const authorizeOnly = parseInput(host, 'authorize-only', parseBoolean, 'false');
  const dir = parseInput(host, 'path', (v) => {
    if (v === '' && !authorizeOnly) throw new ConfigurationError('is required and was not given; give the directory that holds the logs');
    return path.resolve(host.cwd, v);
  });
  const stores = readStoreInputs(host, authorizeOnly);

  return {
    authorizeOnly,
    path: dir,
    include: parseInput(host, 'include', parseGlobs, '**'),
    exclude: parseInput(host, 'exclude', (v) => (v === '' ? [] : parseGlobs(v))),
    includeHiddenFiles: parseInput(host, 'include-hidden-files', parseBoolean, 'false'),
    includeNamesHidden: parseInput(host, 'include', (v) => lines(v).filter(namesHidden), '**'),
    stores,
    prefix: parseInput(host, 'prefix', parsePrefixTemplate, DEFAULT_PREFIX),
    context: parseInput(host, 'context', (v) => v),
    visibility: parseInput(host, 'visibility', parseChoice(['public', 'private'] as const), 'public'),
    proxyUrl: parseInput(host, 'proxy-url', parseProxyUrl),
    ifNoFiles: parseInput(host, 'if-no-files', parseChoice(['error', 'warn', 'ignore'] as const), 'error'),
    ifNoCredentials: parseInput(host, 'if-no-credentials', parseChoice(['error', 'warn', 'ignore'] as const), 'error'),
    overwrite: parseInput(host, 'overwrite', parseBoolean, 'false'),
    redact: parseInput(host, 'redact', parseBoolean, 'true'),
    redactEnv: parseInput(host, 'redact-env', parseEnvNames),
    redactValues,
    filesInFlight: parseInput(host, 'files-in-flight', parseIntInRange(1, 256), '64'),
    dryRun: parseInput(host, 'dry-run', parseBoolean, 'false'),
    githubToken,
    sha: parseInput(host, 'sha', (v) => {
      if (v === '') return undefined;
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(v)) throw new ConfigurationError(`${quote(v)} is not allowed; allowed: a full commit SHA (40 or 64 hex digits)`);
      return v;
    }),
    statusContext: parseInput(host, 'status-context', (v) => {
      if (v === '') return undefined;
      if (v.length > 255) throw new ConfigurationError(`${quote(v)} is too long; allowed: up to 255 characters`);
      return v;
    }),
    statusState: parseInput(host, 'status-state', parseChoice(['auto', 'success', 'failure', 'error', 'pending'] as const), 'auto'),
    comment: parseInput(host, 'comment', parseBoolean, 'false'),
    issueNumber: parseInput(host, 'issue-number', (v) => (v === '' ? undefined : parseIntInRange(1, Number.MAX_SAFE_INTEGER)(v))),
    commentId: parseInput(host, 'comment-id', (v) => v || undefined),
    minPermission: parseInput(host, 'min-permission', parseChoice(PERMISSION_LEVELS.filter((l) => l !== 'none')), 'write'),
    allowedUsers: parseInput(host, 'allowed-users', parseLogins),
    command: parseInput(host, 'command', (v) => {
      if (v === '') return undefined;
      if (!/^\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) throw new ConfigurationError(`${quote(v)} is not allowed; allowed: a slash and a word, such as /image-refresh`);
      return v;
    }),
    argumentPattern: parseInput(host, 'argument-pattern', parseArgumentPattern, DEFAULT_ARGUMENT_PATTERN),
  };
}

/** Glob lines (`**`, `*.log`, `journal/**`), matched on paths relative to the directory. */
function parseGlobs(text: string): RegExp[] {
  // dotAll: `*` and `**` must match a name with a newline too, so that it is reported, not dropped.
  return lines(text).map((g) => globToRegExp(g.startsWith('./') ? g.slice(2) : g, 's'));
}

/** Whether a glob names a hidden segment (hidden as the walk judges names; `.` and `..` are not names). */
function namesHidden(glob: string): boolean {
  return (glob.startsWith('./') ? glob.slice(2) : glob).split('/').some((seg) => seg !== '.' && seg !== '..' && isHiddenName(seg));
}

/** Environment variable names or globs (`*_TOKEN`), separated by lines, spaces or commas. */
function parseEnvNames(text: string): RegExp[] {
  return text
    .split(/[\s,]+/)
    .filter((w) => w !== '')
    .map((w) => {
      if (!/^[A-Za-z_*?][A-Za-z0-9_*?]*$/.test(w)) throw new ConfigurationError(`${quote(w)} is not an environment variable name; allowed: letters, digits, '_', and * or ? as wildcards`);
      return globToRegExp(w);
    });
}

/** GitHub logins, separated by lines, spaces or commas; a leading `@` is allowed. */
function parseLogins(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .filter((w) => w !== '')
    .map((w) => {
      const login = w.startsWith('@') ? w.slice(1) : w;
      if (!LOGIN_RE.test(login)) throw new ConfigurationError(`${quote(w)} is not a GitHub login`);
      return login;
    });
}

/**
 * Parses `proxy-url`: an http(s) base address with no query, fragment or credentials. The link
 * built from it is posted in public places, so a value that may carry userinfo (an "@" after a
 * ":") is refused, and shown with that part hidden.
 */
export function parseProxyUrl(v: string): string | undefined {
  if (v === '') return undefined;
  if (mayCarryUserinfo(v)) {
    throw new ConfigurationError(
      `${quote(v)} is not allowed: it may carry credentials (an "@" after a ":"), and the link is posted where anyone reads it; allowed: http(s)://HOST[/PATH] with no query, fragment or credentials (write an "@" in the path as %40)`,
    );
  }
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigurationError(`${quote(v)} is not a URL; allowed: http(s)://HOST[/PATH], which serves the first store's bucket`);
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.search || u.hash || u.username || u.password) {
    throw new ConfigurationError(`${quote(v)} is not allowed; allowed: http(s)://HOST[/PATH] with no query, fragment or credentials`);
  }
  return v.replace(/\/+$/, '');
}
