import {
  atLeast,
  authorizeComment,
  DEFAULT_ARGUMENT_PATTERN,
  levelOf,
  MAX_COMMAND_LINE,
  parseArgumentPattern,
  parseCommand,
  RefusedError,
  type CommentPolicy,
  type PermissionAnswer,
  type PermissionLevel,
} from '../../src/logs/authorize';
import type { CommentEvent } from '../../src/logs/run-context';
import { ConfigurationError } from '../../src/config/configuration-error';

const event = (over: Partial<CommentEvent> = {}): CommentEvent => ({
  action: 'created',
  commentId: 42,
  body: '/image-refresh fedora-42',
  commenter: 'alice',
  association: 'CONTRIBUTOR',
  issueNumber: 7,
  isPullRequest: true,
  ...over,
});

const policy = (over: Partial<CommentPolicy> = {}): CommentPolicy => ({
  minPermission: 'write',
  allowlist: [],
  command: '/image-refresh',
  argumentPattern: parseArgumentPattern(DEFAULT_ARGUMENT_PATTERN),
  maxArguments: 16,
  ...over,
});

/** What the API would answer for each role. `role_name` is what GitHub sends today; `permission` folds maintain and triage. */
const ANSWERS: Record<PermissionLevel, PermissionAnswer | undefined> = {
  none: undefined,
  read: { permission: 'read', roleName: 'read' },
  triage: { permission: 'read', roleName: 'triage' },
  write: { permission: 'write', roleName: 'write' },
  maintain: { permission: 'write', roleName: 'maintain' },
  admin: { permission: 'admin', roleName: 'admin' },
};
const LEVELS = Object.keys(ANSWERS) as PermissionLevel[];

