/**
 * The examples users copy pass values the actions accept. docs-examples.test.ts holds the input
 * NAMES to each action.yml; this suite runs the VALUES through each action's own input reader, the
 * function its glue calls first: every step that uses one of the actions, in examples/workflows/,
 * in the workflows under .github/, and in the ```yaml blocks of README.md, actions/STAR/README.md and
 * docs/*.md, with the action.yml defaults for the inputs it leaves out (as a runner fills them).
 *
 * `${{ ... }}` expressions are worked out as a runner would, with the plausible values of the tables
 * below (EXPRESSIONS, OUTPUTS, UNSEEN_OUTPUTS); a matrix is the workflow's own, every leg tried, and
 * a name with several values (github.event_name) is tried with each. A name no table knows fails
 * the step, naming the file, the step and the expression: keep the tables up to date rather than
 * let a value go unchecked. Found by it first: package-mirror.yml's `sample: 2000`, which audit-acl
 * refuses (a fraction up to 1 or a percentage), failed every run of that example's audit step.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { load } from 'js-yaml';
import type { Host } from '../../src/runtime/host';
import { readAuditAclInputs } from '../../src/steps/audit-acl/inputs';
import { readMirrorBucketInputs } from '../../src/steps/mirror-bucket/inputs';
import { readDownloadImageInputs } from '../../src/actions/download-image/inputs';
import { readPruneInputs } from '../../src/actions/prune/inputs';
import { readReconcileInputs } from '../../src/actions/reconcile/inputs';
import { readUploadImageInputs } from '../../src/actions/upload-image/inputs';
import { readUploadLogsInputs } from '../../src/actions/upload-logs/inputs';
import { quietHost } from '../helpers/quiet-host';
import { ACTION_NAMES, MARKDOWN_DOCS, WORKFLOWS, isRecord, parse, read, yamlBlocks, type Doc } from '../helpers/workflow-files';
import { ExpressionError, asText, evaluate, parseExpression, substitute, type Value } from '../helpers/workflow-expressions';


/** Each action's input reader: what its glue (src/actions/NAME/main.ts or src/steps/NAME/main.ts) reads its inputs with. */
const READERS: Record<string, (host: Host) => unknown> = {
  'audit-acl': (host) => readAuditAclInputs(host),
  'download-image': readDownloadImageInputs,
  'mirror-bucket': readMirrorBucketInputs,
  prune: readPruneInputs,
  reconcile: readReconcileInputs,
  'upload-image': readUploadImageInputs,
  'upload-logs': readUploadLogsInputs,
};

const HEX64 = 'a3f1c09e5b7d2468ace013579bdf2468ace013579bdf2468ace013579bdf2468';
const SHA = '4f2d9e0c7b1a3958e6d4c2b0a9f8e7d6c5b4a392';

/** What `choose` offers: one value of several, each tried in a run of its own. */
class OneOf {
  constructor(readonly values: readonly Value[]) {}
}
const oneOf = (...values: Value[]) => new OneOf(values);

/**
 * Context names and the plausible values they stand for (throwaway, never a real secret). Steps'
 * and jobs' outputs are in OUTPUTS, by the action that sets them; `env.X` is the workflow's, the
 * job's or the step's own `env:` first; `matrix.X` the job's own matrix first.
 */
const EXPRESSIONS: readonly { name: RegExp; kind: string; value: (m: RegExpExecArray) => Value | OneOf }[] = [
  { name: /^secrets\.([A-Z0-9_]+)$/, kind: 'a placeholder credential reference', value: (m) => `placeholder-for-secrets-${m[1]!.toLowerCase()}` },
  { name: /^github\.token$/, kind: 'a placeholder token', value: () => 'placeholder-github-token' },
  { name: /^github\.run_id$/, kind: 'digits', value: () => '13579246801' },
  { name: /^github\.run_attempt$/, kind: 'digits', value: () => '1' },
  { name: /^github\.event_name$/, kind: 'each event the examples run on', value: () => oneOf('push', 'pull_request', 'schedule', 'workflow_dispatch', 'issue_comment') },
  { name: /^github\.ref$/, kind: 'a branch ref', value: () => 'refs/heads/main' },
  { name: /^github\.ref_name$/, kind: 'a branch', value: () => 'main' },
  { name: /^github\.sha$/, kind: 'a commit', value: () => SHA },
  { name: /^github\.repository$/, kind: 'owner/name', value: () => 'cockpit-project/bots' },
  { name: /^inputs\.image$/, kind: 'a workflow_dispatch input: empty (a scheduled run) or an image name', value: () => oneOf('', 'centos-10') },
  { name: /^strategy\.job-index$/, kind: 'digits', value: () => '2' },
  { name: /^steps\.[\w-]+\.(?:outcome|conclusion)$/, kind: 'each outcome of a step', value: () => oneOf('success', 'failure', 'cancelled', 'skipped') },
  // Snippets that show a step without its job's matrix or env.
  { name: /^matrix\.os$/, kind: 'an image name (snippets with no matrix)', value: () => oneOf('fedora-42', 'centos-10') },
  { name: /^matrix\.shard$/, kind: "each item of mirror-bucket's shards output (snippets with no matrix)", value: () => oneOf(...(JSON.parse(OUTPUTS['mirror-bucket']!.shards as string) as Value[])) },
  { name: /^env\.IMAGE_SHA256$/, kind: 'a sha256 (64 hex digits)', value: () => HEX64 },
];

