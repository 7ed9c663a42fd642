import {
  atLeast,
  authorizeComment,
  DEFAULT_ARGUMENT_PATTERN,
  levelOf,
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
    [`/image-refresh ${'a'.repeat(65)}`, /argument 1 "a{65}"/],
    ['/image-refresh `x`', /argument 1 "`x`"/],
    ['/image-refresh fedora-42\u200b', /argument 1/],
    ['/other-command fedora-42', /is the command "\/other-command", not "\/image-refresh"/],
    ['please /image-refresh fedora-42', /does not start with a \/command/],
    ['', /does not start with a \/command/],
  ])('%j is refused', async (body, message) => {
    await expect(authorizeComment(event({ body }), policy(), async () => ANSWERS.admin)).rejects.toThrow(message);
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
