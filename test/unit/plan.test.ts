import { ConfigurationError } from '../../src/config/configuration-error';
import { sha256FromName } from '../../src/storage/content-address';
import { GIB, MIB, parseSize } from '../../src/config/size';
import { parseRequirement, requiredCount } from '../../src/config/requirement';
import { choosePartSize, parseKeyTemplate, renderKey } from '../../src/upload/plan';

const SHA = 'a'.repeat(64);

describe('key templates', () => {
  test('placeholders', () => {
    const t = parseKeyTemplate('images/{stem}-{sha256}{ext}');
    expect(t.usesSha256).toBe(true);
    expect(renderKey(t, 'fedora-42.qcow2', SHA)).toBe(`images/fedora-42-${SHA}.qcow2`);
    expect(renderKey(parseKeyTemplate('{name}'), 'noext')).toBe('noext');
  });
  test.each([
    ['{nme}', /unknown placeholder \{nme\} in "\{nme\}"; allowed: \{name\}, \{stem\}, \{ext\}, \{sha256\}/],
    ['', /empty key template/],
    ['a{name', /unbalanced braces/],
  ])('bad template %p', (text, message) => {
    expect(() => parseKeyTemplate(text)).toThrow(message);
  });
  test.each(['/{name}', '../{name}', 'a//{name}', './{name}'])('unsafe key from %p is refused', (text) => {
    expect(() => renderKey(parseKeyTemplate(text), 'f.qcow2')).toThrow(ConfigurationError);
  });
});

describe('content-addressed names', () => {
  test('a 64-hex run is the promised sha256', () => {
    expect(sha256FromName(`fedora-42-${SHA.toUpperCase()}.qcow2`)).toBe(SHA);
    expect(sha256FromName('fedora-42.qcow2')).toBeUndefined();
    expect(sha256FromName(`x-${'a'.repeat(65)}`)).toBeUndefined();
    expect(sha256FromName(`${SHA}/plain`)).toBeUndefined();
  });
  test('two different ones are ambiguous', () => {
    expect(() => sha256FromName(`${SHA}-${'b'.repeat(64)}`)).toThrow(/ambiguous/);
  });
});

describe('part sizes', () => {
  test('small files go in one PUT', () => {
    expect(choosePartSize(32 * MIB, 32 * MIB)).toBeUndefined();
  });
  test('large files split at the requested size', () => {
    expect(choosePartSize(2 * GIB, 32 * MIB)).toEqual({ partSize: 32 * MIB, parts: 64 });
  });
  test('the part size grows so no file needs more than 10,000 parts', () => {
    const r = choosePartSize(1024 * GIB, 8 * MIB)!;
    expect(r.parts).toBeLessThanOrEqual(10_000);
    expect(r.partSize % MIB).toBe(0);
  });
  test('sizes parse with units', () => {
    expect(parseSize('64MiB')).toBe(64 * MIB);
    expect(parseSize('1 GiB')).toBe(GIB);
    expect(parseSize('5242880')).toBe(5 * MIB);
    expect(() => parseSize('lots')).toThrow(/"lots" is not a size/);
  });
});

describe('require', () => {
  test.each([
    ['all', 3, 3],
    ['any', 3, 1],
    ['2', 3, 2],
  ])('%s of %d stores needs %d', (text, stores, needed) => {
    expect(requiredCount(parseRequirement(text, stores), stores)).toBe(needed);
  });
  test.each(['0', '4', 'most', '-1'])('%p is refused', (text) => {
    expect(() => parseRequirement(text, 3)).toThrow(/allowed: all, any, or a number from 1 to 3/);
  });
});
