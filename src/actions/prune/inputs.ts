/** The inputs of `prune`, parsed once into one readonly object. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, quote } from '../../config/configuration-error';
import type { Host } from '../../runtime/host';
import { parseBoolean, parseInput, parseIntInRange, parseReportPath } from '../../runtime/inputs';
import { readStoreInputs } from '../../runtime/store-inputs';
import { overlapProblem } from '../../storage/store-place';
import type { StoreSpec } from '../../storage/store-spec';
import { compileMatch, parseKeepList, type KeepRule, type KeyMatcher } from '../../prune/keep-rule';

export interface PruneInputs {
  readonly stores: readonly StoreSpec[];
  readonly match: KeyMatcher;
  readonly rule: KeepRule;
  /** The keep list's path as given, for messages; undefined with keep-newest. */
  readonly keepListPath?: string;
  readonly dryRun: boolean;
  /** `undefined`: no limit. */
  readonly maxDelete?: number;
  readonly backupPrefix?: string;
  readonly reportPath: string;
}

/** The most objects keep-newest may keep per group. */
export const MAX_KEEP = 100_000;

export function readPruneInputs(host: Host): PruneInputs {
  const stores = readStoreInputs(host);
  checkDisjoint(stores);
  const match = parseInput(host, 'match', compileMatch);
  const keepNewest = parseInput(host, 'keep-newest', (v) => (v === '' ? undefined : parseIntInRange(1, MAX_KEEP)(v)));
  const keepList = parseInput(host, 'keep-list', (v) => (v === '' ? undefined : readKeepList(v, host.cwd)));
  if (keepNewest === undefined && keepList === undefined) {
    throw new ConfigurationError('inputs "keep-newest" and "keep-list": neither was given; allowed: keep-newest (a number of objects to keep per group) or keep-list (a file naming the keys to keep), one of the two');
  }
  if (keepNewest !== undefined && keepList !== undefined) {
    throw new ConfigurationError(`inputs "keep-newest" and "keep-list": both were given (${quote(String(keepNewest))} and ${quote(keepList.path)}); allowed: one of the two`);
  }
  if (keepNewest !== undefined && match.source === '') {
    throw new ConfigurationError('input "match": empty, but keep-newest needs it to group the keys; allowed: a regular expression whose named group "group" (or first capture group) is the image name, such as (?<group>fedora-\\d+-x86_64)-[0-9a-f]{64}\\.qcow2');
  }
  if (keepList !== undefined && match.source === '') {
    throw new ConfigurationError('input "match": empty, so every key of the stores would be a candidate and deleted unless the keep list names it; allowed: a regular expression for the keys that may be pruned, such as [^/]+\\.qcow2, or .* for every key');
  }
  const rule: KeepRule = keepNewest !== undefined ? { kind: 'newest', count: keepNewest } : { kind: 'list', list: keepList!.list };
  return {
    stores,
    match,
    rule,
    keepListPath: keepList?.path,
    dryRun: parseInput(host, 'dry-run', parseBoolean, 'true'),
    maxDelete: parseInput(host, 'max-delete', parseMaxDelete, '1000'),
    backupPrefix: parseInput(host, 'backup-prefix', parseBackupPrefix),
    reportPath: parseInput(host, 'report-path', parseReportPath(host, 'prune-report.txt')),
  };
}

/** One bucket listed twice (or a prefix inside another): its objects would count twice and be deleted through both. */
function checkDisjoint(stores: readonly StoreSpec[]): void {
  stores.forEach((a, i) => {
    for (const b of stores.slice(i + 1)) {
      const problem = overlapProblem(a, b);
      if (problem !== undefined) throw new ConfigurationError(`input "stores": ${problem} (or the same); allowed: each bucket and prefix once, with prefixes that do not contain one another`);
    }
  });
}

function readKeepList(value: string, cwd: string) {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, value), 'utf8');
  } catch (e) {
    throw new ConfigurationError(`${quote(value)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); allowed: the path of a file, relative to the workspace, naming one key or glob a line`);
  }
  try {
    return { path: value, list: parseKeepList(text) };
  } catch (e) {
    throw e instanceof ConfigurationError ? e.within(`file ${quote(value)}`) : e;
  }
}

/** `max-delete`: a whole number of objects, or `none` (`undefined`: no limit). */
function parseMaxDelete(value: string): number | undefined {
  if (value === 'none') return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new ConfigurationError(`${quote(value)} is not allowed; allowed: a whole number of objects (0 or more), or none for no limit`);
  return Number(value);
}

/** `backup-prefix`: a key prefix relative to each store's prefix (ending in '/'), or none. */
function parseBackupPrefix(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.startsWith('/') || value.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new ConfigurationError(`${quote(value)} is not allowed; allowed: a key prefix relative to each store, such as pruned/2026-11-22/`);
  }
  return value.endsWith('/') ? value : `${value}/`;
}