/** The outputs the examples pass on, as each action sets them. */
const OUTPUTS: Record<string, Record<string, Value>> = {
  'mirror-bucket': {
    // plan-shards: one object a shard, as shardToJson writes them.
    shards: JSON.stringify([
      { index: 1, count: 3, from: '', to: 'images/fedora-42' },
      { index: 2, count: 3, from: 'images/fedora-42', to: 'images/rhel-9' },
      { index: 3, count: 3, from: 'images/rhel-9' },
    ]),
    keys: '1250',
  },
  'upload-image': { keys: JSON.stringify([`fedora-42-x86_64-${HEX64}.qcow2`, `centos-10-x86_64-${HEX64}.qcow2`]) },
};

/** Jobs' outputs in snippets that do not show the job setting them: the action whose output it is. */
const UNSEEN_OUTPUTS: Record<string, [string, string]> = {
  'needs.plan.outputs.shards': ['mirror-bucket', 'shards'],
  'needs.refresh.outputs.keys': ['upload-image', 'keys'],
};

/** Files an example's earlier `run:` step writes for a later step to read (prune's keep-list), with throwaway contents. */
const WORKSPACE_FILES: Record<string, string> = {
  'referenced-images.txt': `fedora-42-x86_64-${HEX64}.qcow2\n# a comment\ncentos-10-*.qcow2\n`,
};

const ACTIONS = ACTION_NAMES;
const DEFAULTS = new Map(
  ACTIONS.map((a) => {
    const doc = parse(`actions/${a}/action.yml`) as { inputs?: Record<string, { default?: unknown }> };
    return [a, Object.entries(doc.inputs ?? {}).flatMap(([name, i]) => (i?.default === undefined ? [] : [[name, String(i.default)] as const]))];
  }),
);

/** Each example: where it is, which source it counts under, and its text. */
const EXAMPLES: [string, string, string][] = [
  ...MARKDOWN_DOCS.flatMap((file) => yamlBlocks(file).map((b): [string, string, string] => [b.where, file.startsWith('actions') ? 'actions/*/README.md' : file, b.text])),
  ...WORKFLOWS.map((file): [string, string, string] => [file, path.dirname(file), read(file)]),
];

/** The action a `uses:` names, if it is one of these: `ci-stores/ci-stores/actions/NAME@REF` or `./actions/NAME`. */
function actionOf(uses: unknown): string | undefined {
  if (typeof uses !== 'string') return undefined;
  return (/^ci-stores\/ci-stores\/actions\/([a-z0-9-]+)@/.exec(uses) ?? /^\.\/actions\/([a-z0-9-]+)\/?$/.exec(uses))?.[1];
}

interface Place {
  readonly where: string;
  readonly action: string;
  readonly step: Doc;
  readonly job?: Doc;
  readonly workflow?: Doc;
}

