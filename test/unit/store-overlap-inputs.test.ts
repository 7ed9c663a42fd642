/**
 * One rule for stores that see each other's objects, used by prune (`stores`) and mirror-bucket
 * (`source` and `destination`): the same bucket at one endpoint (an AWS bucket in any region, a
 * provider's path-style and virtual-hosted forms alike) with one prefix inside the other, or the
 * same folder tree; both inputs say it with the same words.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError } from '../../src/config/configuration-error';
import { readMirrorBucketInputs } from '../../src/steps/mirror-bucket/inputs';
import { readPruneInputs } from '../../src/actions/prune/inputs';
import { quietHost } from '../helpers/quiet-host';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-place-'));
const mirror = (source: string, destination: string) => () => readMirrorBucketInputs(quietHost({ source, destination }, { cwd: dir }));
const prune = (a: string, b: string) => () => readPruneInputs(quietHost({ stores: `${a}\n${b}`, 'keep-newest': '2', match: '(a)' }, { cwd: dir }));

const OVERLAPPING: readonly [string, string][] = [
  ['s3://images/', 's3://images/fedora/'],
  ['s3://images/fedora/ name=a', 's3://images/fedora/ name=b'],
  // One AWS bucket, whatever region each store names: bucket names are global.
  ['https://images.s3.us-east-1.amazonaws.com/fedora/x/', 's3://images/fedora/ region=eu-west-1'],
  ['s3://images/fedora/ region=us-east-1', 's3://images/ region=eu-west-1'],
  // A provider's path-style and virtual-hosted forms of one bucket.
  ['https://us-east-1.linodeobjects.com/images/', 'https://images.us-east-1.linodeobjects.com/fedora/'],
];

test.each(OVERLAPPING)('mirror-bucket and prune refuse %s with %s in the same words', (a, b) => {
  const what = `"${a.split(' ')[0]}" and "${b.split(' ')[0]}" are the same bucket with one prefix inside the other`;
  expect(mirror(a, b)).toThrow(ConfigurationError);
  expect(mirror(a, b)).toThrow(`inputs "source" and "destination": ${what}; give two separate places`);
  expect(prune(a, b)).toThrow(`input "stores": ${what} (or the same); allowed: each bucket and prefix once, with prefixes that do not contain one another`);
});

test('folders: the same tree or one inside the other is refused; mixed kinds and separate places are fine', () => {
  const a = `file://${path.join(dir, 'a')}`;
  expect(mirror(a, `${a}/b`)).toThrow(`inputs "source" and "destination": "${a}" and "${a}/b" are the same folder or one is inside the other; give two separate places`);
  expect(mirror(`${a}/`, a)).toThrow(/are the same folder or one is inside the other/);
  expect(mirror(a, `${a}-b`)().destination.kind).toBe('file');
  expect(mirror(a, 's3://images/')().destination.kind).toBe('s3');
  expect(mirror('s3://images/fedora/', 's3://images/fedora-old/')().source.kind).toBe('s3');
  expect(mirror('s3://images/', 'https://us-east-1.linodeobjects.com/images/')().source.kind).toBe('s3');
});
