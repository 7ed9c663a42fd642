/**
 * The command line: flags are exactly the inputs of the action's action.yml; a typo is a usage
 * error (exit 2) before anything runs; help per command; --version; a failure said once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { loadActionSpec, packageVersion, withDefaults, ROOT } from '../../src/cli/action-metadata';
import { closest, editDistance, GLOBAL_FLAGS, parseArgs, UsageError } from '../../src/cli/args';
import { COMMANDS, main } from '../../src/cli/index';
import { checkProperty } from '../helpers/property';

const inputsOf = (command: string) => (Object.hasOwn(COMMANDS, command) ? loadActionSpec(command).inputs.map((i) => i.name) : undefined);

async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const status = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { PATH: process.env.PATH }, cwd });
  return { status, stdout, stderr };
}

/** A workspace with one image and an empty folder store. */
function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  fs.writeFileSync(path.join(dir, 'fedora-42.qcow2'), 'image bytes');
  fs.mkdirSync(path.join(dir, 'store'));
  return { dir, store: `file://${path.join(dir, 'store')}` };
}
const listTree = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

describe('parsing', () => {
  test('flags are inputs; a repeated flag adds a line', () => {
    const a = parseArgs(['upload-image', '--files', 'a.qcow2', '--stores=s3://one', '--stores', 's3://two', '--verbose'], inputsOf);
    expect(a.command).toBe('upload-image');
    expect(a.verbose).toBe(true);
    expect(a.inputs.get('stores')).toBe('s3://one\ns3://two');
    expect(a.inputs.get('files')).toBe('a.qcow2');
  });

  test('a flag without a value and a stray argument are errors', () => {
    expect(() => parseArgs(['upload-image', '--files'], inputsOf)).toThrow(/--files needs a value/);
    expect(() => parseArgs(['upload-image', 'extra'], inputsOf)).toThrow(/unexpected argument "extra"/);
  });

  test.each([
    [['upload-image', '--dryrun', 'true'], /unknown flag --dryrun for upload-image; did you mean --dry-run\?/],
    [['upload-logs', '--prefx', 'x'], /unknown flag --prefx for upload-logs; did you mean --prefix\?/],
    [['mirror-bucket', '--max-deletes', '5'], /unknown flag --max-deletes for mirror-bucket; did you mean --max-delete\?/],
    [['upload-image', '--frobnicate', 'x'], /^unknown flag --frobnicate for upload-image$/],
    [['upload-image', '--dry-run', '--files', 'a'], /flag --dry-run needs a value \(the next argument "--files" is a flag; write --dry-run=VALUE/],
    [['--files', 'a', 'upload-image'], /flag --files comes before the command/],
    [['upload-image', '-x'], /unknown flag "-x"/],
    [['upload-image', '--help=yes'], /flag --help takes no value/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseArgs(argv, inputsOf)).toThrow(UsageError);
    expect(() => parseArgs(argv, inputsOf)).toThrow(message);
  });

  test('a value starting with -- is given with =', () => {
    expect(parseArgs(['upload-logs', '--redact-values=--secret-looking'], inputsOf).inputs.get('redact-values')).toBe('--secret-looking');
  });

  test('no action input takes the name of a CLI flag', () => {
    for (const command of Object.keys(COMMANDS)) {
      for (const flag of GLOBAL_FLAGS) expect(inputsOf(command)).not.toContain(flag);
    }
  });

  test('suggestions: the nearest name, and none when nothing is near', () => {
    expect(editDistance('dryrun', 'dry-run')).toBe(1);
    expect(editDistance('stroes', 'stores')).toBe(1);
    expect(closest('stroes', inputsOf('upload-image')!)).toBe('stores');
    expect(closest('zzzzzzzz', inputsOf('upload-image')!)).toBeUndefined();
  });
});

describe('properties (oracle: grouping the generated pairs by hand)', () => {
  const commands = Object.keys(COMMANDS);
  test('any mix of declared flags and values parses back to the same inputs, in order', async () => {
    const arb = fc.constantFrom(...commands).chain((command) =>
      fc.tuple(
        fc.constant(command),
        fc.array(fc.tuple(fc.constantFrom(...inputsOf(command)!), fc.string({ unit: 'binary' }).filter((v) => !v.startsWith('--')), fc.boolean()), { maxLength: 12 }),
      ),
    );
    await checkProperty(
      'cli: declared flags round-trip',
      fc.property(arb, ([command, pairs]) => {
        const argv = [command, ...pairs.flatMap(([name, value, joined]) => (joined ? [`--${name}=${value}`] : [`--${name}`, value]))];
        const expected = new Map<string, string[]>();
        for (const [name, value] of pairs) expected.set(name, [...(expected.get(name) ?? []), value]);
        const got = parseArgs(argv, inputsOf).inputs;
        expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [name, values] of expected) expect(got.get(name)).toBe(values.join('\n'));
      }),
      300,
    );
  });

  test('any flag the action does not declare is refused, wherever it stands', async () => {
    const arb = fc.tuple(
      fc.constantFrom(...commands),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
      fc.nat(3),
    );
    await checkProperty(
      'cli: undeclared flags refused',
      fc.property(arb, ([command, name, at]) => {
        fc.pre(!inputsOf(command)!.includes(name) && !(GLOBAL_FLAGS as readonly string[]).includes(name));
        const declared = inputsOf(command)!;
        const given = (names: string[]) => names.flatMap((n) => [`--${n}`, 'v']);
        const argv = [command, ...given(declared.slice(0, at)), `--${name}`, 'value', ...given(declared.slice(at, at + 2))];
        expect(() => parseArgs(argv, inputsOf)).toThrow(new RegExp(`unknown flag --${name} for ${command}`));
      }),
      400,
    );
  });
});

