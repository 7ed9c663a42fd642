/**
 * Which written logs are checked anonymously: every folder and every extension present, the index
 * always, and no more keys than there are folders and extensions. And the check before writing:
 * every key against the bucket policy, not the index page alone.
 */
import fc from 'fast-check';
import { parseBucketPolicy } from '../../src/acl/bucket-policy';
import { describeExposure, keysExposedByPolicy } from '../../src/logs/policy-exposure';
import { extensionOf, folderOf, probeSample } from '../../src/logs/probe-sample';
import { segment } from '../helpers/awkward-keys';
import { checkProperty } from '../helpers/property';

// The oracle's own reading of folder and extension, written apart from production.
const folder = (key: string) => (key.includes('/') ? key.replace(/\/[^/]*$/, '') : '');
const extension = (key: string) => /\.[^.]*$/.exec(key.split('/').pop()!)?.[0] ?? '';

describe('folder and extension', () => {
  test.each([
    ['a.log', '', '.log'],
    ['suites/s1/t2/check-3.log', 'suites/s1/t2', '.log'],
    ['journal.log.gz', '', '.gz'],
    ['.bashrc', '', '.bashrc'],
    ['Makefile', '', ''],
    ['a.d/README', 'a.d', ''],
    ['x/y/', 'x/y', ''],
    ['a//b.LOG', 'a/', '.LOG'],
  ])('%s: folder %j, extension %j', (key, f, e) => {
    expect(folderOf(key)).toBe(f);
    expect(extensionOf(key)).toBe(e);
    expect(folder(key)).toBe(f);
    expect(extension(key)).toBe(e);
  });
});

describe('the sample', () => {
  test('the first three objects are not enough: a .log deep down and a .json elsewhere are in it', () => {
    const keys = ['p/a.txt', 'p/b.txt', 'p/c.txt', 'p/d.txt', 'p/deep/x/journal.log', 'p/e.txt', 'p/report.json'];
    const sample = probeSample(keys, ['p/index.html']);
    expect(sample[0]).toBe('p/index.html');
    expect(sample).toEqual(expect.arrayContaining(['p/deep/x/journal.log', 'p/report.json']));
    expect(sample.length).toBeLessThanOrEqual(4);
  });

  test('a key that covers a new folder and a new extension at once is preferred', () => {
    expect(probeSample(['a/1.x', 'a/2.y', 'b/3.y', 'b/4.x'])).toEqual(['a/1.x', 'b/3.y']);
  });

  // Keys from small pools of folders and names (so that they repeat), with awkward segments mixed in.
  const key = fc.oneof(
    fc
      .tuple(fc.constantFrom('', 'logs/', 'logs/a/', 'logs/b/', 'x//y/', 'deep/er/still/', './'), fc.constantFrom('journal', 'check-1', 'Makefile', '.bashrc', 'x'), fc.constantFrom('', '.log', '.LOG', '.log.gz', '.txt', '.json', '.'))
      .map(([f, n, e]) => `${f}${n}${e}`),
    fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  );

  test('property: every folder and every extension is covered, by at most one key per folder or extension', async () => {
    await checkProperty(
      'probe sample covers every folder and extension, bounded',
      fc.property(fc.array(key, { maxLength: 200 }), fc.array(key, { maxLength: 2 }), (keys, always) => {
        const sample = probeSample(keys, always);
        const folders = new Set(keys.map(folder));
        const extensions = new Set(keys.map(extension));
        for (const f of folders) expect(sample.some((k) => folder(k) === f)).toBe(true);
        for (const e of extensions) expect(sample.some((k) => extension(k) === e)).toBe(true);
        // Only keys given, each once, the ones always checked first.
        expect(new Set(sample).size).toBe(sample.length);
        const given = new Set([...keys, ...always]);
        for (const k of sample) expect(given.has(k)).toBe(true);
        expect(sample.slice(0, new Set(always).size)).toEqual([...new Set(always)]);
        // Bounded: never more keys than folders and extensions, whatever the number of files.
        expect(sample.length).toBeLessThanOrEqual(new Set(always).size + folders.size + extensions.size);
        expect(probeSample(keys, always)).toEqual(sample);
      }),
      400,
    );
  });

  test('5,000 logs in 50 folders with 3 extensions: a sample of at most 53', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `run/suites/s${i % 10}/t${i % 50}/check-${i}.${['log', 'txt', 'json'][i % 3]}`);
    const sample = probeSample(keys, ['run/index.html']);
    expect(sample.length).toBeLessThanOrEqual(53);
    expect(new Set(sample.map(folder)).size).toBe(51);
  });
});

describe('every key against the bucket policy, before writing', () => {
  const policy = parseBucketPolicy(
    JSON.stringify({
      Statement: [
        { Sid: 'PublicLogs', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/ci/*.log' },
        { Sid: 'PublicJson', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/ci/*/report.json' },
      ],
    }),
  );
  const keys = ['ci/run-1/index.html', 'ci/run-1/a.txt', 'ci/run-1/journal.log', 'ci/run-1/sub/other.log', 'ci/run-1/report.json'];

  test('the keys a statement exposes, not the index page alone', () => {
    const exposed = keysExposedByPolicy(policy, 'bkt', keys);
    expect(exposed.map((e) => [e.key, e.statement.sid])).toEqual([
      ['ci/run-1/journal.log', 'PublicLogs'],
      ['ci/run-1/sub/other.log', 'PublicLogs'],
      ['ci/run-1/report.json', 'PublicJson'],
    ]);
    expect(keysExposedByPolicy(policy, 'other-bucket', keys)).toEqual([]);
  });

  test('the message names each statement and the first key it exposes', () => {
    const text = describeExposure(keysExposedByPolicy(policy, 'bkt', keys), keys.length);
    expect(text).toBe(
      'the bucket policy (statement "PublicLogs") lets anyone read "ci/run-1/journal.log" and 1 more of the 5 key(s) to write; ' +
        'the bucket policy (statement "PublicJson") lets anyone read "ci/run-1/report.json"',
    );
  });
});

describe('a policy for any account holder exposes private logs too (anyone can open an account)', () => {
  const policy = parseBucketPolicy(
    JSON.stringify({
      Statement: [{ Sid: 'AnyAccount', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::*:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/ci/*' }],
    }),
  );

  test('every key is exposed, and the message says to whom', () => {
    const keys = ['ci/run-1/index.html', 'ci/run-1/journal.log'];
    const exposed = keysExposedByPolicy(policy, 'bkt', keys);
    expect(exposed.map((e) => [e.key, e.who])).toEqual([
      ['ci/run-1/index.html', 'authenticated'],
      ['ci/run-1/journal.log', 'authenticated'],
    ]);
    expect(describeExposure(exposed, keys.length)).toBe('the bucket policy (statement "AnyAccount") lets any account holder read "ci/run-1/index.html" and 1 more of the 2 key(s) to write');
  });
});
