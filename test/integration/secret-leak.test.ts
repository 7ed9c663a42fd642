/**
 * Secrets never leak: every action, on success and failure paths, as a runner runs the bundle and
 * from the CLI, with known secret values (store keys through env:NAME, a GitHub token, redact
 * values, a secret pasted with a trailing newline, secrets inside log files: a text log, and a
 * serial console log with a NUL byte and an unknown extension holding every secret in every form).
 * Then every log line (stdout without the `::add-mask::` commands themselves, which the runner
 * consumes, and stderr), every output, the job summary, the report file and every uploaded object
 * are searched for each value, also base64-, base64url-, URL- (upper- and lowercase hex, form
 * encoding) and hex-encoded.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { runBundle, runCli, type BundleRun } from '../helpers/bundle';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github';
import { client, credentialEnv, githubEnv, listKeys, rgw, useBuckets } from '../helpers/rgw';

const TOKEN = 'ghs_leakCheckToken4f1c2b9a77e0';
const REDACT = 'leak-check-redact-value-8d2e61';
const IN_ENV = 'leak-check-env-secret-5a0b3c';
const WRONG = 'leak-check-wrong-secret-19f7aa0c';
const SESSION = 'leak-check-session-token-77c1d0';
/** Credentials written into URLs (issue 10, item 8): an AWS-like secret with '/', '+' and '@'. */
const URL_KEY = 'AKIALEAKCHECKURL4Q7Z';
const URL_SECRET = 'leak/Check+url@secret/8e3f';
/** Given in an environment variable with a trailing newline and spaces, as secrets are often pasted. */
const PASTED = 'leak-check-pasted-value-3e9d41';

const makeBucket = useBuckets();
let gh: FakeGitHub;
let bucket: string;
/** The mirror's destinations on the new cluster: a bucket of the ci user, and one of another user (that user's keys). */
let newBucket: string;
const otherBucket = `leak-other-${randomBytes(4).toString('hex')}`;
let ws: string;
beforeAll(async () => {
  gh = await startFakeGitHub(TOKEN);
  newBucket = await makeBucket('new', 'leak');
  await client('new', 'other').send(new CreateBucketCommand({ Bucket: otherBucket }));
  gh.permissions.set('reader', { permission: 'read', role_name: 'read' });
  bucket = await makeBucket('old', 'leak');
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-'));
  fs.writeFileSync(path.join(ws, 'fedora-42.qcow2'), 'image');
  fs.writeFileSync(path.join(ws, 'rhel-9.qcow2'), 'private image');
  fs.mkdirSync(path.join(ws, 'logs'));
  fs.writeFileSync(path.join(ws, 'logs', 'test.log'), `token=${TOKEN}\nvalue ${REDACT}\nenv ${IN_ENV}\nkey ${rgw('old').secretKey}\n`);
  // A serial console: a NUL byte in its first bytes and a name of no known type, which once made
  // it "binary" and exempt from redaction. It holds every secret in every form searched for.
  const lines = [TOKEN, REDACT, IN_ENV, rgw('old').secretKey, PASTED].flatMap((v) => Object.values(forms(v)).map((f) => `${f}\n`));
  fs.writeFileSync(path.join(ws, 'logs', 'serial-ttyS0.console'), Buffer.concat([Buffer.from('[    0.000000] Linux version\0\0\n'), Buffer.from(lines.join(''))]));
});
afterAll(async () => {
  await gh?.close();
  const c = client('new', 'other');
  for (const o of (await c.send(new ListObjectsV2Command({ Bucket: otherBucket }))).Contents ?? []) await c.send(new DeleteObjectCommand({ Bucket: otherBucket, Key: o.Key! }));
  await c.send(new DeleteBucketCommand({ Bucket: otherBucket }));
});

/** Every secret a run is given, by the name shown in failures. */
const secrets = (): Record<string, string> => ({
  'store secret key': rgw('old').secretKey,
  "another user's store secret key": rgw('new').otherSecretKey,
  'github token': TOKEN,
  'redact value': REDACT,
  'secret named by redact-env': IN_ENV,
  'a wrong secret key': WRONG,
  'a session token': SESSION,
  'an access key in a URL': URL_KEY,
  'a secret in a URL': URL_SECRET,
  'the userinfo of a URL': `${URL_KEY}:${URL_SECRET}`,
  'a secret pasted with a trailing newline': PASTED,
});

