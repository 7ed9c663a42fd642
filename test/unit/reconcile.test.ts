/**
 * reconcile in process: the host that presents each part its own names, the renaming of errors
 * about renamed inputs, and the audit left out after an interruption. Its runs against stores are
 * in test/integration/reconcile.test.ts (the bundle on RGW).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reconcile } from '../../src/actions/reconcile/main';
import { AUDIT_NAMES, MIRROR_NAMES, readReconcileInputs } from '../../src/actions/reconcile/inputs';
import { ConfigurationError } from '../../src/config/configuration-error';
import { partHost, readPartInputs, renamedInputs } from '../../src/runtime/part-host';
import { runAction, type ActionContext } from '../../src/runtime/run-action';
import { Summary } from '../../src/runtime/summary';
import { quietHost } from '../helpers/quiet-host';

/** A quiet host that keeps its outputs. */
function recordingHost(inputs: Record<string, string>, cwd: string) {
  const outputs: Record<string, string> = {};
  return { ...quietHost(inputs, { cwd, env: {} }), setOutput: (n: string, v: string) => void (outputs[n] = v), outputs };
}

test('a part reads its inputs and sets its outputs under the names reconcile gives them', () => {
  const host = recordingHost({ 'audit-stores': 'S', 'report-path': 'mirror.txt', 'audit-report-path': 'audit.json', 'fail-on': 'never' }, '/srv/ws');
  const audit = partHost(host, AUDIT_NAMES);
  expect([audit.input('stores'), audit.input('report-path'), audit.input('fail-on')]).toEqual(['S', 'audit.json', 'never']);
  audit.setOutput('errors', '2');
  audit.setOutput('report', '/r.json');
  const mirror = partHost(host, MIRROR_NAMES);
  expect(mirror.input('report-path')).toBe('mirror.txt');
  mirror.setOutput('report', '/r.txt');
  mirror.setOutput('copied', '3');
  expect(host.outputs).toEqual({ 'audit-errors': '2', 'audit-report': '/r.json', 'mirror-report': '/r.txt', copied: '3' });
  // A fixed value stands for an input; an output mapped to nothing is left out.
  const fixed = partHost(host, { inputs: { stores: { value: 'X' } }, output: () => undefined });
  expect(fixed.input('stores')).toBe('X');
  fixed.setOutput('errors', '1');
  expect(Object.keys(host.outputs)).toHaveLength(4);
});

test('an error about a renamed input names the input the user gave; others pass unchanged', () => {
  const renamed = () => readPartInputs(AUDIT_NAMES, () => {
    throw new ConfigurationError('input "stores": line 2: "x" is not a store');
  });
  expect(renamed).toThrow(ConfigurationError);
  expect(renamed).toThrow(/^input "audit-stores": line 2: "x" is not a store$/);
  const mine = new ConfigurationError('input "fail-on": "x" is not allowed');
  expect(() => readPartInputs(AUDIT_NAMES, () => {
    throw mine;
  })).toThrow(mine);
  // The same for an error a part raises while it runs, after its inputs were read.
  expect((renamedInputs(AUDIT_NAMES, new ConfigurationError('input "stores": line 1: the bucket does not exist')) as Error).message).toBe('input "audit-stores": line 1: the bucket does not exist');
  const bug = new TypeError('input "stores" is undefined');
  expect(() => readPartInputs(AUDIT_NAMES, () => {
    throw bug;
  })).toThrow(bug);
});

