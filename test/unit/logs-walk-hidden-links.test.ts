import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { globToRegExp } from '../../src/acl/glob';
import { walkTree } from '../../src/logs/walk';

// A link with an ordinary name must not publish a hidden file or anything under a hidden folder:
// without include-hidden-files, what the link leads to decides, not only the link's own name.
describe('hidden files reached through a symbolic link with an ordinary name', () => {
  const all = { include: [globToRegExp('**', 's')], exclude: [] };

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
