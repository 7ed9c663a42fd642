/**
 * Strict command-line parsing. A flag is an input the command's action.yml declares or one of the
 * CLI's own flags; anything else is a usage error that names the closest valid flag, raised before
 * anything runs.
 */
import { quote } from '../config/configuration-error';

/** A command line that cannot run: printed with a pointer to help, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The CLI's own flags; no action input may share their names. */
export const GLOBAL_FLAGS = ['help', 'version', 'verbose', 'summary-file'] as const;
const SHORT: Record<string, string> = { '-h': 'help', '-V': 'version', '-v': 'verbose' };

export interface ParsedArgs {
  readonly command?: string;
  readonly inputs: Map<string, string>;
  readonly verbose: boolean;
  readonly summaryFile?: string;
  readonly help: boolean;
  readonly version: boolean;
}

/**
 * Parses argv. `inputsOf(command)` gives the input names of a known command and undefined for an
 * unknown one, which is a usage error naming the nearest of `commands`. A flag given twice adds a
 * line. A value may follow the flag or be joined to it with `=`; a separate value may not start
 * with `--` (write `--name=--value`), so a forgotten value is not silently the next flag.
 */
export function parseArgs(argv: readonly string[], inputsOf: (command: string) => readonly string[] | undefined, commands: readonly string[] = []): ParsedArgs {
  const inputs = new Map<string, string>();
  let command: string | undefined;
  let verbose = false;
  let help = false;
  let version = false;
  let summaryFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = Object.hasOwn(SHORT, arg) ? SHORT[arg] : arg.startsWith('--') ? arg.slice(2).split('=', 1)[0]! : undefined;
    if (flag === undefined) {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown flag ${quote(arg)}${suggest(arg.replace(/^-+/, ''), [...GLOBAL_FLAGS])}`);
      if (command !== undefined) throw new UsageError(`unexpected argument ${quote(arg)}; inputs are given as --NAME VALUE`);
      if (inputsOf(arg) === undefined) throw new UsageError(`unknown command ${quote(arg)}${suggest(arg, commands, '')}`);
      command = arg;
      continue;
    }
    if (flag === 'help' || flag === 'version' || flag === 'verbose') {
      if (arg.includes('=')) throw new UsageError(`flag --${flag} takes no value`);
      if (flag === 'help') help = true;
      else if (flag === 'version') version = true;
      else verbose = true;
      continue;
    }
    const known = flag === 'summary-file' || (command !== undefined && (inputsOf(command) ?? []).includes(flag));
    if (!known) {
      if (command === undefined) throw new UsageError(`flag --${flag} comes before the command; write ci-stores COMMAND --${flag} VALUE`);
      const names = inputsOf(command)!;
      throw new UsageError(`unknown flag --${flag} for ${command}${suggest(flag, [...names, ...GLOBAL_FLAGS])}`);
    }
    const eq = arg.indexOf('=');
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`flag --${flag} needs a value${next === undefined ? '' : ` (the next argument ${quote(next)} is a flag; write --${flag}=VALUE for a value that starts with --)`}`);
      }
      value = next;
      i++;
    }
    if (flag === 'summary-file') summaryFile = value;
    else inputs.set(flag, inputs.has(flag) ? `${inputs.get(flag)}\n${value}` : value);
  }
  return { command, inputs, verbose, summaryFile, help, version };
}

/** `; did you mean --X?` for the closest candidate within a third of the name's length, else ''. */
export function suggest(name: string, candidates: readonly string[], prefix = '--'): string {
  const best = closest(name, candidates);
  return best === undefined ? '' : `; did you mean ${prefix}${best}?`;
}

/** The candidate nearest to `name` by edit distance, if it is near enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(name) || name.startsWith(c) ? Math.abs(c.length - name.length) : editDistance(name.toLowerCase(), c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
