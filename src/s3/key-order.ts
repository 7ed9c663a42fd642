/**
 * The order S3 lists keys in: UTF-8 binary. The wire checks every listing page against it; the
 * stores and the engines use it through `../storage/key-range`.
 */

/**
 * Compares two keys in UTF-8 binary order without encoding them. UTF-16 code units order like code
 * points except that surrogates (code points above U+FFFF) must sort after U+E000..U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
