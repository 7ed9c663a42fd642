/**
 * What an object is served as, from its name: the one place that asks `mime-types` (the maintained
 * mime-db), shared by every action that writes files. Text types get an explicit UTF-8 charset, so
 * a browser does not guess; a name the library does not know is `application/octet-stream`.
 */
import * as mime from 'mime-types';

export const OCTET_STREAM = 'application/octet-stream';

// Types without `text/` in front that are still text to a person and to a browser.
const TEXTUAL = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-sh',
  'application/x-shellscript',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/x-ndjson',
  'application/jsonl',
  'image/svg+xml',
]);

/** True for types whose content is text: `text/*`, JSON and XML flavours, scripts. */
export function isTextType(type: string): boolean {
  const bare = type.split(';')[0]!.trim().toLowerCase();
  return bare.startsWith('text/') || TEXTUAL.has(bare) || /\+(json|xml)$/.test(bare);
}

/** A type with a charset when it is text (`text/plain; charset=utf-8`), bare otherwise. */
function withCharset(type: string): string {
  if (/;\s*charset=/i.test(type)) return type;
  return isTextType(type) ? `${type}; charset=utf-8` : type;
}

/**
 * The type `mime-types` gives the last segment of `name` (a file name or a relative path), with a
 * charset for text; `undefined` when it knows none. `x.raw.gz` is `application/gzip`: the name's
 * last extension decides, and no Content-Encoding is implied.
 */
export function typeByName(name: string): string | undefined {
  const type = mime.lookup(name.slice(name.lastIndexOf('/') + 1));
  return type === false ? undefined : withCharset(type);
}

/**
 * The Content-Type a file is written with when nobody says otherwise: its type by name, else
 * `application/octet-stream` (disk images such as `.qcow2`, `.raw` or `.zst`, which mime-db does not know).
 */
export function contentTypeByName(name: string): string {
  return typeByName(name) ?? OCTET_STREAM;
}
