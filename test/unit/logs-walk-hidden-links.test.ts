import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { globToRegExp } from '../../src/acl/glob';
import { walkTree } from '../../src/logs/walk';
import fc from 'fast-check';
import { checkProperty } from '../helpers/property';

// A link with an ordinary name must not publish a hidden file or anything under a hidden folder:
// without include-hidden-files, what the link leads to decides, not only the link's own name.
const all = { include: [globToRegExp('**', 's')], exclude: [] };

describe('hidden files reached through a symbolic link with an ordinary name', () => {

  function tree(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walk-hidden-link-'));
    fs.writeFileSync(path.join(dir, 'test.log'), 'ok\n');
    fs.writeFileSync(path.join(dir, '.env'), 'TOKEN=not-a-real-secret\n');
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, '.git', 'config'), '[remote "origin"]\n');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.symlinkSync('.env', path.join(dir, 'env.txt'));
    fs.symlinkSync('../.git/config', path.join(dir, 'sub', 'gitconfig.txt'));
    return dir;
  }

  test('is left out by default', async () => {
    const r = await walkTree(tree(), all);
    if (r.kind !== 'walked') throw new Error('missing');
    expect(r.files.map((f) => f.rel)).toEqual(['test.log']);
  });

  test('is taken with include-hidden-files', async () => {
    const r = await walkTree(tree(), { ...all, includeHidden: true });
    if (r.kind !== 'walked') throw new Error('missing');
    expect(r.files.map((f) => f.rel)).toEqual(expect.arrayContaining(['env.txt', 'sub/gitconfig.txt', 'test.log']));
  });
});

test('a link to an excluded path is excluded as its target would be', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walk-excluded-link-'));
  fs.writeFileSync(path.join(dir, 'id.key'), 'not a real key\n');
  fs.writeFileSync(path.join(dir, 'test.log'), 'ok\n');
  fs.symlinkSync('id.key', path.join(dir, 'notes.txt'));
  const r = await walkTree(dir, { include: [globToRegExp('**', 's')], exclude: [globToRegExp('**/*.key', 's')] });
  if (r.kind !== 'walked') throw new Error('missing');
  expect(r.files.map((f) => f.rel)).toEqual(['test.log']);
});

// Oracle: what the platform says each taken file really is (realpath), judged by a segment check
// written here. Trees of plain and hidden files and folders, and links of ordinary or hidden names
// to any of them, one or two levels deep.
test('property: nothing taken is, or lies under, a hidden path, whatever links lead there', async () => {
  const seg = fc.oneof(fc.constantFrom('a', 'b', 'logs', 'x.log', 'env.txt'), fc.constantFrom('.env', '.git', '.ssh', '.h.log'));
  const arb = fc.record({
    files: fc.uniqueArray(fc.array(seg, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8, selector: (p) => p.join('/') }),
    links: fc.array(fc.tuple(fc.array(seg, { minLength: 1, maxLength: 2 }), fc.nat()), { maxLength: 6 }),
  });
  const hiddenSegment = (rel: string) => rel.split('/').some((s) => s.startsWith('.'));
  await checkProperty(
    'walk: no hidden path published, links included',
    fc.asyncProperty(arb, async ({ files, links }) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walk-prop-'));
      const made: string[] = [];
      for (const parts of files) {
        const rel = parts.join('/');
        try {
          fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
          fs.writeFileSync(path.join(dir, rel), rel);
          made.push(rel);
        } catch {
          // a path that is a folder of another path already: skip it
        }
      }
      fc.pre(made.length > 0);
      for (const [parts, pick] of links) {
        const rel = parts.join('/');
        const target = made[pick % made.length]!;
        try {
          fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
          fs.symlinkSync(path.relative(path.dirname(path.join(dir, rel)), path.join(dir, target)), path.join(dir, rel));
        } catch {
          // the name is taken: no link
        }
      }
      const r = await walkTree(dir, all);
      if (r.kind !== 'walked') throw new Error('missing');
      const root = fs.realpathSync(dir);
      for (const f of r.files) {
        const real = path.relative(root, fs.realpathSync(f.path)).split(path.sep).join('/');
        expect([f.rel, hiddenSegment(f.rel) || hiddenSegment(real)]).toEqual([f.rel, false]);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }),
    150,
  );
});
