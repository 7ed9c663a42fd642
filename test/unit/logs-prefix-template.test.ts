import { formatTimestamp, parsePrefixTemplate, renderPrefix, safeValue, type PrefixValues } from '../../src/logs/prefix-template';

const values: PrefixValues = {
  repo: 'cockpit-project/cockpit',
  pr: '19837',
  sha: '5d9b4ff2c0ffee00000000000000000000000000',
  'short-sha': '5d9b4ff2',
  'run-id': '123456789',
  'run-attempt': '2',
  job: 'tests',
  timestamp: '20240119-095207',
  context: 'fedora-42',
};

describe('prefix templates', () => {
  test('every placeholder renders; the prefix ends with one "/"', () => {
    const t = parsePrefixTemplate('{repo}/pull-{pr}-{timestamp}-{short-sha}-{context}/{run-id}.{run-attempt}/{job}/{sha}');
    expect(renderPrefix(t, values)).toBe(
      'cockpit-project-cockpit/pull-19837-20240119-095207-5d9b4ff2-fedora-42/123456789.2/tests/5d9b4ff2c0ffee00000000000000000000000000/',
    );
  });

  test('a trailing "/" in the template is tolerated', () => {
    expect(renderPrefix(parsePrefixTemplate('logs/{job}/'), values)).toBe('logs/tests/');
  });

  test('an unknown placeholder is named, with what is allowed', () => {
    expect(() => parsePrefixTemplate('{repo}/{branch}')).toThrow(/unknown placeholder \{branch\} in "\{repo\}\/\{branch\}"; allowed: \{repo\}, \{pr\}, .*\{context\}/);
    expect(() => parsePrefixTemplate('{Repo}')).toThrow(/unknown placeholder \{Repo\}/);
  });

  test('stray braces, an empty template and whitespace in the literal text are refused', () => {
    expect(() => parsePrefixTemplate('{repo')).toThrow(/unbalanced braces/);
    expect(() => parsePrefixTemplate('repo}')).toThrow(/unbalanced braces/);
    expect(() => parsePrefixTemplate('  ')).toThrow(/empty prefix template/);
    expect(() => parsePrefixTemplate('my logs/{job}')).toThrow(/holds whitespace/);
  });

  test('unsafe characters in values become "-", as Cockpit does: a value never adds a segment', () => {
    expect(safeValue('owner/repo')).toBe('owner-repo');
    expect(safeValue('user@host:22')).toBe('user-host-22');
    expect(safeValue('fedora 42\tx\ny')).toBe('fedora-42-x-y');
    expect(safeValue('a\\b\u0000c\u007f')).toBe('a-b-c-');
    expect(safeValue('ünïcode+%#')).toBe('ünïcode+%#');
    const t = parsePrefixTemplate('{context}');
    expect(renderPrefix(t, { ...values, context: '../../other-run' })).toBe('..-..-other-run/');
  });

  test('an empty, "." or ".." segment is refused, naming the placeholder that made it', () => {
    expect(() => renderPrefix(parsePrefixTemplate('{repo}/{context}'), { ...values, context: '..' })).toThrow(/yields a "\.\." path segment: \{context\} is "\.\."/);
    expect(() => renderPrefix(parsePrefixTemplate('{repo}/{context}'), { ...values, context: '.' })).toThrow(/"\." path segment/);
    expect(() => renderPrefix(parsePrefixTemplate('/{repo}'), values)).toThrow(/empty segment \(a leading "\/" or "\/\/"\)/);
    expect(() => renderPrefix(parsePrefixTemplate('a//{repo}'), values)).toThrow(/empty segment/);
    expect(() => renderPrefix(parsePrefixTemplate('a/./b'), values)).toThrow(/"\." path segment/);
  });

  test('a placeholder without a value is refused, alone or inside a longer segment, naming it, the event and where its value comes from', () => {
    expect(() => renderPrefix(parsePrefixTemplate('{repo}/{pr}'), { ...values, pr: '' }, 'push')).toThrow(
      /^\{pr\} has no value on a push event, so "\{repo\}\/\{pr\}" cannot make a prefix that is the run's own\. \{pr\} is the pull request number, which only pull_request, .*: use \{sha\} or \{run-id\}, or set prefix for this event$/,
    );
    // Before: "pull--tests/", a prefix every push shares.
    expect(() => renderPrefix(parsePrefixTemplate('pull-{pr}-{job}'), { ...values, pr: '' }, 'push')).toThrow(/^\{pr\} has no value on a push event/);
    expect(() => renderPrefix(parsePrefixTemplate('{repo}/{run-id}-{context}'), { ...values, repo: '', context: '' }, '')).toThrow(
      /^\{repo\}, \{context\} have no value outside a workflow run \(GITHUB_EVENT_NAME is not set\), .*\{repo\} is GITHUB_REPOSITORY, set by the runner in every workflow run: write the name into prefix; \{context\} is the context input, else the arguments of the triggering comment: set the context input/,
    );
    expect(() => renderPrefix(parsePrefixTemplate('{job}'), { ...values, job: '' }, 'issue_comment')).toThrow(/^\{job\} has no value on an issue_comment event/);
    expect(() => renderPrefix(parsePrefixTemplate('{job}'), { ...values, job: '' })).toThrow(/^\{job\} has no value in this run/);
  });

  test('a prefix longer than 512 bytes is refused', () => {
    expect(() => renderPrefix(parsePrefixTemplate('{context}'), { ...values, context: 'x'.repeat(600) })).toThrow(/longer than 512 bytes/);
  });

  test('timestamps are UTC, sortable, and free of ":"', () => {
    expect(formatTimestamp(new Date('2024-01-19T09:52:07.123Z'))).toBe('20240119-095207');
  });
});
