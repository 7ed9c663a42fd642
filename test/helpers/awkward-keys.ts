/**
 * Keys of every class that URL handling gets wrong: `.` and `..` segments, empty segments (`//`),
 * a leading or trailing `/`, `%` (raw and as if encoded), `?`, `#`, CR and LF, other control
 * characters, astral characters, line and paragraph separators, a BOM, and the NFC and NFD forms
 * of the same name. S3 stores each of them literally, as a different key.
 */
import fc from 'fast-check';

/** Segment texts that are awkward on their own. */
export const AWKWARD_SEGMENTS = [
  '.', '..', '', '...', '%', '%2E', '%2e%2E', '%2F', '%00', '?', '?x=1', '#', '#top', '\r', '\n', '\r\n', '\t', '\x00', '\x01', '\x1f', '\x7f',
  ' ', '+', '&', ';', '=', ',', ':', '@', '\\', '~', "!'()*", '[]', '{}', '"', '<>', '^`|',
  '\u00e9', 'e\u0301', '\u00c5', 'A\u030a', '\u{1F600}', '\u{1D11E}', '\u2028', '\u2029', '\uFEFF', '\u00a0', '\u0085',
] as const;

const normalForms = fc.constantFrom('é', 'Å', 'ñ', '한', 'ü', 'Ḱ').chain((c) => fc.constantFrom(c.normalize('NFC'), c.normalize('NFD')));

/** One path segment: awkward pieces, any code point, and plain names. */
export const segment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...AWKWARD_SEGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom(...AWKWARD_SEGMENTS), fc.string({ unit: 'grapheme-ascii', maxLength: 3 }), normalForms), { maxLength: 4 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('rhel-9.qcow2', 'logs', 'journal.log', 'a') },
);

/** A key S3 can hold (1 to 1,024 bytes of UTF-8) built from awkward segments, with an optional leading and trailing `/`. */
export const awkwardKey: fc.Arbitrary<string> = fc
  .record({ lead: fc.boolean(), segments: fc.array(segment, { minLength: 1, maxLength: 6 }), trail: fc.boolean() })
  .map(({ lead, segments, trail }) => `${lead ? '/' : ''}${segments.join('/')}${trail ? '/' : ''}`)
  .filter((k) => k.length > 0 && Buffer.byteLength(k) <= 1024);
