/**
 * Which placeholders have a value on which event, through the real path: the runner's environment
 * and event payload read by `contextFrom`, the values built by `prefixValues`, the template rendered
 * by `renderPrefix`. A placeholder without a value is an error naming it, the event and where its
 * value comes from, never an empty stretch of the prefix (`pull--...`).
 */
import fc from 'fast-check';
import { DEFAULT_PREFIX } from '../../src/actions/upload-logs/inputs';
import { describeEvent, parsePrefixTemplate, PLACEHOLDER_SOURCES, PREFIX_PLACEHOLDERS, prefixValues, renderPrefix, type PrefixPlaceholder } from '../../src/logs/prefix-template';
import { contextFrom } from '../../src/logs/run-context';
import { checkProperty } from '../helpers/property';

const GITHUB_SHA = 'a1'.repeat(20);
const HEAD_SHA = 'b2'.repeat(20);
const RUNNER_ENV = { GITHUB_REPOSITORY: 'cockpit-project/cockpit', GITHUB_SHA, GITHUB_RUN_ID: '123456', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'tests' };
const PULL = { number: 19837, head: { sha: HEAD_SHA } };
const COMMENT = { id: 42, body: '/test fedora-42', user: { login: 'maintainer' } };

interface EventCase {
  readonly label: string;
  readonly event: string;
  readonly env: NodeJS.ProcessEnv;
  readonly payload: Record<string, unknown>;
  /** Placeholders with a value, apart from {context} (the context input's) and {timestamp} (always). */
  readonly has: readonly PrefixPlaceholder[];
}

const RUNNER: PrefixPlaceholder[] = ['repo', 'sha', 'short-sha', 'run-id', 'run-attempt', 'job'];
const EVENTS: readonly EventCase[] = [
  { label: 'push', event: 'push', env: RUNNER_ENV, payload: { ref: 'refs/heads/main', after: GITHUB_SHA }, has: RUNNER },
  { label: 'pull_request', event: 'pull_request', env: RUNNER_ENV, payload: { action: 'opened', number: PULL.number, pull_request: PULL }, has: [...RUNNER, 'pr'] },
  { label: 'pull_request_target', event: 'pull_request_target', env: RUNNER_ENV, payload: { action: 'synchronize', number: PULL.number, pull_request: PULL }, has: [...RUNNER, 'pr'] },
  { label: 'pull_request_review', event: 'pull_request_review', env: RUNNER_ENV, payload: { action: 'submitted', pull_request: PULL, review: { id: 1 } }, has: [...RUNNER, 'pr'] },
  { label: 'pull_request_review_comment', event: 'pull_request_review_comment', env: RUNNER_ENV, payload: { action: 'created', pull_request: PULL, comment: { id: 2 } }, has: [...RUNNER, 'pr'] },
  {
    label: 'issue_comment on a pull request',
    event: 'issue_comment',
    env: RUNNER_ENV,
    payload: { action: 'created', issue: { number: 7, pull_request: { url: 'https://api.github.example/pulls/7' } }, comment: COMMENT },
    has: [...RUNNER, 'pr'],
  },
  { label: 'issue_comment on an issue', event: 'issue_comment', env: RUNNER_ENV, payload: { action: 'created', issue: { number: 8 }, comment: COMMENT }, has: RUNNER },
  { label: 'schedule', event: 'schedule', env: RUNNER_ENV, payload: { schedule: '0 3 * * *' }, has: RUNNER },
  { label: 'workflow_dispatch', event: 'workflow_dispatch', env: RUNNER_ENV, payload: { inputs: {} }, has: RUNNER },
  { label: 'merge_group', event: 'merge_group', env: RUNNER_ENV, payload: { merge_group: { head_sha: GITHUB_SHA } }, has: RUNNER },
  { label: 'release', event: 'release', env: RUNNER_ENV, payload: { action: 'published', release: { tag_name: 'v1' } }, has: RUNNER },
  { label: 'outside GitHub Actions (the CLI)', event: '', env: {}, payload: {}, has: [] },
];

const STARTED = new Date('2026-12-01T08:30:00Z');
/** The values main() renders with: the commit is the pull request's head where the payload names one. */
function valuesOf(c: EventCase, context: string) {
  const run = contextFrom({ ...c.env, GITHUB_EVENT_NAME: c.event || undefined }, c.event, c.payload);
  return prefixValues(run, run.pullHeadSha ?? run.sha, context, STARTED);
}

const tally = { cases: 0 };
afterAll(() => console.log(`[prefix-events] ${tally.cases} event x placeholder x context case(s)`));

