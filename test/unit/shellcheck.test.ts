/**
 * shellcheck over every shell script of the repository: each `run:` of the workflows, the example
 * workflows and the composite action.yml files (as bash, `${{ ... }}` replaced by a plain word so
 * the expression does not read as shell), and the repository's own bash scripts. A finding fails
 * the test naming the file and line. shellcheck is a Debian package that `scripts/test` installs;
 * without it this test fails rather than skips, so a machine without it cannot pass by accident.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTION_FILES, ROOT, WORKFLOWS, runBlocks, type RunBlock } from '../helpers/workflow-files';

const INSTALL = 'shellcheck is not installed: run `scripts/rgw install shellcheck` (or `apt-get install shellcheck`); `scripts/test` installs it';

function shellcheckVersion(): string | undefined {
  const r = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? /version: (\S+)/.exec(r.stdout)?.[1] : undefined;
}

/** shellcheck's findings as "LINE:COL: level: message [SCnnnn]" lines (gcc format), line numbers relative to the script. */
function shellcheck(args: string[], input?: string): { line: number; text: string }[] {
  const r = spawnSync('shellcheck', ['--format=gcc', '--external-sources', ...args], { cwd: ROOT, input, encoding: 'utf8' });
  if (r.error) throw new Error(`${INSTALL} (${r.error.message})`);
  if (r.status !== 0 && r.stdout.trim() === '') throw new Error(`shellcheck failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(.*?):(\d+):(\d+): (.*)$/.exec(l);
      if (!m) return { line: 0, text: l };
      return { line: Number(m[2]), text: `${m[1] === '-' ? '' : `${m[1]}:`}${m[2]}:${m[3]}: ${m[4]}` };
    });
}

/** An expression becomes one word of the same length, so columns in messages still point at the file. */
const withoutExpressions = (script: string): string => script.replace(/\$\{\{[\s\S]*?\}\}/g, (e) => `_${'x'.repeat(Math.max(0, e.length - 2))}_`);

const FILES = [...WORKFLOWS, ...ACTION_FILES];
const BLOCKS: RunBlock[] = FILES.flatMap((f) => runBlocks(f).blocks);

test('shellcheck is installed', () => {
  expect(shellcheckVersion() ?? INSTALL).toMatch(/^\d+\.\d+/);
});

test('every run: block is found, with its line', () => {
  for (const file of FILES) {
    const { blocks, scannedLines } = runBlocks(file);
    // The scan of the lines and the parsed document must see the same run: keys, in the same order.
    expect([file, scannedLines.length]).toEqual([file, blocks.length]);
    for (const b of blocks) {
      const first = b.script.split('\n')[0]!.trim();
      expect([file, b.line, fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')[b.line - 1]!.includes(first.slice(0, 20))]).toEqual([file, b.line, true]);
    }
  }
  // Every workflow but the smallest has scripts; the composites do.
  expect(BLOCKS.length).toBeGreaterThanOrEqual(10);
});

test.each(BLOCKS.map((b) => [`${b.file}:${b.line} (${b.where})`, b] as const))('run: block %s passes shellcheck', (_name, block) => {
  if (!/^(bash|sh)\b/.test(block.shell)) return; // pwsh, python, ...: not shell
  const dialect = block.shell.startsWith('sh') ? 'sh' : 'bash';
  const findings = shellcheck(['--shell', dialect, '-'], withoutExpressions(block.script));
  // Each finding as FILE:LINE:COL in the YAML file: the script's line n is the file's line + n - 1,
  // shifted right by what stands before it on that line (the indentation, or `- run: `).
  const fileLines = fs.readFileSync(path.join(ROOT, block.file), 'utf8').split('\n');
  const scriptLines = block.script.split('\n');
  const at = (f: { line: number; text: string }) => {
    const line = block.line + f.line - 1;
    const [fileText, scriptText] = [fileLines[line - 1] ?? '', scriptLines[f.line - 1] ?? ''];
    const shift = scriptText.trim() !== '' ? Math.max(0, fileText.indexOf(scriptText)) : 0;
    const m = /^\d+:(\d+): (.*)$/.exec(f.text);
    return m ? `${block.file}:${line}:${Number(m[1]) + shift}: ${m[2]}` : `${block.file}:${line}: ${f.text}`;
  };
  expect(findings.map(at)).toEqual([]);
});

const SCRIPTS = [
  ...fs
    .readdirSync(path.join(ROOT, 'scripts'))
    .map((f) => `scripts/${f}`)
    .filter((f) => fs.statSync(path.join(ROOT, f)).isFile() && /^#!.*\b(bash|sh)\b/.test(fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n')[0]!)),
  '.ci/run',
];

test('the repository scripts list holds the bash scripts', () => {
  expect(SCRIPTS).toEqual(expect.arrayContaining(['scripts/rgw', 'scripts/test', 'scripts/demo', '.ci/run']));
});

test.each(SCRIPTS)('%s passes shellcheck', (script) => {
  expect(shellcheck([script]).map((f) => f.text)).toEqual([]);
});
