import { ConfigurationError } from '../../src/config/configuration-error';
import { globToRegExp } from '../../src/acl/glob';
import { DEFAULT_RULES_TEXT, decideObjectVisibility, decideVisibility, describeDecision, parseVisibilityRules } from '../../src/acl/visibility';

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

  test.each([
    // One character is one code point: an emoji or a CJK extension ideograph is one `?`.
    ['?', '😀', true],
    ['rhel-?.qcow2', 'rhel-𠀀.qcow2', true],
    ['[😀x]', '😀', true],
    ['[!a]', '😀', true],
    // Line breaks and control characters are characters like any other.
    ['rhel*', 'rhel-9\n.qcow2', true],
    ['rhel*', 'rhel\r\u2028\u2029\u0000\u007f', true],
    ['a?b', 'a\nb', true],
    ['**', 'a\nb/c\u2028', true],
    // A class stands for one character of a segment, as `?` does: never a '/'.
    ['a[!x]b', 'a/b', false],
    ['a[^x]b', 'a/b', false],
    ['a-{b},c', 'a-{b},c', true],
  ])('%p vs %p -> %p (code points, line breaks)', (glob, key, expected) => {
    expect(globToRegExp(glob).test(key)).toBe(expected);
  });

  test.each(['', '[abc', 'a]', '[z-a]'])('malformed glob %p is refused', (g) => {
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

describe('visibility follows the image: file name, key and the key\'s folders (fail closed)', () => {
  const rules = parseVisibilityRules(DEFAULT_RULES_TEXT);

  test.each([
    // [key, file name, visibility, decided by]
    ['images/0f3a.qcow2', 'rhel-9.6-x86_64.qcow2', 'private', 'name'],
    ['0f3a', 'rhel-9.6-x86_64.qcow2', 'private', 'name'],
    ['rhel-9.6-x86_64/disk.qcow2', 'rhel-9.6-x86_64.qcow2', 'private', 'both'],
    ['rhel-9.qcow2', 'fedora.qcow2', 'private', 'key'],
    ['images/fedora.qcow2', 'fedora.qcow2', 'public', 'both'],
  ])('key %p from file %p is %s, decided by the %s', (key, name, visibility, decidedBy) => {
    expect(decideObjectVisibility(rules, key, name)).toMatchObject({ visibility, decidedBy });
  });

  test('a folder of the key counts: mirror and audit, which see only keys, keep {stem}/disk.qcow2 private', () => {
    expect(decideVisibility(rules, 'rhel-9.6-x86_64/disk.qcow2')).toMatchObject({ visibility: 'private', rule: { line: 1 } });
    expect(decideVisibility(rules, 'images/rhel-8/x/disk.qcow2').visibility).toBe('private');
    expect(decideVisibility(rules, 'images/fedora/disk.qcow2').visibility).toBe('public');
    // A folder escapes only through a rule for its own name, before the private one.
    expect(decideVisibility(parseVisibilityRules('rhel-docs public\nrhel* private\n* public'), 'rhel-docs/readme.txt').visibility).toBe('public');
  });

  test('the name wins over a whole-key public rule written first: either saying private is enough', () => {
    const r = parseVisibilityRules('images/** public\nrhel* private\n* public');
    expect(decideObjectVisibility(r, 'images/0f3a.qcow2', 'fedora.qcow2')).toMatchObject({ visibility: 'public', decidedBy: 'both' });
    expect(decideObjectVisibility(r, 'images/0f3a.qcow2', 'rhel-9.qcow2')).toMatchObject({ visibility: 'private', decidedBy: 'name', rule: { line: 2 } });
  });

  test('a key no rule matches stays private whatever the name says; a name no rule matches says nothing', () => {
    const r = parseVisibilityRules('*.qcow2 public');
    expect(decideObjectVisibility(r, 'images/0f3a', 'fedora.qcow2')).toMatchObject({ visibility: 'private', decidedBy: 'default' });
    expect(decideObjectVisibility(r, 'images/fedora.qcow2', 'notes.txt')).toMatchObject({ visibility: 'public', decidedBy: 'key' });
  });

  test('the decision in words names what matched, and the rule', () => {
    expect(describeDecision(decideObjectVisibility(rules, 'images/0f3a.qcow2', 'rhel-9.6-x86_64.qcow2'))).toBe(
      'private: file name "rhel-9.6-x86_64.qcow2" matches rhel* private (rule 1)',
    );
    expect(describeDecision(decideObjectVisibility(rules, 'rhel-9.6-x86_64/disk.qcow2', 'rhel-9.6-x86_64.qcow2'))).toBe(
      'private: key folder "rhel-9.6-x86_64" matches rhel* private (rule 1); file name "rhel-9.6-x86_64.qcow2" matches rhel* private (rule 1)',
    );
    expect(describeDecision(decideObjectVisibility(rules, 'images/fedora.qcow2', 'fedora.qcow2'))).toBe(
      'public: key "images/fedora.qcow2" matches * public (rule 2); file name "fedora.qcow2" matches * public (rule 2)',
    );
    expect(describeDecision(decideObjectVisibility(parseVisibilityRules('*.qcow2 public'), 'x.iso'))).toBe('private: no rule matches the key');
  });

  describe('Unicode', () => {
    test('NFC and NFD spellings decide alike, whichever form the rule or the name is written in', () => {
      const nfcRule = parseVisibilityRules('caf\u00e9* private\n* public');
      const nfdRule = parseVisibilityRules('cafe\u0301* private\n* public');
      for (const r of [nfcRule, nfdRule]) {
        expect(decideVisibility(r, 'caf\u00e9-1.txt').visibility).toBe('private');
        expect(decideVisibility(r, 'cafe\u0301-1.txt').visibility).toBe('private');
        expect(decideVisibility(r, 'cafe-1.txt').visibility).toBe('public');
      }
    });

    test('case folds as Unicode simple folding: RHEL, Rhel, the Kelvin sign; ı, İ and ß stay themselves', () => {
      for (const name of ['RHEL-9.qcow2', 'Rhel-9.qcow2', 'rHeL-9.qcow2']) expect(decideVisibility(rules, name).visibility).toBe('private');
      expect(decideVisibility(parseVisibilityRules('k* private\n* public'), '\u212a-1').visibility).toBe('private');
      expect(decideVisibility(parseVisibilityRules('s* private\n* public'), '\u017f-1').visibility).toBe('private');
      const i = parseVisibilityRules('i* private\nss* private\n* public');
      expect(decideVisibility(i, '\u0131-1').visibility).toBe('public');
      expect(decideVisibility(i, '\u0130-1').visibility).toBe('public');
      expect(decideVisibility(i, '\u00df-1').visibility).toBe('public');
    });

    test('a compatibility form (full-width, ligature) that matches a private rule makes it private, and says so', () => {
      const d = decideObjectVisibility(rules, 'images/0f3a.qcow2', '\uff52\uff48\uff45\uff4c-9.qcow2');
      expect(d).toMatchObject({ visibility: 'private', decidedBy: 'name' });
      expect(describeDecision(d)).toBe('private: file name "\uff52\uff48\uff45\uff4c-9.qcow2" (as "rhel-9.qcow2") matches rhel* private (rule 1)');
      // ...but it never makes anything public: only the name as written (in NFC) can.
      const r = parseVisibilityRules('rhel* public');
      expect(decideVisibility(r, '\uff52\uff48\uff45\uff4c-9').visibility).toBe('private');
    });
  });
});
