/**
 * Every YAML file GitHub reads from this repository parses: the workflows, the example workflows
 * the READMEs point users to, and each action.yml. GitHub refuses a file that does not parse, so an
 * example that is not YAML (a `run:` line holding ': ', say) is a broken example, found here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';

const root = path.resolve(__dirname, '..', '..');
const inDir = (dir: string) => (fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f)) : []);
const FILES = [
  ...inDir('.github/workflows'),
  ...inDir('examples/workflows'),
  'action.yml',
  ...fs.readdirSync(path.join(root, 'actions')).map((a) => path.join('actions', a, 'action.yml')).filter((f) => fs.existsSync(path.join(root, f))),
];

test('the list of files is not empty', () => {
  expect(FILES.filter((f) => f.startsWith('examples/')).length).toBeGreaterThanOrEqual(4);
  expect(FILES.filter((f) => f.startsWith('actions/')).length).toBeGreaterThanOrEqual(6);
});

test.each(FILES)('%s is YAML that parses to a mapping', (file) => {
  const doc = load(fs.readFileSync(path.join(root, file), 'utf8'), { filename: file });
  expect(typeof doc).toBe('object');
  expect(doc).not.toBeNull();
  if (file.includes('workflows/')) expect(doc).toHaveProperty('jobs');
  else expect(doc).toHaveProperty('runs');
});