function forms(value: string): Record<string, string> {
  const url = encodeURIComponent(value);
  return {
    raw: value,
    base64: Buffer.from(value).toString('base64').replace(/=+$/, ''),
    base64url: Buffer.from(value).toString('base64url'),
    'URL-encoded': url,
    'URL-encoded, lowercase hex': url.replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase()),
    'form-encoded': new URLSearchParams([['', value]]).toString().slice(1),
    hex: Buffer.from(value).toString('hex'),
    'hex, uppercase': Buffer.from(value).toString('hex').toUpperCase(),
  };
}

const env = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...credentialEnv(['old']),
  ...githubEnv({ GITHUB_API_URL: gh.url, GITHUB_RUN_ID: '99', GITHUB_JOB: 'leak' }),
  MY_SECRET: IN_ENV,
  PASTED_SECRET: `${PASTED}\n  `,
  ...over,
});
const store = (sub: string) => `${rgw('old').endpoint}/${bucket}/${sub} credentials=env:OLD`;

interface Seen {
  readonly where: string;
  readonly text: string;
}

/** What a bundle run shows anyone: logs, outputs, summary, and the report file an output names. */
function shown(label: string, run: BundleRun): Seen[] {
  const out: Seen[] = [
    { where: `${label} log`, text: runnerLog(run.stdout) },
    { where: `${label} stderr`, text: run.stderr },
    { where: `${label} summary`, text: run.summary },
  ];
  for (const [name, value] of Object.entries(run.outputs)) {
    out.push({ where: `${label} output ${name}`, text: value });
    if (/(^|-)report$/.test(name) && value !== '' && fs.existsSync(value)) out.push({ where: `${label} report file`, text: fs.readFileSync(value, 'utf8') });
  }
  return out;
}

/**
 * The log as the runner shows it: it consumes `::add-mask::VALUE` commands and masks VALUE in every
 * later line. A secret printed before its mask was registered stays visible, as on a real runner.
 */
function runnerLog(stdout: string): string {
  const masks: string[] = [];
  const shownLines: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('::add-mask::')) {
      masks.push(line.slice('::add-mask::'.length));
      continue;
    }
    shownLines.push(masks.reduce((l, m) => (m === '' ? l : l.split(m).join('***')), line));
  }
  return shownLines.join('\n');
}

function cli(args: string[], runEnv: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(args, { cwd: ws, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...runEnv } });
}

