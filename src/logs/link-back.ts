/**
 * The texts that link a run's logs back to GitHub: the comment (found again on a re-run by the
 * hidden marker it starts with, so it is updated in place and never duplicated) and the commit
 * status description. Pure: the API calls are in `runtime/github-api.ts`.
 */
import { formatSize } from '../config/size';

/** Counts shown in the comment and the status. */
export interface LinkCounts {
  readonly files: number;
  readonly bytes: number;
  readonly failed: number;
  readonly vanished: number;
  readonly redactions: number;
}

/**
 * A comment id safe inside an HTML comment: letters, digits, `.`, `_` and `-`, with no `--` (which
 * would end the comment early). `undefined` when nothing is left.
 */
export function sanitizeCommentId(id: string): string | undefined {
  const safe = id
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  return safe === '' ? undefined : safe.slice(0, 100);
}

/** The hidden marker a comment starts with. */
export function commentMarker(id: string): string {
  return `<!-- ci-stores:upload-logs:${id} -->`;
}

/** Markdown link text and target, with the characters that would break either escaped. */
function mdLink(text: string, url: string): string {
  const t = text.replace(/[\\[\]*_`<>]/g, (c) => `\\${c}`);
  const u = url.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${t}](${u})`;
}

export interface CommentText {
  readonly marker: string;
  /** What the logs are of, such as the job and context: `job tests (fedora-42)`. */
  readonly title: string;
  readonly url: string;
  readonly prefix: string;
  readonly counts: LinkCounts;
  readonly runUrl?: string;
  readonly sha?: string;
}

/** The comment's markdown; it starts with the marker. */
export function commentBody(c: CommentText): string {
  const lines = [
    c.marker,
    `**Logs** for ${c.title.replace(/[\\[\]*_`<>]/g, (ch) => `\\${ch}`)}: ${mdLink(c.prefix, c.url)}`,
    '',
    `${c.counts.files} file(s), ${formatSize(c.counts.bytes)}` +
      (c.counts.failed > 0 ? `, **${c.counts.failed} failed**` : '') +
      (c.counts.vanished > 0 ? `, ${c.counts.vanished} vanished during the upload` : '') +
      (c.counts.redactions > 0 ? `, ${c.counts.redactions} secret occurrence(s) redacted` : '') +
      (c.sha ? `; commit ${c.sha.slice(0, 12)}` : '') +
      (c.runUrl ? `; ${mdLink('workflow run', c.runUrl)}` : ''),
  ];
  return `${lines.join('\n')}\n`;
}

/** A commit status description: at most 140 characters, as the API requires. */
export function statusDescription(counts: LinkCounts): string {
  const text =
    `logs: ${counts.files} file(s), ${formatSize(counts.bytes)}` +
    (counts.failed > 0 ? `, ${counts.failed} failed` : '') +
    (counts.vanished > 0 ? `, ${counts.vanished} vanished` : '');
  return text.slice(0, 140);
}