describe('running', () => {
  test('a typo in a flag is exit 2 with nothing written; the same run spelled right writes', async () => {
    const ws = workspace();
    const typo = await run(['upload-image', '--files', 'fedora-42.qcow2', '--stores', ws.store, '--dryrun', 'true'], ws.dir);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toBe('ci-stores: unknown flag --dryrun for upload-image; did you mean --dry-run?\nsee ci-stores upload-image --help for its inputs\n');
    expect(typo.stdout).toBe('');
    expect(listTree(path.join(ws.dir, 'store'))).toEqual([]);
    const right = await run(['upload-image', '--files', 'fedora-42.qcow2', '--stores', ws.store], ws.dir);
    expect(right.stderr).not.toMatch(/error/);
    expect(right.status).toBe(0);
    expect(listTree(path.join(ws.dir, 'store'))).toContain('fedora-42.qcow2');
  });

  test('a failure is said once, in plain text; the markdown summary only goes to --summary-file', async () => {
    const ws = workspace();
    const plain = await run(['upload-image', '--files', 'missing.qcow2', '--stores', ws.store], ws.dir);
    expect(plain.status).toBe(1);
    expect(plain.stderr.match(/no such file/g)).toHaveLength(1);
    expect(plain.stderr).not.toContain('[!CAUTION]');
    expect(plain.stderr).not.toContain('## upload-image');
    const summaryFile = path.join(ws.dir, 'summary.md');
    const withFile = await run(['upload-image', '--files', 'missing.qcow2', '--stores', ws.store, '--summary-file', summaryFile], ws.dir);
    expect(withFile.status).toBe(1);
    expect(withFile.stderr.match(/no such file/g)).toHaveLength(1);
    expect(fs.readFileSync(summaryFile, 'utf8')).toMatch(/^## upload-image\n\n> \[!CAUTION\]\n> input "files": "missing.qcow2"/);
  });

  test('--version prints the package version', async () => {
    const out = await run(['--version'], os.tmpdir());
    expect(out).toEqual({ status: 0, stdout: `ci-stores ${packageVersion()}\n`, stderr: '' });
    expect(packageVersion()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    expect((await run(['upload-image', '-V'], os.tmpdir())).stdout).toBe(out.stdout);
  });

  test('COMMAND --help lists every input with its default and every output; each command its own', async () => {
    const texts = new Set<string>();
    for (const command of Object.keys(COMMANDS)) {
      const out = await run([command, '--help'], os.tmpdir());
      expect(out.status).toBe(0);
      const spec = loadActionSpec(command);
      expect(spec.inputs.length).toBeGreaterThan(3);
      for (const input of spec.inputs) expect(out.stdout).toContain(`  --${input.name} VALUE`);
      for (const output of spec.outputs) expect(out.stdout).toMatch(new RegExp(`^  ${output.name}$`, 'm'));
      expect(out.stdout).toContain(`usage: ci-stores ${command} `);
      texts.add(out.stdout);
    }
    expect(texts.size).toBe(Object.keys(COMMANDS).length);
    const upload = (await run(['upload-image', '--help'], os.tmpdir())).stdout;
    expect(upload).toMatch(/ {2}--files VALUE {2}\(required\)\n/);
    expect(upload).toMatch(/--visibility-rules VALUE\n[\s\S]*?\n {6}default: rhel\* private \| \* public\n/);
    expect((await run(['upload-logs', '--help'], os.tmpdir())).stdout).toMatch(/--github-token VALUE\n[\s\S]*?default: \$\{\{ github\.token \}\} \(in a workflow; empty on the command line\)\n/);
  });

  test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('%s, a name every object has, is an unknown command', async (name) => {
    const out = await run([name, '--files', 'x'], os.tmpdir());
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(new RegExp(`^ci-stores: unknown command "${name}"`));
    expect((await run(['upload-image', name], os.tmpdir())).stderr).toMatch(/unexpected argument/);
  });

  test('an unknown command names the nearest; no command is a usage error, --help is not', async () => {
    const typo = await run(['upload-imgae'], os.tmpdir());
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/unknown command "upload-imgae"; did you mean upload-image\?/);
    expect((await run([], os.tmpdir())).status).toBe(2);
    const help = await run(['--help'], os.tmpdir());
    expect(help.status).toBe(0);
    for (const command of Object.keys(COMMANDS)) expect(help.stdout).toContain(`  ${command} `);
  });
});

describe('defaults', () => {
  test('the runner\'s defaults from action.yml, except ${{ }} expressions; a given input wins', () => {
    const spec = loadActionSpec('upload-logs');
    const inputs = withDefaults(spec, new Map([['prefix', 'mine/{run_id}']]));
    expect(inputs.get('prefix')).toBe('mine/{run_id}');
    for (const input of spec.inputs) {
      if (input.name === 'prefix') continue;
      if (input.shownDefault?.includes('${{')) expect(inputs.has(input.name)).toBe(false);
      else expect(inputs.get(input.name)).toBe(input.shownDefault);
    }
    expect(spec.inputs.find((i) => i.name === 'github-token')?.shownDefault).toContain('${{');
  });

  test('an action.yml that cannot be read is an error naming the file', () => {
    expect(() => loadActionSpec('upload-image', os.tmpdir())).toThrow(/cannot read the inputs of upload-image from .*action\.yml/);
  });
});
