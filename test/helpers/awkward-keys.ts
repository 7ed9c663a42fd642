/**
 * Keys of every class S3 can hold and that code which builds URLs, XML or file names tends to get
 * wrong: `.` and `..` segments, empty segments (`//`), a leading or trailing `/`, `%` (raw and as if
 * encoded), `?`, `#`, CR and LF, other control characters, astral characters, line and paragraph
 * separators, a BOM, and the NFC and NFD forms of the same name. S3 stores each literally, as a
 * different key. A fixed list for the suites that run on the servers (the store contract on both
 * wire paths, the mirror between the two clusters in both directions) and generators for properties.
 */
import fc from 'fast-check';

export const AWKWARD_KEYS: readonly string[] = [
  // Dot segments and empty segments: URL parsing would normalize them away.
  './x',
  'a/./b',
  'a/../b',
  '..',
  '.',
  'a//b',
  '/lead',
  'trail/',
  'rhel-dir/./rhel-9.qcow2',
  // Line ends, whitespace and control characters: XML would change or refuse them unless url-encoded.
  'cr\rkey',
  'lf\nkey',
  'crlf\r\nkey',
  ' \n ',
  ' ',
  'tab\tkey',
  'ctl\u0001x',
  'esc\u001bx',
  'del\u007fx',
  'nbsp\u00a0x',
  'ls\u2028ps\u2029x',
  // Characters with a meaning in URLs, forms or XML.
  'a+b c',
  '%41%2F',
  'q?x#y',
  'amp&lt;&amp;',
  "a~b*c'(d)!",
  'semi;colon=eq',
  ']]>cdata',
  // Unicode: astral, the same name in NFC and NFD (two different keys), a BOM, a replacement character.
  '😀/emoji',
  'nfc-\u00e9',
  'nfd-e\u0301',
  '\ufeffbom',
  'x\ufffdy',
];


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
