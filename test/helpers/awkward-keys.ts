/**
 * Keys of every class S3 can hold and that code which builds URLs, XML or file names tends to get
 * wrong, one list for every suite that must carry them: the store contract on both wire paths, the
 * mirror between the two clusters in both directions, the audit.
 */
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