describe('between two folders', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-'));
    fs.mkdirSync(path.join(dir, 'a'));
    fs.mkdirSync(path.join(dir, 'b'));
    fs.writeFileSync(path.join(dir, 'a', 'fedora-42.qcow2'), 'fedora');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('audit: false mirrors folders, and the audit is skipped', async () => {
    const host = recordingHost({ source: `file://${dir}/a`, destination: `file://${dir}/b`, audit: 'false' }, dir);
    const summary = new Summary('reconcile');
    await reconcile({ host, summary, onInterrupt: () => () => undefined });
    expect(host.outputs).toMatchObject({ copied: '1', 'mirror-outcome': 'success', 'audit-outcome': 'skipped' });
    expect(fs.readdirSync(path.join(dir, 'b')).filter((f) => !f.startsWith('.'))).toEqual(['fedora-42.qcow2']);
    expect(summary.render()).toContain('## mirror-bucket');
  });

  test("a part's failure is said once: in the step's failure, not also as a log line before it", async () => {
    fs.writeFileSync(path.join(dir, 'a', 'debian-13.img'), 'debian');
    const lines: string[] = [];
    const say = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
    const host = { ...recordingHost({ source: `file://${dir}/a`, destination: `file://${dir}/b`, mode: 'check', audit: 'false' }, dir), info: say('info'), warning: say('warning'), error: say('error'), fail: say('fail') };
    const failure = await runAction('reconcile', reconcile, host).then(() => lines.filter((l) => l.includes('the stores differ')));
    expect(failure).toEqual([expect.stringMatching(/^fail mirror-bucket failed: the stores differ: 2 only in the source/)]);
  });

  test('interrupted during the mirror: the audit does not start, and the step fails saying so', async () => {
    // The audit's store is never reached: nothing listens there.
    const host = recordingHost({ source: `file://${dir}/a`, destination: `file://${dir}/b`, 'audit-stores': 'http://127.0.0.1:1/never-bucket' }, dir);
    const cleanups: (() => Promise<void>)[] = [];
    // The signal arrives as soon as the mirror has registered what to do on one.
    const onInterrupt: ActionContext['onInterrupt'] = (cleanup) => {
      cleanups.push(cleanup);
      if (cleanups.length === 2) for (const c of cleanups) void c();
      return () => undefined;
    };
    const failure = await reconcile({ host, summary: new Summary('reconcile'), onInterrupt }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(failure).toBe('mirror-bucket failed: interrupted: nothing was deleted; run again to finish; interrupted before the audit');
    expect(host.outputs).toMatchObject({ 'mirror-outcome': 'failure', 'audit-outcome': 'skipped' });
    expect(Object.keys(host.outputs).filter((n) => n.startsWith('audit-') && n !== 'audit-outcome')).toEqual([]);
  });
});

describe('inputs that change what the audit may do', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-inputs-'));
  const read = (over: Record<string, string>) =>
    readReconcileInputs(quietHost({ source: `file://${dir}/a`, destination: `file://${dir}/b`, 'audit-stores': 'http://127.0.0.1:1/audited', ...over }, { cwd: dir, env: {} }));

  test('a dry run makes the audit plan its fixes, not apply them; without it fix: true stands', () => {
    expect(read({ 'dry-run': 'true', fix: 'true' }).audit?.fix).toBe('dry-run');
    expect(read({ fix: 'true' }).audit?.fix).toBe('true');
    expect(read({ 'dry-run': 'true', fix: 'false' }).audit?.fix).toBe('false');
  });

  test('planning shards audits nothing (each shard audits its own range)', () => {
    expect(read({ mode: 'plan-shards' }).audit).toBeUndefined();
  });

  test('one report file for both parts is refused, naming both inputs', () => {
    expect(() => read({ 'report-path': 'r.txt', 'audit-report-path': 'r.txt' })).toThrow(/^inputs "report-path" and "audit-report-path": both are ".*r\.txt", and the audit's report would overwrite the mirror's/);
  });
});

describe('visibility-rules with "restricted"', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-restricted-'));
  const read = (rules: string) => () =>
    readReconcileInputs(quietHost({ source: `file://${dir}/a`, destination: `file://${dir}/b`, 'audit-stores': 'http://127.0.0.1:1/audited', 'visibility-rules': rules }, { cwd: dir, env: {} }));

  test('refused by reconcile itself, naming the input, the rule and the way out', () => {
    expect(read('rhel* private\nvpc/* restricted\n* public')).toThrow(ConfigurationError);
    expect(read('rhel* private\nvpc/* restricted\n* public')).toThrow(
      'input "visibility-rules": rule 2 "vpc/* restricted": reconcile cannot use "restricted": its mirror writes objects, and no write makes an object restricted; give these keys "private" here, or audit them with audit-acl (which accepts "restricted") in a step of its own',
    );
  });

  test('rules without it read as before; a malformed rule is still named by the mirror part', () => {
    expect(read('rhel* private\n* public')().mirror.rules).toHaveLength(2);
    expect(read('rhel* secret')).toThrow(/^input "visibility-rules": rule 1 "rhel\* secret" is not "GLOB public" or "GLOB private"$/);
  });
});