/** The steps of an example that use one of the actions, each with its job and workflow where the example shows them. */
function places(doc: unknown): Place[] {
  const label = (step: Doc, where: string, action: string) => `step ${typeof step.name === 'string' ? JSON.stringify(step.name) + ' ' : typeof step.id === 'string' ? `${step.id} ` : ''}(${where}, ${action})`;
  const ofSteps = (list: unknown, where: string, job?: Doc, workflow?: Doc): Place[] =>
    (Array.isArray(list) ? list : []).flatMap((step: unknown, i) => {
      const action = isRecord(step) ? actionOf(step.uses) : undefined;
      return isRecord(step) && action ? [{ where: label(step, `${where}[${i}]`, action), action, step, job, workflow }] : [];
    });
  if (isRecord(doc) && isRecord(doc.jobs)) {
    return Object.entries(doc.jobs).flatMap(([id, job]) => (isRecord(job) ? ofSteps(job.steps, `jobs.${id}.steps`, job, doc) : []));
  }
  if (isRecord(doc) && Array.isArray(doc.steps)) return ofSteps(doc.steps, 'steps', doc);
  if (Array.isArray(doc)) return ofSteps(doc, 'steps');
  return isRecord(doc) ? ofSteps([doc], 'step') : [];
}

/** Every mapping with a `uses` of one of the actions, wherever it stands (to be sure `places` missed none). */
function anywhere(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + anywhere(x), 0);
  if (!isRecord(node)) return 0;
  return (actionOf(node.uses) ? 1 : 0) + Object.values(node).reduce((n: number, x) => n + anywhere(x), 0);
}

const textOf = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** One run's choices among the names with several values, and the values each name offers. */
interface Choices {
  readonly picked: Map<string, number>;
  readonly offered: Map<string, readonly Value[]>;
}

function choose(c: Choices, name: string, values: readonly Value[]): Value {
  c.offered.set(name, values);
  return values[c.picked.get(name) ?? 0] ?? null;
}

/** The legs of a job's matrix: the product of its lists (a list may come from an expression), then `include`. */
function matrixLegs(job: Doc, lookup: (name: string) => Value): Doc[] | undefined {
  const strategy = job.strategy;
  if (!isRecord(strategy) || strategy.matrix === undefined) return undefined;
  const matrix = typeof strategy.matrix === 'string' ? substitute(strategy.matrix, lookup, { raw: true }) : strategy.matrix;
  if (!isRecord(matrix)) throw new ExpressionError(`the matrix is not a mapping: ${textOf(matrix)}`);
  let legs: Doc[] = [{}];
  for (const [key, list] of Object.entries(matrix)) {
    if (key === 'include' || key === 'exclude') continue;
    const values = typeof list === 'string' ? substitute(list, lookup, { raw: true }) : list;
    if (!Array.isArray(values)) throw new ExpressionError(`matrix.${key} is not a list: ${textOf(values)}`);
    legs = legs.flatMap((leg) => values.map((v) => ({ ...leg, [key]: v })));
  }
  for (const extra of Array.isArray(matrix.include) ? matrix.include.filter(isRecord) : []) {
    const fits = legs.filter((leg) => Object.entries(extra).every(([k, v]) => !(k in leg) || leg[k] === v));
    if (fits.length === 0 || Object.keys(legs[0]!).length === 0) legs.push({ ...extra });
    else fits.forEach((leg) => Object.assign(leg, extra));
  }
  return legs.filter((leg) => Object.keys(leg).length > 0);
}

/** A lookup of context names for one step of one example, under one run's choices. */
function lookupFor(place: Place, c: Choices, job = place.job, step: Doc | undefined = place.step, depth = 0): (name: string) => Value {
  const lookup = (name: string): Value => {
    if (depth > 8) throw new ExpressionError(`${name}: refers to itself`);
    const unknown = (why = '') => new ExpressionError(`"${name}" is in no table of test/unit/docs-example-inputs.test.ts${why}; add a plausible value for it there`);
    let m: RegExpExecArray | null;
    if ((m = /^env\.(.+)$/.exec(name))) {
      for (const scope of [step?.env, job?.env, place.workflow?.env]) {
        if (isRecord(scope) && m[1]! in scope) return substitute(textOf(scope[m[1]!]), lookupFor(place, c, job, step, depth + 1));
      }
    }
    if ((m = /^matrix\.(.+)$/.exec(name)) && job) {
      const legs = matrixLegs(job, lookupFor(place, c, job, undefined, depth + 1));
      if (legs) {
        const leg = choose(c, 'matrix', legs as Value[]) as Doc;
        if (!(m[1]! in leg)) throw new ExpressionError(`the job's matrix has no ${m[1]}`);
        return leg[m[1]!] as Value;
      }
    }
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(name)) && job && Array.isArray(job.steps)) {
      const setter = (job.steps as unknown[]).find((s) => isRecord(s) && s.id === m![1]) as Doc | undefined;
      const action = setter && actionOf(setter.uses);
      if (action) {
        const value = OUTPUTS[action]?.[m[2]!];
        if (value === undefined) throw unknown(` (${action}'s output ${m[2]} is not in OUTPUTS)`);
        return value;
      }
    }
    if ((m = /^needs\.([\w-]+)\.outputs\.([\w-]+)$/.exec(name)) && isRecord(place.workflow?.jobs)) {
      const other = (place.workflow.jobs as Doc)[m[1]!];
      if (isRecord(other) && isRecord(other.outputs) && m[2]! in other.outputs) {
        return substitute(textOf(other.outputs[m[2]!]), lookupFor(place, c, other, undefined, depth + 1), { raw: true });
      }
    }
    if (UNSEEN_OUTPUTS[name]) {
      const [action, output] = UNSEEN_OUTPUTS[name];
      return OUTPUTS[action]![output]!;
    }
    for (const e of EXPRESSIONS) {
      const hit = e.name.exec(name);
      if (hit) {
        const v = e.value(hit);
        return v instanceof OneOf ? choose(c, name, v.values) : v;
      }
    }
    throw unknown();
  };
  return lookup;
}

