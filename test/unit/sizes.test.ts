// The size rules of eslint.config.js: no file of src/ over 300 lines, no function over 60; the
// files listed as exceptions (none today: the last, src/s3/xml.ts, was split by job) may not grow
// past what they hold, and each is still over a default limit (an entry that is no longer needed
// must go, so the list only shrinks).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(__dirname, '../..');
const SIZE_RULES = ['max-lines', 'max-lines-per-function'];
const configPath = path.join(repoRoot, 'eslint.config.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(configPath);
const configText = fs.readFileSync(configPath, 'utf8');
const listed = (text: string) => [...text.matchAll(/^ {2}'(src\/[^']+)': \[/gm)].map((m) => m[1]!);
const exceptions = listed(configText);

/** The config eslint.config.js gives when its text is `text` (evaluated as the file itself would be). */
function configFrom(text: string): unknown[] {
  const module = { exports: {} as unknown };
  new Function('require', 'module', '__dirname', text)(createRequire(configPath), module, repoRoot);
  return module.exports as unknown[];
}

async function sizeMessages(filePath: string, source: string, withConfig: unknown = config): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot, overrideConfigFile: true, overrideConfig: withConfig as never });
  const [result] = await eslint.lintText(source, { filePath });
  return result!.messages.filter((m) => SIZE_RULES.includes(m.ruleId ?? '')).map((m) => `${m.ruleId}: ${m.message}`);
}

const fn = (name: string, statements: number) => `export function ${name}(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(statements)}  return n;\n}\n`;

test('a new file with a function of 61 lines fails; of 60 passes', async () => {
  expect(await sizeMessages('src/logs/some-new-file.ts', fn('long', 56))).toEqual([]);
  expect(await sizeMessages('src/logs/some-new-file.ts', fn('long', 57))).toEqual([expect.stringMatching(/^max-lines-per-function: Function 'long' has too many lines \(61\)\. Maximum allowed is 60\./)]);
});

test('a new file of 301 lines fails', async () => {
  const source = Array.from({ length: 301 }, (_, i) => `export const v${i} = ${i};`).join('\n');
  expect(await sizeMessages('src/sync/some-new-file.ts', source)).toEqual([expect.stringMatching(/^max-lines: File has too many lines \(301\)\. Maximum allowed is 300\./)]);
});

test('a listed file may not grow: one more line in its longest function fails', async () => {
  // The list is empty today, so an entry is planted in a copy of the config's text: a file of 306
  // lines holding a function of 61, held at what they hold.
  const file = 'src/sync/some-listed-file.ts';
  const source = `${fn('long', 57)}${Array.from({ length: 245 }, (_, i) => `export const v${i} = ${i};`).join('\n')}\n`;
  const planted = configText.replace(/^(const SIZE_EXCEPTIONS = \{\n(?: {2}\/\/.*\n)*)/m, `$1  '${file}': [MAX_FILE + 6, 61],\n`);
  expect(listed(planted)).toEqual([...exceptions, file]);
  const withEntry = configFrom(planted);
  expect(await sizeMessages(file, source)).toEqual([expect.stringMatching(/^max-lines-per-function: .*\(61\)/), expect.stringMatching(/^max-lines: .*\(306\)/)]);
  expect(await sizeMessages(file, source, withEntry)).toEqual([]);
  const grown = source.replace(/(export function long)([^{]*\{)/, '$1$2\n  void 0;');
  expect(grown).not.toBe(source);
  // (The file grows by that line too.)
  expect(await sizeMessages(file, grown, withEntry)).toEqual([expect.stringMatching(/^max-lines-per-function: .*'long' .*\(62\)/), expect.stringMatching(/^max-lines: .*\(307\)/)]);
  expect(await sizeMessages(file, `${source}export const one = 1;\n`, withEntry)).toEqual([expect.stringMatching(/^max-lines: .*\(307\)/)]);
});

test('each listed file is still over a default limit (else take it off the list)', async () => {
  for (const file of exceptions) {
    const defaults = new ESLint({
      cwd: repoRoot,
      overrideConfigFile: true,
      overrideConfig: [
        ...config,
        { files: [file], rules: { 'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }], 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] } },
      ],
    });
    const [result] = await defaults.lintText(fs.readFileSync(path.join(repoRoot, file), 'utf8'), { filePath: file });
    expect([file, result!.messages.filter((m) => SIZE_RULES.includes(m.ruleId ?? '')).length > 0]).toEqual([file, true]);
  }
});

// The list only shrinks, so its length proves nothing: what was read from the text must be exactly
// the files (not globs) the loaded config gives their own size limits.
test('the exception list was read: exactly the files with their own size limits in the config', () => {
  type Entry = { files?: unknown; rules?: Record<string, unknown> };
  const own = (entries: unknown[]) =>
    (entries as Entry[])
      .filter((entry) => entry.rules?.['max-lines'] !== undefined && Array.isArray(entry.files) && entry.files.length === 1)
      .map((entry) => String((entry.files as unknown[])[0]))
      .filter((file) => file.startsWith('src/') && !file.includes('*'));
  expect(exceptions).toEqual(own(config));
  // And the reading would see an entry: one planted in the text is one more file with its own limits.
  const planted = configText.replace(/^(const SIZE_EXCEPTIONS = \{\n(?: {2}\/\/.*\n)*)/m, "$1  'src/s3/xml.ts': [MAX_FILE, 61],\n");
  expect(listed(planted)).toEqual(own(configFrom(planted)));
  expect(listed(planted)).toContain('src/s3/xml.ts');
});
