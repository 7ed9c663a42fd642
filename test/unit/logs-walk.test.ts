import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { globToRegExp } from '../../src/acl/glob';
import { isHiddenName, unusableName, walkTree, type WalkResult } from '../../src/logs/walk';

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

describe('hidden files and folders', () => {
  const HIDDEN_TREE = {
    '.git/config': '[remote "origin"]\n',
    '.git/objects/ab/cdef': 'blob',
    '.env': 'TOKEN=x\n',
    '.hidden/x.log': 'hidden log\n',
    '.hidden-file.log': 'x\n',
    'a.log': 'a\n',
    'sub/.secret': 's\n',
    'sub/.ssh/id_ed25519': 'key\n',
    'sub/ok.log': 'ok\n',
    'not.hidden/x.log': 'x\n',
  };

  test('are left out by default, each named once: a folder as "name/", in key order', async () => {
    const r = walked(await walkTree(tree(HIDDEN_TREE), all));
    expect(r.files.map((f) => f.rel)).toEqual(['a.log', 'not.hidden/x.log', 'sub/ok.log']);
    expect(r.hidden).toEqual(['.env', '.git/', '.hidden-file.log', '.hidden/', 'sub/.secret', 'sub/.ssh/']);
    expect(r.skipped).toEqual([]);
  });

  test('include-hidden-files takes every one of them, and lists none as left out', async () => {
    const r = walked(await walkTree(tree(HIDDEN_TREE), { ...all, includeHidden: true }));
    expect(r.files.map((f) => f.rel)).toEqual(Object.keys(HIDDEN_TREE).sort());
    expect(r.hidden).toEqual([]);
  });

  test('a hidden folder is not walked at all: an escaping link, a socket and a bad name inside it change nothing', async () => {
    const dir = tree({ 'a.log': '', '.git/HEAD': 'ref\n' });
    fs.symlinkSync('/etc/passwd', path.join(dir, '.git', 'leak.log'));
    fs.writeFileSync(path.join(dir, '.git', 'bad\nname.log'), '');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(path.join(dir, '.git', 'sock'), r));
    try {
      const r = walked(await walkTree(dir, all));
      expect(r.files.map((f) => f.rel)).toEqual(['a.log']);
      expect([r.hidden, r.skipped, r.unusable]).toEqual([['.git/'], [], []]);
      // Walked when asked for: the link leaving the directory then stops the run.
      await expect(walkTree(dir, { ...all, includeHidden: true })).rejects.toThrow(/"\.git\/leak\.log" is a symbolic link to "\/etc\/passwd", outside the directory/);
    } finally {
      server.close();
    }
  });

  test('a hidden link leading outside is left out before it is followed', async () => {
    const dir = tree({ 'a.log': '' });
    fs.symlinkSync('/etc/passwd', path.join(dir, '.passwd'));
    const r = walked(await walkTree(dir, all));
    expect([r.files.map((f) => f.rel), r.hidden]).toEqual([['a.log'], ['.passwd']]);
  });

  test('a hidden file counts as left out only when include and exclude would have taken it; a hidden folder always', async () => {
    const r = walked(await walkTree(tree(HIDDEN_TREE), { include: [globToRegExp('**/*.log', 's')], exclude: [globToRegExp('sub/**', 's')] }));
    expect(r.files.map((f) => f.rel)).toEqual(['a.log', 'not.hidden/x.log']);
    expect(r.hidden).toEqual(['.git/', '.hidden-file.log', '.hidden/', 'sub/.ssh/']);
  });

  test('an include glob that names a hidden path does not take it without include-hidden-files', async () => {
    const dir = tree(HIDDEN_TREE);
    const include = [globToRegExp('.hidden/**', 's')];
    const r = walked(await walkTree(dir, { include, exclude: [] }));
    expect([r.files, r.hidden]).toEqual([[], ['.git/', '.hidden/', 'sub/.ssh/']]);
    expect(walked(await walkTree(dir, { include, exclude: [], includeHidden: true })).files.map((f) => f.rel)).toEqual(['.hidden/x.log']);
  });

  test('hidden means a name starting with "."', () => {
    for (const n of ['.git', '.env', '.a.log', '..x', '.']) expect([n, isHiddenName(n)]).toEqual([n, true]);
    for (const n of ['a.log', 'not.hidden', ' .x', 'x.', '\u2024env']) expect([n, isHiddenName(n)]).toEqual([n, false]);
  });
});
