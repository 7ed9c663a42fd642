/**
 * Credentials written into a URL (`https://KEY:SECRET@host/...`) must never be printed. A secret may
 * hold `/`, `@`, `?`, `#` or white space, so the URL often does not parse and its userinfo cannot be
 * found the way a URL parser finds it; this module finds it by shape instead, and errs towards
 * hiding too much.
 */

/** Characters a URL scheme is made of (RFC 3986 section 3.1). */
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
/** What ends the word a `:` belongs to when looking back for its scheme. */
const WORD_START = /[\s"'=,;()<>[\]{}]/;

/**
 * The span of `text` that may hold userinfo: from just after the first `scheme:` (and its slashes)
 * that is followed, anywhere later, by an `@`, up to the last `@`. For `KEY:SECRET@host` (no
 * slashes after the colon) the span starts at the beginning of that word, access key included.
 * `undefined` when there is no `:` with an `@` after it.
 */
export function userinfoSpan(text: string): { readonly start: number; readonly end: number } | undefined {
  const at = text.lastIndexOf('@');
  if (at < 0) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0 || colon > at) return undefined;
  let wordStart = colon;
  while (wordStart > 0 && !WORD_START.test(text[wordStart - 1]!)) wordStart--;
  let start = wordStart;
  if (SCHEME_RE.test(text.slice(wordStart, colon)) && /[/\\]/.test(text[colon + 1] ?? '')) {
    start = colon + 1;
    while (start < at && /[/\\]/.test(text[start]!)) start++;
  }
  return { start, end: at };
}

/**
 * `text` with whatever may be userinfo replaced by `***`: `https://***@host/bucket`. Works on
 * values that do not parse as URLs, and on whole lines: everything from the first `scheme://` to
 * the last `@` goes. Text without a `:` followed by an `@` comes back unchanged.
 */
export function redactUserinfo(text: string): string {
  const span = userinfoSpan(text);
  return span === undefined ? text : `${text.slice(0, span.start)}***${text.slice(span.end)}`;
}

/** True when `text` may carry userinfo: some `:` has an `@` after it. */
export function mayCarryUserinfo(text: string): boolean {
  return userinfoSpan(text) !== undefined;
}
