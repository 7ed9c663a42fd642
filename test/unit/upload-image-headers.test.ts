/**
 * upload-image's `content-type` and `cache-control` inputs, and the Content-Type a file gets by
 * name. The property holds the header check to an oracle written here from the rule the README
 * states (printable ASCII, no space at either end, at most 1,024 characters), sharing no code with it.
 */
import fc from 'fast-check';
import { readUploadImageInputs } from '../../src/actions/upload-image/inputs';
import { ConfigurationError, quote } from '../../src/config/configuration-error';
import { contentTypeByName } from '../../src/storage/content-type';
import { MAX_HEADER_VALUE, parseCacheControl, parseContentType } from '../../src/storage/header-values';
import { headerChanges } from '../../src/upload/upload-images';
import { checkProperty } from '../helpers/property';
import { quietHost } from '../helpers/quiet-host';

/** The oracle: a value may be sent when it is empty (no header), or 1 to 1,024 characters from space to '~', not starting or ending with a space. */
function oracleAccepts(v: string): boolean {
  if (v === '') return true;
  if (v.length > 1024) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c > 126) return false;
  }
  return v[0] !== ' ' && v[v.length - 1] !== ' ';
}

function outcome(parse: (v: string) => string | undefined, v: string): { ok: true; value: string | undefined } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: parse(v) };
  } catch (error) {
    return { ok: false, error };
  }
}

const inputs = (over: Record<string, string>) => quietHost({ files: 'a.qcow2', stores: 'http://127.0.0.1:1/bucket', ...over });

describe('cache-control', () => {
  test('empty means no header; a value is kept as given', () => {
    expect(parseCacheControl('')).toBeUndefined();
    expect(parseCacheControl('public, max-age=86400')).toBe('public, max-age=86400');
    expect(parseCacheControl('no-store')).toBe('no-store');
    expect(parseCacheControl('~')).toBe('~');
    expect(parseCacheControl('x'.repeat(MAX_HEADER_VALUE))).toHaveLength(MAX_HEADER_VALUE);
  });

  test.each([
    ['max-age=60\r\nx-amz-acl: public-read', /^"max-age=60\\r\\nx-amz-acl: public-read" holds a line break \(U\+000D\) at character 11; allowed: printable ASCII/],
    ['max-age=60\n', /^"max-age=60\\n" holds a line break \(U\+000A\) at character 11; allowed:/],
    ['max-age=60,\tpublic', /holds a control character \(U\+0009\) at character 12; allowed:/],
    ['max-age=60\u0000', /holds a control character \(U\+0000\) at character 11/],
    ['max-age=60\u007f', /holds a control character \(U\+007F\) at character 11/],
    ['max-âge=60', /holds U\+00E2, which is not ASCII, at character 5/],
    ['max-age=60 😀', /holds U\+1F600, which is not ASCII, at character 12/],
    [' max-age=60', /starts or ends with a space/],
    ['x'.repeat(MAX_HEADER_VALUE + 1), /is 1025 characters long; allowed: .*at most 1024 characters, such as "public, max-age=86400"$/],
  ])('%j is refused, saying why and what is allowed', (value, message) => {
    expect(() => parseCacheControl(value)).toThrow(ConfigurationError);
    expect(() => parseCacheControl(value)).toThrow(message);
  });

  test('through the inputs: the error names the input and the value', () => {
    expect(() => readUploadImageInputs(inputs({ 'cache-control': 'max-age=60\nx' }))).toThrow(
      /^input "cache-control": "max-age=60\\nx" holds a line break \(U\+000A\) at character 11; allowed: printable ASCII \(space to "~"; no tab, CR or LF\), no space at either end, at most 1024 characters, such as "public, max-age=86400"$/,
    );
    expect(readUploadImageInputs(inputs({})).cacheControl).toBeUndefined();
    // Inputs are trimmed, as every input is: the spaces around a value never reach the header.
    expect(readUploadImageInputs(inputs({ 'cache-control': '  no-cache \n' })).cacheControl).toBe('no-cache');
  });

  // Strings of every kind, and strings made mostly of printable ASCII with a few characters that
  // are not, spaces at the ends, and lengths around the bound, so both answers come up often.
  const near = fc.constantFrom(' ', '\t', '\r', '\n', '\u0000', '\u001f', '\u007f', '\u0080', 'é', '\u2028', '😀', '\uD800');
  const printable = fc.integer({ min: 32, max: 126 }).map((n) => String.fromCharCode(n));
  const mostlyPrintable = fc.array(fc.oneof({ weight: 30, arbitrary: printable }, { weight: 1, arbitrary: near }), { maxLength: 40 }).map((a) => a.join(''));
  const aroundTheBound = fc.tuple(fc.integer({ min: MAX_HEADER_VALUE - 3, max: MAX_HEADER_VALUE + 3 }), printable, fc.option(near, { nil: undefined })).map(([n, c, odd]) => {
    const s = 'a'.repeat(n - 1) + c;
    return odd === undefined ? s : s.slice(0, n >> 1) + odd + s.slice((n >> 1) + 1);
  });
  const anyValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), mostlyPrintable, aroundTheBound);

  test('property: accepted values are exactly those the oracle accepts, kept as given; every refusal is a ConfigurationError that quotes the value and says what is allowed', async () => {
    let accepted = 0;
    let refused = 0;
    await checkProperty(
      'cache-control values against the oracle',
      fc.property(anyValue, (v) => {
        const r = outcome(parseCacheControl, v);
        if (oracleAccepts(v)) {
          accepted++;
          return r.ok && r.value === (v === '' ? undefined : v);
        }
        refused++;
        if (r.ok) return false;
        const message = (r.error as Error).message;
        return r.error instanceof ConfigurationError && message.startsWith(quote(v)) && message.includes('; allowed: printable ASCII');
      }),
      1000,
    );
    // Both answers must have come up often, or the property proves little.
    expect(accepted).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });

  test('property: a content-type the check accepts is one the oracle accepts (the check may be stricter, never laxer)', async () => {
    const mediaType = fc
      .tuple(fc.constantFrom('application', 'text', 'image'), fc.stringMatching(/^[a-z0-9.+-]{1,12}$/), fc.option(mostlyPrintable, { nil: undefined }))
      .map(([t, s, p]) => (p === undefined ? `${t}/${s}` : `${t}/${s}; ${p}`));
    await checkProperty(
      'content-type values against the oracle',
      fc.property(fc.oneof(anyValue, mediaType), (v) => {
        const r = outcome(parseContentType, v);
        if (!r.ok) return r.error instanceof ConfigurationError;
        return oracleAccepts(v) && r.value === (v === '' ? undefined : v);
      }),
      600,
    );
  });
});

