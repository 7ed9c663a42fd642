/**
 * Content-Type and Content-Encoding for log files, so that a browser shows them rather than
 * downloading them. The type comes from the name (`typeByName`, shared with upload-image); a name
 * it does not know is looked at: no NUL byte in its first bytes means text. A `.gz` file
 * whose inner name is browsable text is served as that text with `Content-Encoding: gzip` (the
 * browser unpacks it); other `.gz` files (archives, say) stay `application/gzip`, since a browser
 * would otherwise save them unpacked under a `.gz` name.
 */
import { isTextType, OCTET_STREAM, typeByName } from '../storage/content-type';

export { isTextType };

/** Every text type gets an explicit charset: logs are UTF-8, and a browser's guess is often not. */
export const TEXT_PLAIN = 'text/plain; charset=utf-8';
const GZIP_MAGIC = [0x1f, 0x8b] as const;
/** How many leading bytes decide whether a file of an unknown kind is text. */
export const SNIFF_BYTES = 8192;

/** What the object is served as, and whether its content is text a secret could be written in. */
export interface ContentChoice {
  readonly contentType: string;
  readonly contentEncoding?: 'gzip';
  /** True when the bytes (after unpacking, for `gzip`) are text. */
  readonly text: boolean;
}

/** True when `head` (the first bytes of a file) looks like text: no NUL byte. An empty file is text. */
export function looksLikeText(head: Uint8Array): boolean {
  return !head.subarray(0, SNIFF_BYTES).includes(0);
}

/** True when `head` starts with gzip's magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/**
 * Chooses how `name` (a file's base name or relative path) is served, given its first bytes
 * (`head`, up to {@link SNIFF_BYTES}; fewer for a small file).
 */
export function chooseContent(name: string, head: Uint8Array): ContentChoice {
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (/\.gz$/i.test(base) && base.length > 3) {
    // A name that says gzip but content that is not: serving it with Content-Encoding: gzip would
    // make every browser fail on it. Serve the bytes as they are.
    if (!isGzip(head)) return { contentType: OCTET_STREAM, text: false };
    const inner = base.slice(0, -3);
    const innerType = typeByName(inner);
    // No known inner extension (`journal.gz`, `messages.1.gz`): in a logs tree that is a log.
    if (innerType === undefined) return { contentType: TEXT_PLAIN, contentEncoding: 'gzip', text: true };
    if (isTextType(innerType)) return { contentType: innerType, contentEncoding: 'gzip', text: true };
    return { contentType: 'application/gzip', text: false };
  }
  const type = typeByName(base);
  if (type === undefined) return looksLikeText(head) ? { contentType: TEXT_PLAIN, text: true } : { contentType: OCTET_STREAM, text: false };
  return { contentType: type, text: isTextType(type) };
}