describe.each(EVENTS)('$label', (c) => {
  test.each(['', 'fedora-42'])('each placeholder renders exactly when the event gives it a value (context %j)', (context) => {
    const values = valuesOf(c, context);
    for (const p of PREFIX_PLACEHOLDERS) {
      const expected = p === 'timestamp' || (p === 'context' ? context !== '' : c.has.includes(p));
      const render = () => renderPrefix(parsePrefixTemplate(`logs/x-{${p}}`), values, c.event);
      if (expected) {
        expect([p, render()]).toEqual([p, expect.stringMatching(/^logs\/x-[^/]+\/$/)]);
      } else {
        let message = '';
        try {
          render();
        } catch (e) {
          message = (e as Error).message;
        }
        expect([p, message.startsWith(`{${p}} has no value ${describeEvent(c.event)}, `)]).toEqual([p, true]);
        expect(message).toContain(PLACEHOLDER_SOURCES[p].from);
      }
      tally.cases++;
    }
  });

  test('the default prefix has a value on every event of a workflow run, and is refused outside one', () => {
    const render = () => renderPrefix(parsePrefixTemplate(DEFAULT_PREFIX), valuesOf(c, ''), c.event);
    if (c.event === '') {
      expect(render).toThrow(/^\{repo\}, \{short-sha\}, \{run-id\}, \{run-attempt\}, \{job\} have no value outside a workflow run/);
    } else {
      // A comment's payload names no head commit (main() asks the API): GITHUB_SHA here.
      const short = ('pull_request' in c.payload ? HEAD_SHA : GITHUB_SHA).slice(0, 8);
      expect(render()).toBe(`cockpit-project-cockpit/20261201-083000-${short}-123456-2-tests/`);
    }
  });

  test('the pull request template of the README renders on pull request events only', () => {
    const render = () => renderPrefix(parsePrefixTemplate('{repo}/pull-{pr}-{timestamp}-{short-sha}-{run-attempt}-{context}'), valuesOf(c, 'fedora-42'), c.event);
    if (c.has.includes('pr')) expect(render()).toMatch(/^cockpit-project-cockpit\/pull-(19837|7)-20261201-083000-[0-9a-f]{8}-2-fedora-42\/$/);
    else expect(render).toThrow(c.event === '' ? /^\{repo\}, \{pr\}, \{short-sha\}, \{run-attempt\} have no value/ : new RegExp(`^\\{pr\\} has no value ${describeEvent(c.event)}, `));
  });
});

describe('any template, any values', () => {
  const placeholder = fc.constantFrom(...PREFIX_PLACEHOLDERS);
  const literal = fc.stringMatching(/^[a-z0-9_-]{1,5}$/);
  const part = fc.oneof(literal.map((text) => ({ text })), placeholder.map((p) => ({ p })));
  const segment = fc.array(part, { minLength: 1, maxLength: 3 });
  const template = fc.array(segment, { minLength: 1, maxLength: 4 });
  const value = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z0-9-]{1,12}$/));
  const values = fc.record(Object.fromEntries(PREFIX_PLACEHOLDERS.map((p) => [p, value])) as Record<PrefixPlaceholder, fc.Arbitrary<string>>);
  const event = fc.constantFrom('', 'push', 'pull_request', 'issue_comment', 'schedule', 'workflow_dispatch');

  test('renders exactly when every placeholder used has a value; otherwise names exactly those, in order, and the event', async () => {
    await checkProperty(
      'prefix: placeholders without a value',
      fc.property(template, values, event, (segments, vals, ev) => {
        const text = segments.map((seg) => seg.map((x) => ('p' in x ? `{${x.p}}` : x.text)).join('')).join('/');
        // The oracle: placeholders in first-use order, found from the parts, not from the text.
        const used = [...new Set(segments.flat().flatMap((x) => ('p' in x ? [x.p] : [])))];
        const missing = used.filter((p) => vals[p] === '');
        let out: string | undefined;
        let error = '';
        try {
          out = renderPrefix(parsePrefixTemplate(text), vals, ev);
        } catch (e) {
          error = (e as Error).message;
        }
        if (missing.length === 0) {
          const expected = `${segments.map((seg) => seg.map((x) => ('p' in x ? vals[x.p] : x.text)).join('')).join('/')}/`;
          return out === expected;
        }
        const head = `${missing.map((p) => `{${p}}`).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no value ${describeEvent(ev)}, `;
        return out === undefined && error.startsWith(head) && missing.every((p) => error.includes(`{${p}} is ${PLACEHOLDER_SOURCES[p].from}`));
      }),
      500,
    );
  });
});
