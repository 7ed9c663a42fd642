import { formatSize } from '../../src/config/size';
import { escapeHtml, relativeHref, renderIndex } from '../../src/logs/index-page';
import { compareKeys } from '../../src/storage/key-range';

describe('index page', () => {
  test('HTML escaping covers text and both kinds of attribute quotes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;');
  });

  test('links are relative, segment by segment percent-encoded, and can never be read as a scheme', () => {
    expect(relativeHref('a b/c#d?e%f+g.log')).toBe('./a%20b/c%23d%3Fe%25f%2Bg.log');
    expect(relativeHref('javascript:alert(1)')).toBe('./javascript%3Aalert%281%29');
    expect(relativeHref('ünï/日本.txt')).toBe('./%C3%BCn%C3%AF/%E6%97%A5%E6%9C%AC.txt');
    expect(relativeHref("it's!*")).toBe('./it%27s%21%2A');
  });

  test('every link resolves back to its key against the page address', () => {
    const base = 'http://127.0.0.1:7480/logs/run-1/index.html';
    for (const key of ['a b.log', 'x/+plus.txt', '100%.txt', '#hash.log', 'ünïcode/日本.log', 'a:b/c', '..x', '?q']) {
      const url = new URL(relativeHref(key), base);
      expect(decodeURIComponent(url.pathname)).toBe(`/logs/run-1/${key}`);
      expect(url.hash).toBe('');
      expect(url.search).toBe('');
    }
  });

  test('sizes', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(4096)).toBe('4.0 KiB');
    expect(formatSize(1.5 * 1024 * 1024)).toBe('1.5 MiB');
    expect(formatSize(3 * 1024 ** 4)).toBe('3.0 TiB');
  });

  test('the page lists every file in key order, escaped, with sizes and the files that are missing', () => {
    const html = renderIndex({
      title: 'owner-repo/<run>',
      entries: [
        { path: 'z.log', size: 10 },
        { path: '<script>alert(1)</script>.txt', size: 2048 },
        { path: 'a b/c&d.log', size: 5 },
      ],
      missing: [{ path: 'gone".log', reason: 'it vanished <before>' }],
      links: [{ text: 'workflow run', href: 'https://github.com/o/r/actions/runs/1?x=1&y=2' }],
      generated: new Date('2024-01-01T00:00:00Z'),
    });
    expect(html).toMatch(/^<!DOCTYPE html>\n/);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>owner-repo/&#60;run&#62;</title>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<a href="./%3Cscript%3Ealert%281%29%3C/script%3E.txt">&#60;script&#62;alert(1)&#60;/script&#62;.txt</a>');
    expect(html).toContain('<a href="./a%20b/c%26d.log">a b/c&#38;d.log</a></td><td class="size" title="5 bytes">5 B</td>');
    expect(html).toContain('2.0 KiB');
    expect(html).toContain('3 file(s), 2.0 KiB');
    expect(html).toContain('<a href="https://github.com/o/r/actions/runs/1?x=1&#38;y=2">workflow run</a>');
    expect(html).toContain('<li>gone&#34;.log: it vanished &#60;before&#62;</li>');
    const order = [...html.matchAll(/<tr><td><a href="[^"]*">([^<]*)</g)].map((m) => m[1]);
    expect(order).toEqual(['&#60;script&#62;alert(1)&#60;/script&#62;.txt', 'a b/c&#38;d.log', 'z.log']);
  });

  test('keys sort in UTF-8 byte order, as S3 lists them', () => {
    expect(['é', 'z', 'Z', 'a', '\u{1F600}', '\uFF5E'].sort(compareKeys)).toEqual(['Z', 'a', 'z', 'é', '\uFF5E', '\u{1F600}']);
  });
});
