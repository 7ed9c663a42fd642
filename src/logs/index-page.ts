/**
 * The `index.html` written at the root of a run's prefix, so that a bucket without directory
 * listings (most of them: S3, Linode, DigitalOcean) still shows the run in a browser.
 *
 * Two encodings meet here and are kept apart: a key becomes a URL path by percent-encoding each
 * segment (so `#`, `?`, `%`, `+` and `:` cannot change what the link means), and that URL, like
 * every name shown, is then HTML-escaped for the page.
 */
import { formatSize } from '../config/size';
import { encodeKey } from '../storage/anonymous';
import { compareKeys } from '../storage/key-range';

/** One file the page lists, by its path relative to the page. */
export interface IndexEntry {
  readonly path: string;
  readonly size: number;
}

/** A file that is not in the store, listed with why. */
export interface MissingEntry {
  readonly path: string;
  readonly reason: string;
}

export interface IndexPage {
  /** Shown as the title and heading, such as the run's prefix. */
  readonly title: string;
  readonly entries: readonly IndexEntry[];
  /** Files that were meant to be here but are not (vanished, failed). */
  readonly missing?: readonly MissingEntry[];
  /** Links shown under the heading, such as the workflow run and the commit. */
  readonly links?: readonly { readonly text: string; readonly href: string }[];
  readonly generated: Date;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A relative URL for `path` (a key relative to the page), each segment percent-encoded: every byte
 * but RFC 3986's unreserved characters. It starts with `./`, so a first segment such as `a:b` can
 * never be read as a URL scheme.
 */
export function relativeHref(path: string): string {
  return `./${encodeKey(path)}`;
}

/** Renders the page. Entries are listed in key order; the total is shown. */
export function renderIndex(page: IndexPage): string {
  const entries = [...page.entries].sort((a, b) => compareKeys(a.path, b.path));
  const total = entries.reduce((n, e) => n + e.size, 0);
  const rows = entries.map(
    (e) => `<tr><td><a href="${escapeHtml(relativeHref(e.path))}">${escapeHtml(e.path)}</a></td><td class="size" title="${e.size} bytes">${formatSize(e.size)}</td></tr>`,
  );
  const links = (page.links ?? []).map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>`).join(' · ');
  const missing = page.missing ?? [];
  const out = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td{padding:.1em 1em .1em 0;font-family:monospace}td.size{text-align:right;white-space:nowrap}</style>',
    '</head>',
    '<body>',
    `<h1>${escapeHtml(page.title)}</h1>`,
    links === '' ? '' : `<p>${links}</p>`,
    `<p>${entries.length} file(s), ${formatSize(total)}; generated ${escapeHtml(page.generated.toISOString())}.</p>`,
    '<table>',
    '<thead><tr><th>file</th><th>size</th></tr></thead>',
    '<tbody>',
    ...rows,
    '</tbody>',
    '</table>',
  ];
  if (missing.length > 0) {
    out.push(`<h2>Not uploaded (${missing.length})</h2>`, '<ul>');
    out.push(...missing.map((m) => `<li>${escapeHtml(m.path)}: ${escapeHtml(m.reason)}</li>`));
    out.push('</ul>');
  }
  out.push('</body>', '</html>');
  return `${out.filter((l) => l !== '').join('\n')}\n`;
}
