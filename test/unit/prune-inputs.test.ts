/**
 * The inputs of prune: the keep rule and match, and the stores (each bucket and prefix once). The
 * engine is in prune-engine.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError } from '../../src/config/configuration-error';
import { readPruneInputs } from '../../src/actions/prune/inputs';
import { quietHost } from '../helpers/quiet-host';

const IMAGE = '(?<group>fedora-\\d+)-[0-9a-f]+\\.qcow2';

describe('inputs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-inputs-'));
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'fedora-42-01.qcow2\n');
  fs.writeFileSync(path.join(dir, 'empty.txt'), '# nothing\n');
  const read = (inputs: Record<string, string>) => readPruneInputs(quietHost({ stores: 's3://images/fedora/', ...inputs }, { cwd: dir }));

  test('defaults: a dry run, max-delete 1000, no backup', () => {
    const i = read({ 'keep-newest': '7', match: IMAGE });
    expect(i).toMatchObject({ dryRun: true, maxDelete: 1000, backupPrefix: undefined, rule: { kind: 'newest', count: 7 } });
    expect(read({ 'keep-list': 'keep.txt', match: IMAGE, 'max-delete': 'none', 'backup-prefix': 'pruned' })).toMatchObject({ maxDelete: undefined, backupPrefix: 'pruned/', rule: { kind: 'list' } });
  });

  test.each([
    ['s3://images/\ns3://images/fedora/', 's3://images/', 's3://images/fedora/'],
    ['s3://images/fedora/ name=a\ns3://images/fedora/ name=b', 's3://images/fedora/', 's3://images/fedora/'],
    ['https://images.s3.us-east-1.amazonaws.com/fedora/x/\ns3://images/fedora/ region=eu-west-1', 'https://images.s3.us-east-1.amazonaws.com/fedora/x/', 's3://images/fedora/'],
    ['https://us-east-1.linodeobjects.com/images/\nhttps://images.us-east-1.linodeobjects.com/fedora/', 'https://us-east-1.linodeobjects.com/images/', 'https://images.us-east-1.linodeobjects.com/fedora/'],
  ])('two stores in one bucket with one prefix inside the other are refused: %j', (stores, first, second) => {
    expect(() => read({ stores, 'keep-newest': '7', match: IMAGE })).toThrow(ConfigurationError);
    expect(() => read({ stores, 'keep-newest': '7', match: IMAGE })).toThrow(`input "stores": "${first}" and "${second}" are the same bucket with one prefix inside the other (or the same); allowed: each bucket and prefix once, with prefixes that do not contain one another`);
  });

  test('stores in different buckets, or in disjoint prefixes of one bucket, are fine', () => {
    expect(read({ stores: 's3://images/fedora/\ns3://images/fedora-old/\ns3://other/fedora/\nhttps://images.us-east-1.linodeobjects.com/fedora/', 'keep-newest': '7', match: IMAGE }).stores).toHaveLength(4);
  });

  test.each([
    [{}, /^inputs "keep-newest" and "keep-list": neither was given; allowed: /],
    [{ 'keep-newest': '7', 'keep-list': 'keep.txt', match: IMAGE }, /^inputs "keep-newest" and "keep-list": both were given \("7" and "keep.txt"\); allowed: one of the two$/],
    [{ 'keep-newest': '7' }, /^input "match": empty, but keep-newest needs it/],
    [{ 'keep-list': 'keep.txt' }, /^input "match": empty, so every key of the stores would be a candidate and deleted unless the keep list names it; allowed: a regular expression for the keys that may be pruned, such as \[\^\/\]\+\\\.qcow2, or \.\* for every key$/],
    [{ 'keep-newest': '0', match: IMAGE }, /^input "keep-newest": "0" is not allowed; allowed: a whole number from 1 to 100000$/],
    [{ 'keep-newest': 'seven', match: IMAGE }, /^input "keep-newest": "seven" is not allowed/],
    [{ 'keep-newest': '7', match: '(' }, /^input "match": "\(" is not a regular expression/],
    [{ 'keep-list': 'missing.txt' }, /^input "keep-list": "missing.txt" cannot be read \(ENOENT\); allowed: /],
    [{ 'keep-list': 'empty.txt' }, /^input "keep-list": file "empty.txt": the keep list names nothing/],
    [{ 'keep-list': 'keep.txt', match: IMAGE, 'dry-run': 'yes' }, /^input "dry-run": "yes" is not allowed; allowed: true, false$/],
    [{ 'keep-list': 'keep.txt', match: IMAGE, 'max-delete': '-1' }, /^input "max-delete": "-1" is not allowed; allowed: a whole number/],
    [{ 'keep-list': 'keep.txt', match: IMAGE, 'backup-prefix': '../x' }, /^input "backup-prefix": "..\/x" is not allowed; allowed: a key prefix/],
  ])('%j is refused, naming the input, the value and what is allowed', (inputs, message) => {
    expect(() => read(inputs)).toThrow(ConfigurationError);
    expect(() => read(inputs)).toThrow(message);
  });
});
