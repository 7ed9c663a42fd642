import { gzipSync } from 'node:zlib';
import { chooseContent, isTextType, looksLikeText, TEXT_PLAIN } from '../../src/logs/content-type';

const text = Buffer.from('hello\n');
const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]);
const gz = gzipSync('log line\n');

describe('Content-Type and Content-Encoding', () => {
  test.each([
    ['journal.log', TEXT_PLAIN],
    ['notes.txt', TEXT_PLAIN],
    ['report.json', 'application/json; charset=utf-8'],
    ['log.html', 'text/html; charset=utf-8'],
    ['results.xml', 'application/xml; charset=utf-8'],
    ['screenshot.png', 'image/png'],
    ['diagram.svg', 'image/svg+xml; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['archive.tar', 'application/x-tar'],
    ['dir/sub/TEST.LOG', TEXT_PLAIN],
  ])('%s is served as %s', (name, type) => {
    expect(chooseContent(name, text).contentType).toBe(type);
    expect(chooseContent(name, text).contentEncoding).toBeUndefined();
  });

  test('a name the MIME library does not know is looked at: text, or octet-stream', () => {
    expect(chooseContent('messages', text)).toEqual({ contentType: TEXT_PLAIN, text: true });
    expect(chooseContent('run.journal', binary)).toEqual({ contentType: 'application/octet-stream', text: false });
    expect(chooseContent('empty', new Uint8Array(0))).toEqual({ contentType: TEXT_PLAIN, text: true });
    // ANSI colours and other control characters but NUL are still text.
    expect(looksLikeText(Buffer.from('\x1b[31mred\x1b[0m\r\n'))).toBe(true);
  });

  test('.gz text: Content-Encoding gzip and the inner type, so a browser shows it', () => {
    expect(chooseContent('journal.log.gz', gz)).toEqual({ contentType: TEXT_PLAIN, contentEncoding: 'gzip', text: true });
    expect(chooseContent('data.json.gz', gz)).toEqual({ contentType: 'application/json; charset=utf-8', contentEncoding: 'gzip', text: true });
    expect(chooseContent('messages.gz', gz)).toEqual({ contentType: TEXT_PLAIN, contentEncoding: 'gzip', text: true });
    expect(chooseContent('PAGE.HTML.GZ', gz)).toEqual({ contentType: 'text/html; charset=utf-8', contentEncoding: 'gzip', text: true });
  });

  test('.gz archives stay application/gzip: a browser would save them unpacked under a .gz name', () => {
    expect(chooseContent('sources.tar.gz', gz)).toEqual({ contentType: 'application/gzip', text: false });
    expect(chooseContent('image.png.gz', gz)).toEqual({ contentType: 'application/gzip', text: false });
  });

  test('a .gz name on content that is not gzip gets no Content-Encoding', () => {
    expect(chooseContent('fake.log.gz', text)).toEqual({ contentType: 'application/octet-stream', text: false });
  });

  test('text types', () => {
    for (const t of ['text/plain', 'application/json', 'application/ld+json', 'image/svg+xml', 'application/x-sh', 'TEXT/HTML; charset=utf-8']) expect(isTextType(t)).toBe(true);
    for (const t of ['image/png', 'application/gzip', 'application/octet-stream', 'video/mp2t']) expect(isTextType(t)).toBe(false);
  });
});
