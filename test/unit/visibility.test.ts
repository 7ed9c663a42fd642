import { ConfigurationError } from '../../src/config/configuration-error';
import { globToRegExp } from '../../src/acl/glob';
import { DEFAULT_RULES_TEXT, decideVisibility, parseVisibilityRules } from '../../src/acl/visibility';

describe('globs', () => {
  test.each([
    ['rhel*', 'rhel-9.qcow2', true],
    ['rhel*', 'x/rhel-9', false],
    ['**/*.gz', 'a/b/c.gz', true],
    ['**/*.gz', 'c.gz', true],
    ['images/**', 'images/a/b', true],
    ['?.txt', 'a.txt', true],
    ['?.txt', 'ab.txt', false],
    ['[ab]*', 'b1', true],
    ['[!ab]*', 'b1', false],
    ['a.b', 'axb', false],
    ['a+(b)', 'a+(b)', true],
  ])('%s vs %s -> %s', (glob, key, expected) => {
    expect(globToRegExp(glob).test(key)).toBe(expected);
  });

  test.each(['', '[abc', 'a]'])('malformed glob %p is refused', (g) => {
    expect(() => globToRegExp(g)).toThrow(ConfigurationError);
  });
});

describe('visibility rules', () => {
  const rules = parseVisibilityRules(DEFAULT_RULES_TEXT);

  test("Cockpit's default: rhel images private, everything else public", () => {
    expect(decideVisibility(rules, 'rhel-9-4-abc.qcow2').visibility).toBe('private');
    expect(decideVisibility(rules, 'fedora-42.qcow2').visibility).toBe('public');
    expect(decideVisibility(rules, 'images/rhel-8.qcow2').visibility).toBe('private');
  });

  test('matching is case-insensitive, so RHEL-9 cannot slip through as public', () => {
    expect(decideVisibility(rules, 'RHEL-9.qcow2').visibility).toBe('private');
    expect(decideVisibility(rules, 'Rhel-9.qcow2').visibility).toBe('private');
  });

  test('first match wins, and unmatched names fail closed', () => {
    const r = parseVisibilityRules('# images\nrhel-public-* public\nrhel* private\n*.qcow2 public\n');
    expect(decideVisibility(r, 'rhel-public-1.qcow2')).toMatchObject({ visibility: 'public', rule: { line: 2 } });
    expect(decideVisibility(r, 'rhel-9.qcow2')).toMatchObject({ visibility: 'private', rule: { line: 3 } });
    expect(decideVisibility(r, 'notes.txt')).toEqual({ visibility: 'private' });
    expect(decideVisibility(r, 'dir/')).toEqual({ visibility: 'private' });
  });

  test('globs with a slash match the whole key', () => {
    const r = parseVisibilityRules('private/** private\n* public');
    expect(decideVisibility(r, 'private/a.qcow2').visibility).toBe('private');
    expect(decideVisibility(r, 'a.qcow2').visibility).toBe('public');
  });

  test.each([
    ['rhel*', /rule 1 "rhel\*" is not "GLOB public" or "GLOB private"/],
    ['* hidden', /rule 1 "\* hidden"/],
    ['* public\n[x private', /rule 2: glob "\[x" has a '\[' without its '\]'/],
    ['# only a comment', /no rules given/],
  ])('bad rules %p are refused', (text, message) => {
    expect(() => parseVisibilityRules(text)).toThrow(message);
  });
});
