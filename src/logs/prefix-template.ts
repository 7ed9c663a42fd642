/**
 * The prefix a run's logs go under, from a template such as `{repo}/pull-{pr}-{timestamp}-{short-sha}`.
 *
 * Placeholder values come from the run (and from comment arguments), so they are made safe before
 * they are put in: the characters Cockpit replaces (`/`, `@`, `:` and whitespace), plus control
 * characters and `\`, become `-`. A value can therefore never add a path segment, and the template's
 * own `/` are the only separators. A rendered segment that is empty, `.` or `..` is refused, so one
 * run can never write into another run's prefix, or above its own.
 *
 * A placeholder the run has no value for (`{pr}` on a push, `{repo}` outside a workflow) is an
 * error naming it, the event and where its value comes from: rendering it as nothing would leave
 * `pull--...` prefixes that many runs share.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import type { RunContext } from './run-context';

/** Every placeholder a prefix template may use. */
export const PREFIX_PLACEHOLDERS = ['repo', 'pr', 'sha', 'short-sha', 'run-id', 'run-attempt', 'job', 'timestamp', 'context'] as const;
export type PrefixPlaceholder = (typeof PREFIX_PLACEHOLDERS)[number];

/** The values a template is rendered with; `''` where the run has none (no PR, say). */
export type PrefixValues = Readonly<Record<PrefixPlaceholder, string>>;

/**
 * Where each placeholder's value comes from, and what to write instead when the run has none:
 * the text of the error for a placeholder without a value, and of the README's table.
 */
export const PLACEHOLDER_SOURCES: Readonly<Record<PrefixPlaceholder, { readonly from: string; readonly instead: string }>> = {
  repo: { from: 'GITHUB_REPOSITORY, set by the runner in every workflow run', instead: 'write the name into prefix' },
  pr: {
    from: 'the pull request number, which only pull_request, pull_request_target, pull_request_review(_comment) events and comments on a pull request have',
    instead: 'use {sha} or {run-id}, or set prefix for this event',
  },
  sha: { from: 'the sha input, else the pull request head, else GITHUB_SHA, set by the runner in every workflow run', instead: 'set the sha input' },
  'short-sha': { from: 'the first 8 digits of {sha}: the sha input, else the pull request head, else GITHUB_SHA', instead: 'set the sha input' },
  'run-id': { from: 'GITHUB_RUN_ID, set by the runner in every workflow run', instead: 'use {timestamp}' },
  'run-attempt': { from: 'GITHUB_RUN_ATTEMPT, set by the runner in every workflow run', instead: 'use {timestamp}' },
  job: { from: 'GITHUB_JOB, set by the runner in every workflow run', instead: 'write the name into prefix' },
  timestamp: { from: 'the time the step started (UTC)', instead: '' },
  context: { from: 'the context input, else the arguments of the triggering comment', instead: 'set the context input (such as the matrix entry), or remove {context}' },
};

/** How a message names the event a run belongs to: "on a push event", or outside a workflow run. */
export function describeEvent(eventName: string | undefined): string {
  if (eventName === undefined) return 'in this run';
  if (eventName === '') return 'outside a workflow run (GITHUB_EVENT_NAME is not set)';
  return `on ${/^[aeiou]/.test(eventName) ? 'an' : 'a'} ${eventName} event`;
}

/** A checked template: rendering it can only fail on the values, never on the text. */
export interface PrefixTemplate {
  readonly text: string;
  readonly placeholders: ReadonlySet<PrefixPlaceholder>;
}

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;
// Cockpit's set (`/`, `@`, `:`, whitespace) and, since a value must never be able to smuggle in a
// separator a browser or a file store would honour, `\` and control characters too.
// eslint-disable-next-line no-control-regex
const UNSAFE_RE = /[/@:\\\s\u0000-\u001f\u007f]/g;

