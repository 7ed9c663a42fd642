/**
 * Each action's README shows the inputs and outputs its action.yml declares: the tables between
 * the marker comments are exactly what `npm run docs` (scripts/action-docs.js) generates. And the
 * script itself: tables in action.yml order, values that render as written, idempotent, one
 * action's problem never hiding another's; and the guides of docs/ show the example workflows they
 * name exactly as the files are.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Change {
  action?: string;
  guide?: string;
  readme: string;
  reason: string;
}
interface ActionDocs {
  escapeText(text: string): string;
  code(value: string): string;
  inputsTable(action: object): string;
  outputsTable(action: object): string;
  render(readme: string, action: object, where?: string): string;
  renderWorkflows(guide: string, read: (file: string) => string, where?: string): string;
  listGuides(root: string): string[];
  readAction(file: string): object;
  listActions(root: string): string[];
  run(o: { root: string; check: boolean }): { changed: Change[]; problems: { action?: string; guide?: string; message: string }[] };
}

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'action-docs.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const docs = require(script) as ActionDocs;

const ACTIONS = docs.listActions(root);

test('the actions are found', () => {
  expect(ACTIONS).toEqual(expect.arrayContaining(['audit-acl', 'download-image', 'mirror-bucket', 'reconcile', 'upload-image', 'upload-logs']));
});

test.each(ACTIONS)('actions/%s/README.md has the tables its action.yml gives', (action) => {
  const readme = path.join(root, 'actions', action, 'README.md');
  if (!fs.existsSync(readme)) throw new Error(`actions/${action} has no README.md: run \`npm run docs\` to create one, then fill it in`);
  const text = fs.readFileSync(readme, 'utf8');
  const want = docs.render(text, docs.readAction(path.join(root, 'actions', action, 'action.yml')), `actions/${action}/README.md`);
  if (want !== text) {
    throw new Error(`actions/${action}/README.md: its inputs or outputs table differs from actions/${action}/action.yml; run \`npm run docs\` and commit the result`);
  }
});

test('`node scripts/action-docs.js --check` passes on the repository, quickly', () => {
  const t0 = Date.now();
  const out = execFileSync(process.execPath, [script, '--check'], { cwd: root, encoding: 'utf8' });
  expect(out).toContain('every action README matches its action.yml');
  expect(Date.now() - t0).toBeLessThan(5000);
});

describe('the tables', () => {
  const action = {
    inputs: {
      stores: { description: 'Stores, one per line.', required: true },
      rules: { description: 'Lines "GLOB public|private"; `*` and _x_ as written.', required: false, default: 'rhel* private\n* public\n' },
      empty: { description: 'Empty by default.', default: '' },
      token: { description: 'A token.', default: '${{ github.token }}' },
      tick: { description: 'Odd.', default: 'a`b' },
      old: { description: 'Old.', deprecationMessage: 'use rules' },
    },
    outputs: { count: { description: 'How many.\nOn two lines.' }, report: { description: 'Path.', value: '${{ steps.x.outputs.report }}' } },
  };

  test('inputs: name, required, default, description, in action.yml order', () => {
    expect(docs.inputsTable(action).split('\n')).toEqual([
      '| input | required | default | description |',
      '| --- | --- | --- | --- |',
      '| `stores` | yes |  | Stores, one per line. |',
      '| `rules` | no | `rhel* private`<br>`* public` | Lines "GLOB public\\|private"; \\`\\*\\` and \\_x\\_ as written. |',
      '| `empty` | no | (empty) | Empty by default. |',
      '| `token` | no | `${{ github.token }}` | A token. |',
      '| `tick` | no | ``a`b`` | Odd. |',
      '| `old` | no | (none) | Old. **Deprecated:** use rules |',
    ]);
  });

  test('outputs: name and description, on one line each', () => {
    expect(docs.outputsTable(action).split('\n')).toEqual(['| output | description |', '| --- | --- |', '| `count` | How many. On two lines. |', '| `report` | Path. |']);
  });

  test('an action with neither says so', () => {
    expect(docs.inputsTable({})).toBe('This action has no inputs.');
    expect(docs.outputsTable({ outputs: null })).toBe('This action has no outputs.');
  });

  test('running text keeps words and links that are not links', () => {
    expect(docs.escapeText('NAME_ACCESS_KEY_ID [SESSION_TOKEN] a|b <x>')).toBe('NAME_ACCESS_KEY_ID [SESSION_TOKEN] a\\|b \\<x\\>');
    expect(docs.escapeText('[text](url) *_TOKEN')).toBe('[text\\](url) \\*\\_TOKEN');
  });

  test('a pipe inside a default stays inside its cell', () => {
    expect(docs.code('a|b')).toBe('`a\\|b`');
  });
});

describe('the README text around the tables', () => {
  const action = { inputs: { a: { description: 'A.', required: true } }, outputs: { b: { description: 'B.' } } };
  const readme = '# x\n\nText.\n\n## Inputs\n\n<!-- inputs:start -->\nold\n<!-- inputs:end -->\n\nMiddle.\n\n<!-- outputs:start --><!-- outputs:end -->\nEnd.\n';

  test('is kept byte for byte; a second run changes nothing', () => {
    const once = docs.render(readme, action);
    expect(once.startsWith('# x\n\nText.\n\n## Inputs\n\n<!-- inputs:start -->\n')).toBe(true);
    expect(once).toContain('| `a` | yes |  | A. |');
    expect(once).not.toContain('\nold\n');
    expect(once).toContain('<!-- inputs:end -->\n\nMiddle.\n\n<!-- outputs:start -->');
    expect(once.endsWith('<!-- outputs:end -->\nEnd.\n')).toBe(true);
    expect(docs.render(once, action)).toBe(once);
  });

  test('CRLF line ends stay CRLF', () => {
    const crlf = docs.render(readme.replace(/\n/g, '\r\n'), action);
    expect(crlf.replace(/\r\n/g, '')).not.toContain('\n');
    expect(docs.render(crlf, action)).toBe(crlf);
  });

  test('a missing, repeated or reversed marker is an error naming the file and the marker', () => {
    expect(() => docs.render('# x\n<!-- outputs:start --><!-- outputs:end -->', action, 'actions/x/README.md')).toThrow(
      'actions/x/README.md: needs exactly one "<!-- inputs:start -->" and one "<!-- inputs:end -->" (found 0 and 0)',
    );
    expect(() => docs.render(`${readme}<!-- inputs:start -->`, action, 'R')).toThrow('found 2 and 1');
    expect(() => docs.render('<!-- inputs:end --><!-- inputs:start --><!-- outputs:start --><!-- outputs:end -->', action, 'R')).toThrow('R: "<!-- inputs:end -->" comes before "<!-- inputs:start -->"');
  });
});

describe('run() over a repository', () => {
  let dir: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  const read = (rel: string) => fs.readFileSync(path.join(dir, rel), 'utf8');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'action-docs-'));
    write('actions/fine/action.yml', "name: fine\ninputs:\n  a:\n    description: 'A.'\n    required: true\noutputs:\n  b:\n    description: 'B.'\nruns:\n  using: node24\n  main: x.js\n");
    write('actions/fine/README.md', '# fine\n<!-- inputs:start --><!-- inputs:end -->\n<!-- outputs:start --><!-- outputs:end -->\n');
    write('actions/new/action.yml', "name: new\ndescription: 'Does new things.'\ninputs:\n  c:\n    description: 'C.'\nruns:\n  using: node24\n  main: x.js\n");
    write('actions/broken/action.yml', 'inputs: [oops\n');
    write('actions/not-an-action/notes.txt', 'nothing');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('check mode names each README to regenerate and each problem, and writes nothing', () => {
    const before = read('actions/fine/README.md');
    const r = docs.run({ root: dir, check: true });
    expect(r.changed).toEqual([
      { action: 'fine', readme: path.join('actions', 'fine', 'README.md'), reason: 'tables differ' },
      { action: 'new', readme: path.join('actions', 'new', 'README.md'), reason: 'missing' },
    ]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.action).toBe('broken');
    expect(r.problems[0]!.message).toContain('not valid YAML');
    expect(read('actions/fine/README.md')).toBe(before);
    expect(fs.existsSync(path.join(dir, 'actions/new/README.md'))).toBe(false);
  });

  test('write mode regenerates, creates a README to fill in, and a second run changes nothing', () => {
    const first = docs.run({ root: dir, check: false });
    expect(first.changed.map((c) => `${c.action}:${c.reason}`)).toEqual(['fine:tables differ', 'new:created']);
    expect(read('actions/fine/README.md')).toContain('| `a` | yes |  | A. |');
    const created = read('actions/new/README.md');
    expect(created).toContain('# `new`\n\nDoes new things.\n');
    expect(created).toContain('| `c` | no | (none) | C. |');
    expect(created).toContain('This action has no outputs.');
    const mtime = fs.statSync(path.join(dir, 'actions/fine/README.md')).mtimeMs;
    const second = docs.run({ root: dir, check: false });
    expect(second.changed).toEqual([]);
    expect(fs.statSync(path.join(dir, 'actions/fine/README.md')).mtimeMs).toBe(mtime);
    expect(docs.run({ root: dir, check: true }).changed).toEqual([]);
  });

  test('a new input in action.yml shows in check mode, then in the table', () => {
    docs.run({ root: dir, check: false });
    const yml = read('actions/fine/action.yml').replace('outputs:', "  added:\n    description: 'Added | later.'\n    default: '8'\noutputs:");
    write('actions/fine/action.yml', yml);
    expect(docs.run({ root: dir, check: true }).changed.map((c) => c.action)).toEqual(['fine']);
    docs.run({ root: dir, check: false });
    expect(read('actions/fine/README.md')).toContain('| `added` | no | `8` | Added \\| later. |');
  });
});

describe('workflows in the guides', () => {
  const files: Record<string, string> = { 'examples/workflows/a.yml': 'name: a\njobs: {}\n', 'examples/workflows/b.yml': 'name: b\r\njobs: {}\r\n\r\n' };
  const read = (f: string) => {
    if (!(f in files)) throw new Error('ENOENT');
    return files[f]!;
  };

  test('each marker gets the file it names, a stale copy is replaced, and a second run changes nothing', () => {
    const guide = 'Intro.\n<!-- workflow: examples/workflows/a.yml -->\n\nText.\n<!-- workflow: examples/workflows/b.yml -->\n```yaml\nold: copy\n```\nEnd.\n';
    const once = docs.renderWorkflows(guide, read);
    expect(once).toBe('Intro.\n<!-- workflow: examples/workflows/a.yml -->\n```yaml\nname: a\njobs: {}\n```\n\nText.\n<!-- workflow: examples/workflows/b.yml -->\n```yaml\nname: b\njobs: {}\n```\nEnd.\n');
    expect(docs.renderWorkflows(once, read)).toBe(once);
  });

  test('a marker naming a file that is not there is an error naming the guide and the file', () => {
    expect(() => docs.renderWorkflows('<!-- workflow: examples/workflows/gone.yml -->\n', read, 'docs/g.md')).toThrow('docs/g.md: examples/workflows/gone.yml, named by a workflow marker, cannot be read');
  });

  test.each(docs.listGuides(root))('%s shows each workflow it names as that file is now', (guide) => {
    const text = fs.readFileSync(path.join(root, guide), 'utf8');
    if (docs.renderWorkflows(text, (f) => fs.readFileSync(path.join(root, f), 'utf8'), guide) !== text) {
      throw new Error(`${guide}: a workflow in it differs from the file it names; run \`npm run docs\``);
    }
  });
});
