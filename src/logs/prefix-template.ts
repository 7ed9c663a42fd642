/**
 * The prefix a run's logs go under, from a template such as `{repo}/pull-{pr}-{timestamp}-{short-sha}`.
 *
 * Placeholder values come from the run (and from comment arguments), so they are made safe before
 * they are put in: the characters Cockpit replaces (`/`, `@`, `:` and whitespace), plus control
 * characters and `\`, become `-`. A value can therefore never add a path segment, and the template's
 * own `/` are the only separators. A rendered segment that is empty, `.` or `..` is refused, so one
 * run can never write into another run's prefix, or above its own.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** Every placeholder a prefix template may use. */
export const PREFIX_PLACEHOLDERS = ['repo', 'pr', 'sha', 'short-sha', 'run-id', 'run-attempt', 'job', 'timestamp', 'context'] as const;
export type PrefixPlaceholder = (typeof PREFIX_PLACEHOLDERS)[number];

/** The values a template is rendered with; `''` where the run has none (no PR, say). */
export type PrefixValues = Readonly<Record<PrefixPlaceholder, string>>;

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
 * template is tolerated. Throws `ConfigurationError` for an empty, `.` or `..` segment, naming the
 * placeholders that produced it, and for a prefix over 512 bytes (half of S3's key limit, so the
 * files' own paths keep room).
 */
export function renderPrefix(template: PrefixTemplate, values: PrefixValues): string {
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

/** `YYYYMMDD-HHMMSS` in UTC: sortable, and free of `:` (which keys would have to carry escaped). */
export function formatTimestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}
