import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { globToRegExp } from '../../src/acl/glob';
import { unusableName, walkTree, type WalkResult } from '../../src/logs/walk';

const all = { include: [globToRegExp('**', 's')], exclude: [] };

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walk-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

function walked(r: WalkResult) {
  if (r.kind !== 'walked') throw new Error('missing');
  return r;
}

describe('walking a logs directory', () => {
  test('relative keys keep spaces, non-ASCII names and nesting; sorted in key order; sizes known', async () => {
    const dir = tree({ 'b.log': 'bb', 'a dir/ünï 日本.txt': 'x', 'a dir/sub/deep+%#.log': '123', 'Z.txt': '' });
    const r = walked(await walkTree(dir, all));
    expect(r.files.map((f) => [f.rel, f.size])).toEqual([
      ['Z.txt', 0],
      ['a dir/sub/deep+%#.log', 3],
      ['a dir/ünï 日本.txt', 1],
      ['b.log', 2],
    ]);
    expect(r.files[1]!.path).toBe(path.join(fs.realpathSync(dir), 'a dir', 'sub', 'deep+%#.log'));
  });

  test('include and exclude globs match relative paths', async () => {
    const dir = tree({ 'a.log': '', 'b.txt': '', 'sub/c.log': '', 'sub/core.dump': '' });
    const r = walked(await walkTree(dir, { include: [globToRegExp('**/*.log'), globToRegExp('sub/**')], exclude: [globToRegExp('**/*.dump')] }));
    expect(r.files.map((f) => f.rel)).toEqual(['a.log', 'sub/c.log']);
  });

  test('a missing directory is reported as such; a file is not a directory', async () => {
    expect(await walkTree('/nonexistent/logs', all)).toEqual({ kind: 'missing', dir: '/nonexistent/logs' });
    const dir = tree({ 'f.txt': '' });
    await expect(walkTree(path.join(dir, 'f.txt'), all)).rejects.toThrow(/"[^"]*f.txt" is not a directory/);
  });

  test('a symbolic link inside the directory is followed; one leading outside stops the walk', async () => {
    const dir = tree({ 'real.log': 'data', 'sub/x.log': '' });
    fs.symlinkSync('real.log', path.join(dir, 'link.log'));
    fs.symlinkSync('sub', path.join(dir, 'dirlink'));
    fs.symlinkSync('nothing-here', path.join(dir, 'dangling'));
    const r = walked(await walkTree(dir, all));
    expect(r.files.map((f) => [f.rel, f.size])).toEqual([
      ['link.log', 4],
      ['real.log', 4],
      ['sub/x.log', 0],
    ]);
    expect(r.skipped.map((s) => s.rel).sort()).toEqual(['dangling', 'dirlink']);

    const outside = tree({ 'secret.key': 'k' });
    fs.symlinkSync(path.join(outside, 'secret.key'), path.join(dir, 'sub', 'escape.log'));
    await expect(walkTree(dir, all)).rejects.toThrow(/"sub\/escape.log" is a symbolic link to "[^"]*secret.key", outside the directory; nothing was uploaded/);
  });

  test('a dangling link whose text leads outside still counts as leaving', async () => {
    const dir = tree({ 'a.log': '' });
    fs.symlinkSync('../../gone/elsewhere', path.join(dir, 'x'));
    await expect(walkTree(dir, all)).rejects.toThrow(/outside the directory/);
  });

  test('an escaping link that is excluded does not matter', async () => {
    const dir = tree({ 'a.log': '' });
    fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    const r = walked(await walkTree(dir, { include: [globToRegExp('*.log')], exclude: [] }));
    expect(r.files.map((f) => f.rel)).toEqual(['a.log']);
  });

  test('a directory reached through a symlinked root is walked by its real path', async () => {
    const dir = tree({ 'a.log': '' });
    const alias = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'alias-')), 'logs');
    fs.symlinkSync(dir, alias);
    expect(walked(await walkTree(alias, all)).files.map((f) => f.rel)).toEqual(['a.log']);
  });

  test('sockets are skipped; names that cannot be keys are reported', async () => {
    const dir = tree({ 'ok.log': '', 'bad\nname.log': '' });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(path.join(dir, 'sock'), r));
    try {
      const r = walked(await walkTree(dir, all));
      expect(r.files.map((f) => f.rel)).toEqual(['ok.log']);
      expect(r.skipped).toEqual([{ rel: 'sock', reason: expect.stringMatching(/not a regular file/) }]);
      expect(r.unusable).toEqual([{ rel: 'bad\nname.log', reason: expect.stringMatching(/control character/) }]);
    } finally {
      server.close();
    }
  });

  test('names that cannot be keys', () => {
    expect(unusableName('fine/ünï code+%#.log')).toBeUndefined();
    expect(unusableName('tab\there')).toMatch(/control character/);
    expect(unusableName('bad\ufffd')).toMatch(/not valid UTF-8/);
    expect(unusableName('x'.repeat(1025))).toMatch(/longer than 1,024 bytes/);
  });
});
