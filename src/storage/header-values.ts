/**
 * Header values as the actions take them from their inputs (`content-type`, `cache-control`): one
 * check, so that a value is sent the same on every store and on both wire paths (the lean request
 * puts only printable ASCII on the wire; Node refuses CR, LF and other control characters in a
 * header outright), and comes back from a HEAD as it was given.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** The longest header value an input may give; real Content-Type and Cache-Control values are far shorter. */
export const MAX_HEADER_VALUE = 1024;

const ALLOWED = `printable ASCII (space to "~"; no tab, CR or LF), no space at either end, at most ${MAX_HEADER_VALUE} characters`;

function codePoint(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What is wrong with `value` as a header value, or `undefined` when it may be sent as it is. */
export function headerValueProblem(value: string): string | undefined {
  if (value.length > MAX_HEADER_VALUE) return `is ${value.length} characters long`;
  let i = 0;
  for (const c of value) {
    i++;
    const n = c.codePointAt(0)!;
    if (n === 0x0a || n === 0x0d) return `holds a line break (${codePoint(c)}) at character ${i}`;
    if (n < 0x20 || n === 0x7f) return `holds a control character (${codePoint(c)}) at character ${i}`;
    if (n > 0x7e) return `holds ${codePoint(c)}, which is not ASCII, at character ${i}`;
  }
  if (value.startsWith(' ') || value.endsWith(' ')) return 'starts or ends with a space';
  return undefined;
}

/** Refuses a value that cannot be sent as a header value, naming what is allowed and an example. */
function checkHeaderValue(value: string, example: string): void {
  const problem = headerValueProblem(value);
  if (problem !== undefined) throw new ConfigurationError(`${quote(value)} ${problem}; allowed: ${ALLOWED}, such as ${quote(example)}`);
}

/**
 * Parses a `cache-control` input: `undefined` for an empty one (no Cache-Control header), else the
 * value as given, when it is printable ASCII of at most {@link MAX_HEADER_VALUE} characters.
 */
export function parseCacheControl(value: string): string | undefined {
  if (value === '') return undefined;
  checkHeaderValue(value, 'public, max-age=86400');
  return value;
}

/**
 * Parses a `content-type` input: `undefined` for an empty one (the type comes from each file's
 * name), else a media type such as `application/octet-stream`, with parameters if any.
 */
export function parseContentType(value: string): string | undefined {
  if (value === '') return undefined;
  checkHeaderValue(value, 'application/octet-stream');
  if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(value)) throw new ConfigurationError(`${quote(value)} is not a media type such as application/octet-stream`);
  return value;
}