let workspace = '';
let runnerTemp = '';

/** Runs one step's inputs through its action's reader under one run's choices: undefined, or what failed. */
function runOnce(place: Place, c: Choices): string | undefined {
  const lookup = lookupFor(place, c);
  const inputs: Record<string, string> = {};
  const env: NodeJS.ProcessEnv = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    GITHUB_RUN_ID: '13579246801',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'cockpit-project/bots',
    GITHUB_SHA: SHA,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
  };
  try {
    for (const scope of [place.workflow?.env, place.job?.env, place.step.env]) {
      for (const [name, value] of Object.entries(isRecord(scope) ? scope : {})) {
        try {
          env[name] = asText(substitute(textOf(value), lookup));
        } catch (e) {
          throw e instanceof ExpressionError ? new ExpressionError(`env ${name}: ${e.message}`) : e;
        }
      }
    }
    const given = isRecord(place.step.with) ? place.step.with : {};
    for (const [name, value] of [...(DEFAULTS.get(place.action) ?? []), ...Object.entries(given).map(([k, v]) => [k, textOf(v)] as const)]) {
      try {
        inputs[name] = asText(substitute(value, lookup));
      } catch (e) {
        throw e instanceof ExpressionError ? new ExpressionError(`input "${name}"${name in given ? '' : ' (its action.yml default)'}: ${e.message}`) : e;
      }
    }
  } catch (e) {
    if (e instanceof ExpressionError) return e.message;
    throw e;
  }
  try {
    READERS[place.action]!(quietHost(inputs, { env, cwd: workspace }));
    return undefined;
  } catch (e) {
    return `${place.action} refuses it: ${(e as Error).message}`;
  }
}

const MAX_RUNS = 200;

/** Runs a step once for every combination of the values its names offer (each matrix leg, each event). */
function checkStep(place: Place): { runs: number; failures: string[] } {
  const offered = new Map<string, readonly Value[]>();
  const queue: Map<string, number>[] = [new Map()];
  const done = new Set<string>();
  const failures = new Map<string, string>();
  let runs = 0;
  while (queue.length > 0) {
    const picked = queue.shift()!;
    const key = [...offered.keys()]
      .sort()
      .map((n) => `${n}=${picked.get(n) ?? 0}`)
      .join(',');
    if (done.has(key)) continue;
    if (runs === MAX_RUNS) {
      failures.set(`more than ${MAX_RUNS} combinations of values; narrow the tables`, '');
      break;
    }
    done.add(key);
    runs++;
    const failure = runOnce(place, { picked, offered });
    if (failure !== undefined && !failures.has(failure)) {
      const chosen = [...offered].filter(([, values]) => values.length > 1).map(([n, values]) => `${n} ${JSON.stringify(values[picked.get(n) ?? 0])}`);
      failures.set(failure, chosen.length > 0 ? ` (with ${chosen.join(', ')})` : '');
    }
    for (const [name, values] of offered) {
      for (let i = 1; i < values.length; i++) {
        if ((picked.get(name) ?? 0) !== i) queue.push(new Map([...picked, [name, i]]));
      }
    }
  }
  return { runs, failures: [...failures].map(([failure, chosen]) => `${place.where}${chosen}: ${failure}`) };
}