describe('content-type', () => {
  test('empty (the default) means by name; a media type applies to every file; anything else is refused naming the input', () => {
    expect(readUploadImageInputs(inputs({})).contentType).toBeUndefined();
    expect(readUploadImageInputs(inputs({ 'content-type': 'application/x-qemu-disk' })).contentType).toBe('application/x-qemu-disk');
    expect(readUploadImageInputs(inputs({ 'content-type': 'text/plain; charset=utf-8' })).contentType).toBe('text/plain; charset=utf-8');
    expect(() => readUploadImageInputs(inputs({ 'content-type': 'qcow2' }))).toThrow(/^input "content-type": "qcow2" is not a media type such as application\/octet-stream$/);
    expect(() => readUploadImageInputs(inputs({ 'content-type': 'text/plain; charset=utf-8\rx' }))).toThrow(
      /^input "content-type": "text\/plain; charset=utf-8\\rx" holds a line break \(U\+000D\) at character 26; allowed: printable ASCII .* such as "application\/octet-stream"$/,
    );
  });

  test.each([
    ['fedora-42.qcow2', 'application/octet-stream'],
    ['rhel-9.raw', 'application/octet-stream'],
    ['disk.img', 'application/octet-stream'],
    ['fedora-42.qcow2.zst', 'application/octet-stream'],
    ['vmlinuz', 'application/octet-stream'],
    ['SHA256SUMS', 'application/octet-stream'],
    ['boot.iso', 'application/x-iso9660-image'],
    ['fedora.raw.xz', 'application/x-xz'],
    // A compressed image is served as what it is, never with Content-Encoding: a browser or curl would unpack it.
    ['fedora.raw.gz', 'application/gzip'],
    ['images/Notes.TXT', 'text/plain; charset=utf-8'],
    ['manifest.json', 'application/json; charset=utf-8'],
  ])('by name: %s is %s', (name, type) => {
    expect(contentTypeByName(name)).toBe(type);
  });
});

describe('an existing copy with other headers', () => {
  const head = (contentType?: string, cacheControl?: string) => ({ key: 'k', size: 1, metadata: {}, contentType, cacheControl });

  test('agrees when the headers are the same, up to case and white space', () => {
    expect(headerChanges(head('application/octet-stream'), { visibility: 'public', contentType: 'application/octet-stream' })).toBeUndefined();
    expect(headerChanges(head('Text/Plain;charset=UTF-8', 'public,max-age=60'), { visibility: 'public', contentType: 'text/plain; charset=utf-8', cacheControl: 'public, max-age=60' })).toBeUndefined();
    expect(headerChanges(head('application/octet-stream', ''), { visibility: 'public', contentType: 'application/octet-stream' })).toBeUndefined();
  });

  test('says which header differs, what it is and what was asked for', () => {
    expect(headerChanges(head('application/octet-stream'), { visibility: 'public', contentType: 'application/x-iso9660-image' })).toBe(
      'Content-Type is "application/octet-stream", not "application/x-iso9660-image"',
    );
    expect(headerChanges(head('application/octet-stream', 'max-age=60'), { visibility: 'public', contentType: 'application/octet-stream' })).toBe('Cache-Control is "max-age=60", not none');
    expect(headerChanges(head(undefined), { visibility: 'public', contentType: 'a/b', cacheControl: 'no-cache' })).toBe('Content-Type is none, not "a/b", Cache-Control is none, not "no-cache"');
  });
});