describe('issue_comment authorization', () => {
  describe('permission matrix: commenter role x min-permission', () => {
    const rows = LEVELS.flatMap((role) => LEVELS.filter((m) => m !== 'none').map((min) => [role, min] as const));
    test.each(rows)('%s commenter, min-permission %s', async (role, min) => {
      const lookups: string[] = [];
      const run = authorizeComment(event(), policy({ minPermission: min }), async (login) => {
        lookups.push(login);
        return ANSWERS[role];
      });
      if (LEVELS.indexOf(role) >= LEVELS.indexOf(min)) {
        await expect(run).resolves.toEqual({ commenter: 'alice', via: 'permission', level: role, command: '/image-refresh', arguments: ['fedora-42'] });
      } else {
        await expect(run).rejects.toThrow(new RegExp(`refused: @alice \\(comment 42 on #7\\) has ${role} permission on the repository; at least ${min} is required`));
      }
      expect(lookups).toEqual(['alice']);
    });
  });

  test('author_association is shown, never trusted: an OWNER association with no permission is refused', async () => {
    const run = authorizeComment(event({ association: 'OWNER' }), policy(), async () => undefined);
    await expect(run).rejects.toThrow(/has none permission.*author_association OWNER is not a permission\. Nothing was written/);
    await expect(run).rejects.toBeInstanceOf(RefusedError);
    await expect(run).rejects.toBeInstanceOf(ConfigurationError);
  });

  test('the allowlist grants without asking the API, case-insensitively', async () => {
    const lookup = jest.fn();
    await expect(authorizeComment(event({ commenter: 'Cockpit-Bot' }), policy({ allowlist: ['cockpit-bot'] }), lookup)).resolves.toMatchObject({ via: 'allowlist' });
    expect(lookup).not.toHaveBeenCalled();
  });

  test.each(['edited', 'deleted', ''])('a comment that was %s is refused before anyone is asked', async (action) => {
    const lookup = jest.fn();
    await expect(authorizeComment(event({ action }), policy({ allowlist: ['alice'] }), lookup)).rejects.toThrow(
      /refused: comment 42 on #7 by @alice was \S+, not created; only a newly created comment may start a publish/,
    );
    expect(lookup).not.toHaveBeenCalled();
  });

  test('when the API cannot be asked, the comment is refused, naming who and why', async () => {
    const run = authorizeComment(event(), policy(), async () => {
      throw new Error('GET /repos/o/r/collaborators/alice/permission: HTTP 403 Resource not accessible by integration');
    });
    await expect(run).rejects.toThrow(/refused: could not ask the API for the permission of @alice \(comment 42 on #7\): .*HTTP 403/);
  });

  test.each([
    ['/image-refresh fedora-42 rhel-9.6 centos_10', ['fedora-42', 'rhel-9.6', 'centos_10']],
    ['/image-refresh', []],
    ['\n  /image-refresh   fedora-42  \nsecond line is ignored; rm -rf /', ['fedora-42']],
  ])('arguments of %j are validated and returned', async (body, args) => {
    await expect(authorizeComment(event({ body }), policy(), async () => ANSWERS.write)).resolves.toMatchObject({ arguments: args });
  });

  test.each([
    ['/image-refresh fedora;rm', /argument 1 "fedora;rm" of comment 42 on #7 by @alice is not allowed; allowed: arguments matching \^\[a-z0-9\]/],
    ['/image-refresh ok ../../etc', /argument 2 "..\/..\/etc"/],
    ['/image-refresh $(id)', /argument 1 "\$\(id\)"/],
    ['/image-refresh Fedora', /argument 1 "Fedora"/],
    ['/image-refresh -rf', /argument 1 "-rf"/],
    ['/image-refresh .hidden', /argument 1 ".hidden"/],
    // An argument shown in a refusal is cut short, with its length: comment text is untrusted.
    [`/image-refresh ${'a'.repeat(65)}`, /argument 1 "a{40}"\.\.\. \(65 characters\) of comment/],
    ['/image-refresh `x`', /argument 1 "`x`"/],
    ['/image-refresh fedora-42\u200b', /refused: comment 42 on #7 by @alice: its first line holds U\+200B at character 25; only visible characters, spaces and tabs are allowed there\. Nothing was written/],
    ['/other-command fedora-42', /is the command "\/other-command", not "\/image-refresh"/],
    ['please /image-refresh fedora-42', /does not start with a \/command/],
    ['', /does not start with a \/command/],
  ])('%j is refused', async (body, message) => {
    await expect(authorizeComment(event({ body }), policy(), async () => ANSWERS.admin)).rejects.toThrow(message);
  });

  describe('the command line is read as written, never cut or repaired', () => {
    const grant = (body: string, over: Partial<CommentPolicy> = {}) => authorizeComment(event({ body }), policy(over), async () => ANSWERS.write);

    test('an over-long first line is refused whole, naming the limit and the length, not echoing it', async () => {
      // Cut at 1,000 characters, the last argument used to become `fedora-raw`, and was granted.
      const body = `/image-refresh ${`${'x'.repeat(64)} `.repeat(15)}fedora-rawhide`;
      expect(body.length).toBe(1004);
      expect(body.slice(0, MAX_COMMAND_LINE).endsWith(' fedora-raw')).toBe(true);
      const run = grant(body);
      await expect(run).rejects.toThrow(
        /^refused: comment 42 on #7 by @alice: its first line is 1,004 characters long; at most 1,000 are allowed\. Nothing was written$/,
      );
      await expect(run).rejects.toBeInstanceOf(RefusedError);
      // The same line one argument shorter is granted whole.
      await expect(grant(body.slice(0, 989))).resolves.toMatchObject({ arguments: [...Array<string>(15).fill('x'.repeat(64))] });
    });

    test('characters are counted as a reader counts them, not in UTF-16 units', async () => {
      const body = `/image-refresh ${'😀'.repeat(MAX_COMMAND_LINE - 15)}`;
      expect(body.length).toBeGreaterThan(MAX_COMMAND_LINE);
      await expect(grant(body, { argumentPattern: parseArgumentPattern('.+') })).resolves.toMatchObject({ arguments: ['😀'.repeat(MAX_COMMAND_LINE - 15)] });
      await expect(grant(`${body}😀`)).rejects.toThrow(/its first line is 1,001 characters long/);
    });

    test.each([
      ['a lone CR', '/image-refresh fedora-42\rrhel-9 centos-10'],
      ['CRLF', '/image-refresh fedora-42\r\nrhel-9'],
      ['LF', '/image-refresh fedora-42\nrhel-9'],
    ])('a line ends at %s: nothing from the next line becomes an argument', async (_, body) => {
      await expect(grant(body)).resolves.toMatchObject({ arguments: ['fedora-42'] });
    });

    test('tabs and runs of spaces separate words', async () => {
      await expect(grant(' \t /image-refresh\tfedora-42  \t rhel-9\t')).resolves.toMatchObject({ command: '/image-refresh', arguments: ['fedora-42', 'rhel-9'] });
    });

    test.each([
      ['NUL', '/image-refresh fedora\u000042', 'U+0000', 22],
      ['a no-break space', '/image-refresh fedora-42\u00a0rhel-9', 'U+00A0', 25],
      ['an ideographic space', '/image-refresh\u3000fedora-42', 'U+3000', 15],
      ['a line separator', '/image-refresh fedora-42\u2028rhel-9', 'U+2028', 25],
      ['a paragraph separator', '/image-refresh fedora-42\u2029', 'U+2029', 25],
      ['a zero-width space', '/image-refresh fe\u200bdora', 'U+200B', 18],
      ['a zero-width joiner in the command', '/image\u200d-refresh fedora', 'U+200D', 7],
      ['a right-to-left override', '/image-refresh \u202efedora', 'U+202E', 16],
      ['a byte order mark', '/image-refresh fedora\ufeff', 'U+FEFF', 22],
      ['a vertical tab', '/image-refresh fedora\u000b42', 'U+000B', 22],
      ['a form feed', '/image-refresh fedora\f42', 'U+000C', 22],
      ['NEL', '/image-refresh fedora\u008542', 'U+0085', 22],
      ['a lone surrogate', '/image-refresh fedora\ud800', 'U+D800', 22],
    ])('%s in the first line is refused, even when the argument pattern would take it', async (_, body, code, at) => {
      const message = new RegExp(`^refused: comment 42 on #7 by @alice: its first line holds ${code.replace('+', '\\+')} at character ${at}; only visible characters, spaces and tabs are allowed there\\. Nothing was written$`);
      await expect(grant(body, { argumentPattern: parseArgumentPattern('[\\s\\S]+') })).rejects.toThrow(message);
    });

    test.each([
      ['Cyrillic i', '/\u0456mage-refresh fedora'],
      ['Cyrillic a', '/im\u0430ge-refresh fedora'],
      ['fullwidth solidus and letters', '/\uff49mage-refresh fedora'],
      ['a slash only', '/ fedora'],
      ['punctuation', '/image-refresh! fedora'],
    ])('a command word with %s is refused, with or without a command input', async (_, body) => {
      for (const command of [undefined, '/image-refresh']) {
        await expect(grant(body, { command })).rejects.toThrow(/^refused: comment 42 on #7 by @alice: its command ".*" is not a slash and an ASCII word \(letters, digits, "\.", "_", "-"\)\. Nothing was written$/);
      }
    });

    test('very many arguments: refused by count, or as an over-long line, never cut to fit', async () => {
      await expect(grant(`/image-refresh ${Array(492).fill('a').join(' ')}`)).rejects.toThrow(/gives 492 arguments; at most 16 are allowed/);
      await expect(grant(`/image-refresh ${Array(600).fill('a').join(' ')}`)).rejects.toThrow(/its first line is 1,214 characters long/);
    });

    test('a long word in a refusal is cut short and escaped', async () => {
      const run = grant(`/image-refresh ${'<b>'.repeat(100)}`);
      await expect(run).rejects.toThrow(/argument 1 "(<b>){13}<"\.\.\. \(300 characters\) of comment 42/);
    });
  });

  test('too many arguments are refused', async () => {
    const body = `/image-refresh ${Array.from({ length: 17 }, (_, i) => `a${i}`).join(' ')}`;
    await expect(authorizeComment(event({ body }), policy(), async () => ANSWERS.admin)).rejects.toThrow(/gives 17 arguments; at most 16/);
  });

  test('permission is checked before arguments: an outsider learns nothing about the validation', async () => {
    await expect(authorizeComment(event({ body: '/image-refresh ;bad' }), policy(), async () => ANSWERS.read)).rejects.toThrow(/has read permission/);
  });

  test('without a command input, any /word is the command', async () => {
    await expect(authorizeComment(event({ body: '/test fedora' }), policy({ command: undefined }), async () => ANSWERS.write)).resolves.toMatchObject({ command: '/test', arguments: ['fedora'] });
  });

  test('custom roles fall back on the base permission; unknown answers are none', () => {
    expect(levelOf({ permission: 'write', roleName: 'ci-runner' })).toBe('write');
    expect(levelOf({ permission: 'read' })).toBe('read');
    expect(levelOf({ permission: 'weird' })).toBe('none');
    expect(levelOf(undefined)).toBe('none');
    expect(atLeast('maintain', 'write')).toBe(true);
    expect(atLeast('triage', 'write')).toBe(false);
  });

  test('argument patterns are anchored whole, and a bad one is named', () => {
    const p = parseArgumentPattern('[a-z]+|[0-9]+');
    expect(p.regexp.test('abc')).toBe(true);
    expect(p.regexp.test('abc123')).toBe(false);
    expect(() => parseArgumentPattern('([a-z]')).toThrow(/"\(\[a-z\]" is not a regular expression/);
  });

  test('parseCommand reads the first non-empty line only, and only a /command', () => {
    expect(parseCommand('/a b c')).toEqual({ command: '/a', arguments: ['b', 'c'] });
    expect(parseCommand('hello /a')).toBeUndefined();
    expect(parseCommand('   \n\n')).toBeUndefined();
  });
});