const tally = new Map<string, { steps: number; runs: number }>();

beforeAll(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'example-inputs-ws-'));
  runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'example-inputs-tmp-'));
  for (const [file, text] of Object.entries(WORKSPACE_FILES)) fs.writeFileSync(path.join(workspace, file), text);
  for (const source of new Set(EXAMPLES.map(([, s]) => s))) tally.set(source, { steps: 0, runs: 0 });
});

afterAll(() => {
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.rmSync(runnerTemp, { recursive: true, force: true });
  console.log(`[example-inputs] ${[...tally].map(([source, t]) => `${source}: ${t.steps} steps, ${t.runs} runs`).join('; ')}`);
});

test('every action has its input reader here', () => {
  expect(Object.keys(READERS).sort()).toEqual([...ACTIONS].sort());
});

test('the expressions read as a runner reads them', () => {
  const table: Record<string, Value> = { 'github.event_name': 'pull_request', 'matrix.shard': { index: 2, count: 3 }, 'steps.x.outputs.list': '["a","b"]' };
  const look = (name: string): Value => {
    if (!(name in table)) throw new ExpressionError(`unknown ${name}`);
    return table[name]!;
  };
  const run = (text: string) => substitute(text, look);
  expect(run("${{ github.event_name == 'PULL_REQUEST' && 'pr' || 'other' }}")).toBe('pr');
  expect(run("${{ github.event_name != 'pull_request' }}")).toBe('false');
  expect(run('${{ toJSON(matrix.shard) }}')).toBe('{\n  "index": 2,\n  "count": 3\n}');
  expect(run('k-${{ fromJSON(steps.x.outputs.list)[1] }}.qcow2')).toBe('k-b.qcow2');
  expect(substitute('${{ fromJSON(steps.x.outputs.list) }}', look, { raw: true })).toEqual(['a', 'b']);
  expect(() => run('${{ matrix.shard }}')).toThrow('${{ matrix.shard }}: gives an object');
  expect(() => run('a ${{ github.nope }}')).toThrow('${{ github.nope }}: unknown github.nope');
  expect(() => run('${{ hashFiles(github.event_name) }}')).toThrow('hashFiles()');
  expect(evaluate(parseExpression("!(github.event_name == 'push')"), look)).toBe(true);
});

test('a value the reader refuses, and an expression no table knows, fail the step naming it', () => {
  const workflow = load(`
jobs:
  audit:
    strategy:
      matrix:
        region: [us-east-1, eu-central-1]
    steps:
      - name: Audit
        uses: ci-stores/ci-stores/actions/audit-acl@0000000000000000000000000000000000000000
        with:
          stores: s3://bucket-\${{ matrix.region }}/ region=\${{ matrix.region }}
          sample: 2000
      - uses: ./actions/prune
        with:
          stores: s3://images/
          match: '.*'
          keep-newest: \${{ github.keep_count }}
`);
  const [audit, prune] = places(workflow);
  const audited = checkStep(audit!);
  expect(audited.runs).toBe(2);
  expect(audited.failures).toEqual([
    'step "Audit" (jobs.audit.steps[0], audit-acl) (with matrix {"region":"us-east-1"}): audit-acl refuses it: input "sample": "2000" is not allowed; allowed: a fraction above 0 up to 1 (such as 0.05) or a percentage (such as 5%)',
  ]);
  expect(checkStep(prune!).failures).toEqual([
    'step (jobs.audit.steps[1], prune): input "keep-newest": ${{ github.keep_count }}: "github.keep_count" is in no table of test/unit/docs-example-inputs.test.ts; add a plausible value for it there',
  ]);
});

test.each(EXAMPLES)('%s: every step of an action passes values its input reader takes', (where, source, text) => {
  const doc = load(text);
  const found = places(doc);
  expect(found.length).toBe(anywhere(doc));
  const failures: string[] = [];
  for (const place of found) {
    const { runs, failures: f } = checkStep(place);
    tally.get(source)!.steps++;
    tally.get(source)!.runs += runs;
    failures.push(...f);
  }
  if (failures.length > 0) throw new Error(`${where}:\n${failures.map((f) => `  ${f}`).join('\n')}`);
});

test('the examples hold enough steps to check', () => {
  const steps = EXAMPLES.reduce((n, [, , text]) => n + places(load(text)).length, 0);
  expect(steps).toBeGreaterThan(50);
});
