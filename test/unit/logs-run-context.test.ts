import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { contextFrom, readRunContext } from '../../src/logs/run-context';

const env = {
  GITHUB_REPOSITORY: 'cockpit-project/bots',
  GITHUB_SHA: 'a'.repeat(40),
  GITHUB_RUN_ID: '99',
  GITHUB_RUN_ATTEMPT: '3',
  GITHUB_JOB: 'refresh',
  GITHUB_SERVER_URL: 'https://ghes.example.com/',
  GITHUB_API_URL: 'https://ghes.example.com/api/v3',
};

describe('run context', () => {
  test('a pull_request event: the PR number and its head commit', () => {
    const c = contextFrom(env, 'pull_request', { pull_request: { number: 12, head: { sha: 'b'.repeat(40) } } });
    expect(c).toMatchObject({ owner: 'cockpit-project', repo: 'bots', pr: 12, issueNumber: 12, pullHeadSha: 'b'.repeat(40), runAttempt: '3', job: 'refresh' });
    expect(c.apiUrl).toBe('https://ghes.example.com/api/v3');
    expect(c.runUrl).toBe('https://ghes.example.com/cockpit-project/bots/actions/runs/99/attempts/3');
    expect(c.comment).toBeUndefined();
  });

  test('an issue_comment on a pull request and on a plain issue', () => {
    const payload = (pull: boolean) => ({
      action: 'created',
      issue: { number: 5, ...(pull ? { pull_request: { url: 'x' } } : {}) },
      comment: { id: 77, body: '/image-refresh fedora-42', user: { login: 'alice', type: 'User' }, author_association: 'MEMBER' },
    });
    expect(contextFrom(env, 'issue_comment', payload(true))).toMatchObject({
      pr: 5,
      issueNumber: 5,
      comment: { action: 'created', commentId: 77, commenter: 'alice', association: 'MEMBER', issueNumber: 5, isPullRequest: true },
    });
    const onIssue = contextFrom(env, 'issue_comment', payload(false));
    expect(onIssue.pr).toBeUndefined();
    expect(onIssue.issueNumber).toBe(5);
    expect(onIssue.comment?.isPullRequest).toBe(false);
  });

  test('an issue_comment payload without a commenter is refused', () => {
    expect(() => contextFrom(env, 'issue_comment', { action: 'created', issue: { number: 1 }, comment: { id: 1 } })).toThrow(/names no comment id, commenter or issue/);
  });

  test('outside a workflow everything is empty, and defaults point at github.com', () => {
    const c = readRunContext({});
    expect(c).toMatchObject({ repository: '', owner: '', repo: '', sha: '', runId: '', apiUrl: 'https://api.github.com', serverUrl: 'https://github.com' });
    expect(c.runUrl).toBeUndefined();
  });

  test('the event file is read from GITHUB_EVENT_PATH; a broken one is an error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'event-'));
    const file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify({ pull_request: { number: 3, head: { sha: 'c'.repeat(40) } } }));
    expect(readRunContext({ ...env, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: file }).pr).toBe(3);
    fs.writeFileSync(file, '{not json');
    expect(() => readRunContext({ ...env, GITHUB_EVENT_PATH: file })).toThrow(/GITHUB_EVENT_PATH ".*event.json" is not a readable JSON event/);
  });
});