test('no secret reaches a log, an output, a summary, a report or an uploaded object, on any path', async () => {
  const seen: Seen[] = [];
  const codes: Record<string, number | null> = {};
  const raw: Record<string, string> = {};
  const record = (label: string, run: BundleRun) => {
    codes[label] = run.code;
    raw[label] = run.stdout;
    seen.push(...shown(label, run));
  };

  // upload-image: success, a refused secret key, a session token, a dry run.
  record('upload-image ok', await runBundle('upload-image', { files: 'fedora-42.qcow2\nrhel-9.qcow2', stores: store('images') }, { cwd: ws, env: env() }));
  record('upload-image wrong key', await runBundle('upload-image', { files: 'fedora-42.qcow2', stores: store('images') }, { cwd: ws, env: env({ OLD_SECRET_ACCESS_KEY: WRONG }) }));
  record('upload-image session token', await runBundle('upload-image', { files: 'fedora-42.qcow2', stores: store('images') }, { cwd: ws, env: env({ OLD_SESSION_TOKEN: SESSION }) }));
  record('upload-image dry run', await runBundle('upload-image', { files: 'fedora-42.qcow2', stores: store('images'), 'dry-run': 'true' }, { cwd: ws, env: env() }));

  // mirror-bucket (report file), audit-acl (findings JSON), download-image: success, and a refused secret key.
  const rep = (name: string) => ({ 'report-path': path.join(ws, `${name}.report`) });
  record('mirror-bucket ok', await runBundle('mirror-bucket', { source: store('images'), destination: store('mirror'), manifest: path.join(ws, 'manifest.gz'), ...rep('mirror') }, { cwd: ws, env: env() }));
  record('mirror-bucket wrong key', await runBundle('mirror-bucket', { source: store('images'), destination: store('mirror2'), ...rep('mirror2') }, { cwd: ws, env: env({ OLD_SECRET_ACCESS_KEY: WRONG }) }));
  // mirror-bucket to three destinations, each with its own credentials (the ci user of either
  // cluster, another user of the new one): success (the destinations JSON among the outputs), one
  // destination's secret refused with require any (passes) and with require all (fails).
  const fanEnv = (over: NodeJS.ProcessEnv = {}) => env({ ...credentialEnv(['new']), OTHER_ACCESS_KEY_ID: rgw('new').otherAccessKey, OTHER_SECRET_ACCESS_KEY: rgw('new').otherSecretKey, ...over });
  const fanOut = (sub: string) => ({
    source: store('images'),
    destinations: [store(`${sub}-a`), `${rgw('new').endpoint}/${newBucket}/${sub}-b credentials=env:NEW`, `${rgw('new').endpoint}/${otherBucket}/${sub}-c credentials=env:OTHER`].join('\n'),
    mode: 'sync',
    ...rep(sub),
  });
  record('mirror-bucket fan-out ok', await runBundle('mirror-bucket', fanOut('fan'), { cwd: ws, env: fanEnv() }));
  record('mirror-bucket fan-out wrong key, require any', await runBundle('mirror-bucket', { ...fanOut('fan2'), require: 'any' }, { cwd: ws, env: fanEnv({ OTHER_SECRET_ACCESS_KEY: WRONG }) }));
  record('mirror-bucket fan-out wrong key', await runBundle('mirror-bucket', fanOut('fan3'), { cwd: ws, env: fanEnv({ OTHER_SECRET_ACCESS_KEY: WRONG }) }));
  record('audit-acl ok', await runBundle('audit-acl', { stores: store('images'), 'fail-on': 'never', ...rep('audit') }, { cwd: ws, env: env() }));
  record('audit-acl wrong key', await runBundle('audit-acl', { stores: store('images'), ...rep('audit2') }, { cwd: ws, env: env({ OLD_SECRET_ACCESS_KEY: WRONG }) }));
  // reconcile: both parts in one step (both report files), and both failing on a refused key.
  const both = (name: string) => ({ 'report-path': path.join(ws, `${name}-mirror.report`), 'audit-report-path': path.join(ws, `${name}-audit.report`) });
  record('reconcile ok', await runBundle('reconcile', { source: store('images'), destination: store('nightly'), 'fail-on': 'never', ...both('nightly') }, { cwd: ws, env: env() }));
  record('reconcile wrong key', await runBundle('reconcile', { source: store('images'), destination: store('nightly2'), ...both('nightly2') }, { cwd: ws, env: env({ OLD_SECRET_ACCESS_KEY: WRONG }) }));
  record('download-image ok', await runBundle('download-image', { 'object-key': 'fedora-42.qcow2', stores: store('images'), 'save-to': 'dl/' }, { cwd: ws, env: env() }));
  record('download-image wrong key', await runBundle('download-image', { 'object-key': 'fedora-42.qcow2', stores: store('images'), 'save-to': 'dl2/' }, { cwd: ws, env: env({ OLD_SECRET_ACCESS_KEY: WRONG }) }));
  // prune (report file): a dry run over what the runs above wrote, and a refused secret key.
  const pruneInputs = { stores: store('images'), match: '(?<group>[a-z]+)-.*', 'keep-newest': '1' };
  record('prune ok', await runBundle('prune', { ...pruneInputs, ...rep('prune') }, { cwd: ws, env: env() }));
  record('prune wrong key', await runBundle('prune', { ...pruneInputs, ...rep('prune2') }, { cwd: ws, env: env({ OLD_SECRET_ACCESS_KEY: WRONG }) }));

  // upload-logs: success with a status and redaction, a refused comment, a bad input after secrets were read.
  const logsInputs = { path: 'logs', stores: store('logs'), prefix: 'ci/{run-id}', 'github-token': TOKEN, 'redact-values': REDACT, 'redact-env': 'MY_SECRET PASTED_SECRET', 'status-context': 'logs' };
  record('upload-logs ok', await runBundle('upload-logs', logsInputs, { cwd: ws, env: env() }));
  const event = path.join(ws, 'event.json');
  fs.writeFileSync(event, JSON.stringify({ action: 'created', issue: { number: 7 }, comment: { id: 5, body: `/publish ${TOKEN}`, user: { login: 'reader', type: 'User' } }, repository: { full_name: 'cockpit-project/bots' } }));
  record('upload-logs refused', await runBundle('upload-logs', { ...logsInputs, prefix: 'ci/{run-id}-refused' }, { cwd: ws, env: env({ GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: event }) }));
  record('upload-logs bad input', await runBundle('upload-logs', { ...logsInputs, 'files-in-flight': REDACT }, { cwd: ws, env: env() }));
  record('upload-logs wrong key', await runBundle('upload-logs', { ...logsInputs, prefix: 'ci/{run-id}-wrong' }, { cwd: ws, env: env({ OLD_SECRET_ACCESS_KEY: WRONG }) }));

  // Credentials written into a store URL, an endpoint= and a proxy-url: refused, never shown.
  const withUserinfo = (sub: string) => `${rgw('old').endpoint.replace('://', `://${URL_KEY}:${URL_SECRET}@`)}/${bucket}/${sub} credentials=env:OLD`;
  record('upload-image userinfo', await runBundle('upload-image', { files: 'fedora-42.qcow2', stores: withUserinfo('images') }, { cwd: ws, env: env() }));
  record('mirror-bucket userinfo in endpoint', await runBundle('mirror-bucket', { source: `s3://${bucket}/images endpoint=${rgw('old').endpoint.replace('://', `://${URL_KEY}:${URL_SECRET}@`)} credentials=env:OLD`, destination: store('mirror3'), ...rep('mirror3') }, { cwd: ws, env: env() }));
  record('upload-logs userinfo in proxy-url', await runBundle('upload-logs', { ...logsInputs, prefix: 'ci/{run-id}-proxy', 'proxy-url': `https://${URL_KEY}:${URL_SECRET}@logs.example.org/ci` }, { cwd: ws, env: env() }));

  // The CLI: success and failure.
  const summaryFile = path.join(ws, 'cli-summary.md');
  const c1 = await cli(['upload-image', '--files', 'fedora-42.qcow2', '--stores', store('cli'), '--summary-file', summaryFile], env());
  const c2 = await cli(['upload-logs', '--path', 'logs', '--stores', store('cli-logs'), '--prefix', 'x', '--redact-values', REDACT, '--github-token', TOKEN], env({ OLD_SECRET_ACCESS_KEY: WRONG }));
  const c3 = await cli(['download-image', '--object-key', 'fedora-42.qcow2', '--save-to', 'dl3/', '--stores', withUserinfo('images')], env());
  const c4 = await cli(['download-image', withUserinfo('images')], env());
  codes['cli upload-image ok'] = c1.code;
  codes['cli upload-logs wrong key'] = c2.code;
  codes['cli download-image userinfo'] = c3.code;
  codes['cli a stray argument with userinfo'] = c4.code;
  seen.push(
    { where: 'cli upload-image stdout', text: c1.stdout },
    { where: 'cli upload-image stderr', text: c1.stderr },
    { where: 'cli upload-image summary file', text: fs.existsSync(summaryFile) ? fs.readFileSync(summaryFile, 'utf8') : '' },
    { where: 'cli upload-logs stdout', text: c2.stdout },
    { where: 'cli upload-logs stderr', text: c2.stderr },
    { where: 'cli download-image userinfo stdout', text: c3.stdout },
    { where: 'cli download-image userinfo stderr', text: c3.stderr },
    { where: 'cli stray argument stdout', text: c4.stdout },
    { where: 'cli stray argument stderr', text: c4.stderr },
  );

  // The paths were the ones meant: successes succeeded, failures failed.
  expect(codes).toEqual({
    'upload-image ok': 0,
    'upload-image wrong key': 1,
    // Ceph here ignores the token; it is still sent with every request.
    'upload-image session token': 0,
    'upload-image dry run': 0,
    'mirror-bucket ok': 0,
    'mirror-bucket wrong key': 1,
    'mirror-bucket fan-out ok': 0,
    'mirror-bucket fan-out wrong key, require any': 0,
    'mirror-bucket fan-out wrong key': 1,
    'audit-acl ok': 0,
    'audit-acl wrong key': 1,
    'reconcile ok': 0,
    'reconcile wrong key': 1,
    'download-image ok': 0,
    'download-image wrong key': 1,
    'prune ok': 0,
    'prune wrong key': 1,
    'upload-logs ok': 0,
    'upload-logs refused': 1,
    'upload-logs bad input': 1,
    'upload-logs wrong key': 1,
    'upload-image userinfo': 1,
    'mirror-bucket userinfo in endpoint': 1,
    'upload-logs userinfo in proxy-url': 1,
    'cli upload-image ok': 0,
    'cli upload-logs wrong key': 1,
    'cli download-image userinfo': 1,
    'cli a stray argument with userinfo': 2,
  });

  // Every uploaded object (redacted copies of the logs included).
  const keys = await listKeys('old', bucket);
  expect(keys).toContain('logs/ci/99/test.log');
  expect(keys).toContain('logs/ci/99/serial-ttyS0.console');
  for (const key of keys) {
    const r = await client('old').send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    seen.push({ where: `object ${key}`, text: Buffer.from(await r.Body!.transformToByteArray()).toString('latin1') });
  }

  const leaks: string[] = [];
  for (const [what, value] of Object.entries(secrets())) {
    for (const [form, encoded] of Object.entries(forms(value))) {
      for (const s of seen) if (s.text.includes(encoded)) leaks.push(`${what} (${form}) in ${s.where}`);
    }
  }
  // The secrets do reach the runner, registered as masks: the search is not looking in the wrong place.
  for (const value of [TOKEN, REDACT, IN_ENV, rgw('old').secretKey]) expect(raw['upload-logs ok']).toContain(`::add-mask::${value}`);
  // The fan-out was given each destination's secret, and wrote its rows: the search looked where they are.
  expect(raw['mirror-bucket fan-out ok']).toContain(`::add-mask::${rgw('new').otherSecretKey}`);
  expect(JSON.parse(seen.find((x) => x.where === 'mirror-bucket fan-out ok output destinations')!.text).map((r: { ok: boolean }) => r.ok)).toEqual([true, true, true]);
  expect(JSON.parse(seen.find((x) => x.where === 'mirror-bucket fan-out wrong key, require any output destinations')!.text).map((r: { ok: boolean }) => r.ok)).toEqual([true, true, false]);
  // The search can find: the log file holds every secret before redaction.
  expect(fs.readFileSync(path.join(ws, 'logs', 'test.log'), 'utf8')).toContain(TOKEN);
  // The refusals were the ones meant, and show where the credentials were.
  for (const label of ['upload-image userinfo', 'mirror-bucket userinfo in endpoint', 'upload-logs userinfo in proxy-url']) {
    expect([label, runnerLog(raw[label]!)]).toEqual([label, expect.stringMatching(/::error::input "(stores|source|proxy-url)": "[a-z0-9]+:\/\/\*\*\*@[^"]*".*credentials/)]);
  }
  expect(c3.stderr).toMatch(/error: input "stores": "http:\/\/\*\*\*@[^"]*": the input must not carry credentials/);
  expect(c4.stderr).toMatch(/unexpected argument "http:\/\/\*\*\*@127\.0\.0\.1:\d+\//);
  const serial = fs.readFileSync(path.join(ws, 'logs', 'serial-ttyS0.console'));
  for (const value of [TOKEN, REDACT, IN_ENV, rgw('old').secretKey, PASTED]) for (const f of Object.values(forms(value))) expect(serial.includes(f)).toBe(true);
  expect(serial.subarray(0, 8192).includes(0)).toBe(true);
  expect(leaks).toEqual([]);
  console.log(`[secret-leak] ${Object.keys(codes).length} run(s), ${Object.keys(secrets()).length} secret(s) x ${Object.keys(forms('x')).length} form(s) searched in ${seen.length} text(s): 0 found`);
});