/** Checks a template once. Throws `ConfigurationError` naming an unknown placeholder or a stray brace. */
export function parsePrefixTemplate(text: string): PrefixTemplate {
  const allowed = PREFIX_PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
  if (text.trim() === '') throw new ConfigurationError(`empty prefix template; allowed: text and / with ${allowed}`);
  const used = new Set<PrefixPlaceholder>();
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    const name = m[1]!;
    if (!(PREFIX_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new ConfigurationError(`unknown placeholder {${name}} in ${quote(text)}; allowed: ${allowed}`);
    }
    used.add(name as PrefixPlaceholder);
  }
  if (/[{}]/.test(text.replace(PLACEHOLDER_RE, ''))) throw new ConfigurationError(`unbalanced braces in prefix template ${quote(text)}`);
  // The literal text is the user's own; still, it must not hold what a value may not.
  // eslint-disable-next-line no-control-regex
  if (/[\\\s\u0000-\u001f\u007f]/.test(text.replace(PLACEHOLDER_RE, ''))) {
    throw new ConfigurationError(`prefix template ${quote(text)} holds whitespace, '\\' or a control character; use '-' or '/' instead`);
  }
  return { text, placeholders: used };
}

/** Replaces every character that is unsafe in a prefix segment with `-`. */
export function safeValue(value: string): string {
  return value.replace(UNSAFE_RE, '-');
}

/**
 * Renders the prefix, without a leading `/` and with a trailing one (`a/b/`). One trailing `/` in the
 * template is tolerated. Throws `ConfigurationError` for a placeholder without a value (naming it,
 * `eventName` and where its value comes from), for an empty, `.` or `..` segment, naming the
 * placeholders that produced it, and for a prefix over 512 bytes (half of S3's key limit, so the
 * files' own paths keep room).
 */
export function renderPrefix(template: PrefixTemplate, values: PrefixValues, eventName?: string): string {
  const missing = [...template.placeholders].filter((p) => values[p] === '');
  if (missing.length > 0) {
    const each = missing.map((p) => `{${p}} is ${PLACEHOLDER_SOURCES[p].from}${PLACEHOLDER_SOURCES[p].instead ? `: ${PLACEHOLDER_SOURCES[p].instead}` : ''}`);
    throw new ConfigurationError(
      `${missing.map((p) => `{${p}}`).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no value ${describeEvent(eventName)}, ` +
        `so ${quote(template.text)} cannot make a prefix that is the run's own. ${each.join('; ')}`,
    );
  }
  const text = template.text.endsWith('/') ? template.text.slice(0, -1) : template.text;
  const rendered = text.split('/').map((segment) => {
    const out = segment.replace(PLACEHOLDER_RE, (_, name: PrefixPlaceholder) => safeValue(values[name]));
    if (out === '' || out === '.' || out === '..') {
      const names = [...segment.matchAll(PLACEHOLDER_RE)].map((m) => `{${m[1]}}`);
      const cause =
        names.length === 0
          ? 'the template has an empty segment (a leading "/" or "//")'
          : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} ${out === '' ? 'empty' : quote(out)} in this run`;
      throw new ConfigurationError(
        `prefix template ${quote(template.text)} yields a ${out === '' ? 'empty' : quote(out)} path segment: ${cause}; ` +
          'every segment must be non-empty and not "." or ".."',
      );
    }
    return out;
  });
  const prefix = `${rendered.join('/')}/`;
  if (Buffer.byteLength(prefix) > 512) throw new ConfigurationError(`prefix ${quote(prefix)} from ${quote(template.text)} is longer than 512 bytes`);
  return prefix;
}

/**
 * The values of a run: `sha` is the commit the logs belong to (see the `sha` input), `context` the
 * context input or the comment's arguments, `started` when the step started. `''` where the run
 * has none.
 */
export function prefixValues(run: RunContext, sha: string, context: string, started: Date): PrefixValues {
  return {
    repo: run.repository,
    pr: run.pr !== undefined ? String(run.pr) : '',
    sha,
    'short-sha': sha.slice(0, 8),
    'run-id': run.runId,
    'run-attempt': run.runAttempt,
    job: run.job,
    timestamp: formatTimestamp(started),
    context,
  };
}

/** `YYYYMMDD-HHMMSS` in UTC: sortable, and free of `:` (which keys would have to carry escaped). */
export function formatTimestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}
