// Helpers that used to be written in several places, now one each: every former call site's
// output is pinned here for a few values.
import { fmtBytes, formatSize } from '../../src/config/size';
import { relativeHref } from '../../src/logs/index-page';
import { encodeQueryPart } from '../../src/s3/lean-requests';
import { encodeKey, encodeRfc3986 } from '../../src/s3/anonymous';
import { compareKeys } from '../../src/storage/key-range';

describe('sizes: the images and mirror style and the logs style', () => {
  test('agree up to a GiB', () => {
    for (const [n, text] of [
      [0, '0 B'],
      [1023, '1023 B'],
      [1024, '1.0 KiB'],
      [1536, '1.5 KiB'],
      [1024 ** 2 - 1, '1024.0 KiB'],
      [5 * 1024 ** 2, '5.0 MiB'],
      [1024 ** 3 - 1, '1024.0 MiB'],
    ] as const) {
      expect(fmtBytes(n)).toBe(text);
      expect(formatSize(n)).toBe(text);
    }
  });

  test('from a GiB up, the images and mirror style has two decimals and no TiB', () => {
    expect(fmtBytes(1024 ** 3)).toBe('1.00 GiB');
    expect(fmtBytes(2.5 * 1024 ** 3)).toBe('2.50 GiB');
    expect(fmtBytes(3 * 1024 ** 4)).toBe('3072.00 GiB');
    expect(formatSize(1024 ** 3)).toBe('1.0 GiB');
    expect(formatSize(2.5 * 1024 ** 3)).toBe('2.5 GiB');
    expect(formatSize(3 * 1024 ** 4)).toBe('3.0 TiB');
  });
});

describe('RFC 3986 encoding', () => {
  test('a key segment by segment, for the wire and for the logs index page', () => {
    for (const [key, path] of [
      ['a b/c#d?e%f+g.log', 'a%20b/c%23d%3Fe%25f%2Bg.log'],
      ["it's!*(x)/~-_.", 'it%27s%21%2A%28x%29/~-_.'],
      ['ünï/日本.txt', '%C3%BCn%C3%AF/%E6%97%A5%E6%9C%AC.txt'],
      ['a//./../b', 'a//./../b'],
    ] as const) {
      expect(encodeKey(key)).toBe(path);
      expect(relativeHref(key)).toBe(`./${path}`);
    }
  });

  test('a query part: `/` is encoded too', () => {
    expect(encodeQueryPart("a/b c!'()*~")).toBe('a%2Fb%20c%21%27%28%29%2A~');
    expect(encodeQueryPart('list-type')).toBe('list-type');
    expect(encodeRfc3986('x=1&y')).toBe('x%3D1%26y');
  });
});

describe('key order for the logs walk and index page', () => {
  test('sorts log paths as their UTF-8 bytes sort', () => {
    const paths = ['z.log', 'a b/c.log', 'a/b.log', 'a.log', 'A.log', 'é.txt', '\uFF5E.txt', '\u{1F600}.txt', 'a/', 'a', 'build/2/x', 'build/10/x'];
    const byBytes = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...paths].sort(compareKeys)).toEqual(byBytes);
  });
});
