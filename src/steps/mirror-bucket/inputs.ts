/** The inputs of `mirror-bucket`, parsed once into one readonly object. */
import * as path from 'node:path';
import { globToRegExp } from '../../acl/glob';
import { DEFAULT_RULES_TEXT, parseVisibilityRules, type VisibilityRule } from '../../acl/visibility';
import { ConfigurationError, quote } from '../../config/configuration-error';
import type { Host } from '../../runtime/host';
import { lines, parseBoolean, parseChoice, parseInput, parseIntInRange, parseRate, parseReportPath } from '../../runtime/inputs';
import type { StoreSpec } from '../../storage/store-spec';
import { overlapProblem } from '../../storage/store-place';
import { parseSize } from '../../config/size';
import { MAX_SHARDS, parseShard, type Shard } from '../../storage/key-range';
import { MIN_PART, MAX_PART } from '../../storage/object-store';
import { parseDigestInKey, type DigestRule } from '../../storage/digest-in-key';
import { probeAnonymous } from '../../storage/anonymous';
import type { AnonymousProbe } from '../../operations/verify-visibility';
import { backupRoot } from '../../operations/back-up';
import type { Publication } from '../../sync/phases';
import { readStoreInput } from '../../runtime/store-inputs';
import { readPublicationInputs } from './publication-inputs';
import type { Requirement } from '../../config/requirement';
import { checkDestinationsDisjoint, readDestinations, refuseUnsupported } from './destinations-input';

export type MirrorActionMode = 'copy' | 'sync' | 'check' | 'plan-shards';

export interface MirrorBucketInputs {
  readonly source: StoreSpec;
  /** The first (or only) destination. */
  readonly destination: StoreSpec;
  /** Every destination: `destination`, or the lines of `destinations`. */
  readonly destinations: readonly StoreSpec[];
  /** How many destinations must end the run right (`require`). */
  readonly require: Requirement;
  readonly mode: MirrorActionMode;
  readonly dryRun: boolean;
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
  readonly compare: 'checksum' | 'content';
  /** `undefined`: no limit. */
  readonly maxDelete?: number;
  readonly backupPrefix?: string;
  readonly rules: readonly VisibilityRule[];
  readonly verifyVisibility: 'all' | 'private' | 'none';
  readonly shard: Shard;
  readonly shardCount: number;
  /** `none`, `cache` (the Actions cache, one entry a pair of stores), or files: one a destination, in the order of `destinations`. */
  readonly manifest: { readonly kind: 'none' } | { readonly kind: 'cache' } | { readonly kind: 'file'; readonly paths: readonly string[] };
  readonly transfers: number;
  readonly checkers: number;
  readonly partSize: number;
  readonly memory: number;
  /** Requests a second to each store at most; 0 for no cap. */
  readonly requestsPerSecond: number;
  readonly reportPath: string;
  /** How keys name the sha256 of their content; `undefined`: not held to one. */
  readonly digestInKey?: DigestRule;
  /** Ordered publication (`publish-last`, `delete-delay`); undefined when neither is given. */
  readonly publication?: Publication;
}

export function readMirrorBucketInputs(host: Host): MirrorBucketInputs {
  const source = readStoreInput(host, 'source');
  const { destinations, require } = readDestinations(host);
  const mode = parseInput(host, 'mode', parseChoice(['copy', 'sync', 'check', 'plan-shards'] as const), 'copy');
  const dryRun = parseInput(host, 'dry-run', parseBoolean, 'false');
  if (dryRun && mode === 'check') throw new ConfigurationError('input "dry-run": check mode never changes anything; dry-run is for copy and sync');
  const backupPrefix = parseInput(host, 'backup-prefix', parseBackupPrefix);
  const shard = parseInput(host, 'shard', parseShard, '');
  refuseUnsupported(host, destinations.length);
  const inputs: MirrorBucketInputs = {
    source,
    destination: destinations[0]!,
    destinations,
    require,
    mode,
    dryRun,
    include: parseInput(host, 'include', parseGlobs, '**'),
    exclude: parseInput(host, 'exclude', parseGlobs),
    compare: parseInput(host, 'compare', parseChoice(['checksum', 'content'] as const), 'checksum'),
    maxDelete: parseInput(host, 'max-delete', parseMaxDelete, '1000'),
    backupPrefix,
    rules: parseInput(host, 'visibility-rules', parseVisibilityRules, DEFAULT_RULES_TEXT),
    verifyVisibility: parseInput(host, 'verify-visibility', parseChoice(['all', 'private', 'none'] as const), 'private'),
    shard,
    shardCount: parseInput(host, 'shard-count', parseIntInRange(1, MAX_SHARDS), '4'),
    manifest: parseInput(host, 'manifest', (value) => parseManifest(value, host.cwd, destinations.length), 'none'),
    transfers: parseInput(host, 'transfers', parseIntInRange(1, 256), '16'),
    checkers: parseInput(host, 'checkers', parseIntInRange(1, 256), '32'),
    partSize: parseInput(host, 'part-size', parsePartSize, '32MiB'),
    memory: parseInput(host, 'memory', parseMemory, '512MiB'),
    requestsPerSecond: parseInput(host, 'requests-per-second', parseRate, '0'),
    reportPath: parseInput(host, 'report-path', parseReportPath(host, 'mirror-bucket-report.txt')),
    digestInKey: parseInput(host, 'digest-in-key', parseDigestInKey, 'none'),
    publication: readPublicationInputs(host, mode, shard.count),
  };
  for (const destination of destinations) checkDisjoint(inputs.source, destination, destinations.length > 1 ? 'destinations' : 'destination');
  checkDestinationsDisjoint(destinations);
  if (inputs.memory < inputs.partSize) throw new ConfigurationError(`input "memory": ${inputs.memory} bytes cannot hold one part of ${inputs.partSize} bytes; give at least part-size`);
  return inputs;
}

/** `backup-prefix`: a key prefix relative to the destination (ending in '/'), or none. */
function parseBackupPrefix(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.startsWith('/') || value.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new ConfigurationError(`${quote(value)} is not allowed; allowed: a key prefix relative to the destination, such as deleted/2026-11-22/`);
  }
  return value.endsWith('/') ? value : `${value}/`;
}

/** `max-delete`: a whole number of objects, or `none` (`undefined`: no limit). */
function parseMaxDelete(value: string): number | undefined {
  if (value === 'none') return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new ConfigurationError(`${quote(value)} is not allowed; allowed: a whole number of objects (0 or more), or none for no limit`);
  return Number(value);
}

/**
 * `manifest`: none, the Actions cache, or files (relative to `cwd`), one a destination in the order
 * of `destinations`. A manifest records one pair of stores: one file for several destinations would
 * be rewritten by each in turn, proving nothing, so as many distinct files as destinations are asked for.
 */
function parseManifest(value: string, cwd: string, destinations: number): MirrorBucketInputs['manifest'] {
  // Each line with its position in the value as given (comment and blank lines counted), for the messages.
  const numbered = value
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), at: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
  const given = numbered.map(({ line }) => line);
  if (given.length === 0 || (given.length === 1 && given[0] === 'none')) return { kind: 'none' as const };
  if (given.length === 1 && given[0] === 'cache') return { kind: 'cache' as const };
  const allowed = destinations > 1 ? `none, cache, or ${destinations} file paths, one a line, one a destination in the order of input "destinations"` : 'none, cache, or one file path';
  const keyword = numbered.find(({ line }) => line === 'none' || line === 'cache');
  if (keyword) throw new ConfigurationError(`${quote(value)}: line ${keyword.at} is "${keyword.line}", which stands alone as the whole value, not among file paths; allowed: ${allowed}`);
  if (given.length !== destinations) {
    const what = given.length === 1 ? 'one file' : `${given.length} lines`;
    throw new ConfigurationError(`${quote(value)} is ${what} for ${destinations} destination(s), and a manifest records one pair of stores; allowed: ${allowed}`);
  }
  const paths = given.map((line) => path.resolve(cwd, line));
  const at = (i: number) => numbered[i]!.at;
  const twice = paths.findIndex((p, i) => paths.indexOf(p) !== i);
  if (twice >= 0) throw new ConfigurationError(`${quote(value)}: line ${at(twice)} names the file of line ${at(paths.indexOf(paths[twice]!))} again, and a manifest records one pair of stores; allowed: ${allowed}, each a different file`);
  // Each manifest is written to its path plus ".tmp" while the run lasts, then renamed into place.
  const temporary = paths.findIndex((p) => paths.includes(`${p}.tmp`));
  if (temporary >= 0) {
    const other = paths.indexOf(`${paths[temporary]!}.tmp`);
    throw new ConfigurationError(`${quote(value)}: line ${at(other)} names the temporary file of line ${at(temporary)} (its path plus ".tmp", written while the run lasts); allowed: ${allowed}, none another's path plus ".tmp"`);
  }
  return { kind: 'file' as const, paths };
}

function parsePartSize(value: string): number {
  const bytes = parseSize(value);
  if (bytes < MIN_PART || bytes > MAX_PART) throw new ConfigurationError(`${quote(value)} is out of range; allowed: 5MiB to 5GiB`);
  return bytes;
}

function parseMemory(value: string): number {
  const bytes = parseSize(value);
  if (bytes < 16 * 1024 * 1024) throw new ConfigurationError(`${quote(value)} is too small; allowed: 16MiB or more`);
  return bytes;
}

function parseGlobs(text: string): RegExp[] {
  return lines(text).map((glob) => {
    try {
      return globToRegExp(glob);
    } catch (e) {
      throw e instanceof ConfigurationError ? e.within(`glob ${quote(glob)}`) : e;
    }
  });
}

/** The same place, or one inside the other: a mirror would copy into its own source or delete it. */
function checkDisjoint(source: StoreSpec, destination: StoreSpec, input: string): void {
  const problem = overlapProblem(source, destination);
  if (problem !== undefined) throw new ConfigurationError(`inputs "source" and "${input}": ${problem}; give two separate places`);
}

/**
 * Which keys (relative to the stores) the run takes: include, exclude, and never a key under the
 * backup prefix's top folder (with `deleted/RUN_ID/`, all of `deleted/`: earlier runs' backups too).
 */
export function filterOf(inputs: MirrorBucketInputs): (key: string) => boolean {
  const { include, exclude, backupPrefix } = inputs;
  const root = backupPrefix === undefined ? undefined : backupRoot(backupPrefix);
  return (key) => (root === undefined || !key.startsWith(root)) && (include.length === 0 || include.some((r) => r.test(key))) && !exclude.some((r) => r.test(key));
}

const anonymousProbe: AnonymousProbe = (address) => probeAnonymous(address);

/** The engine options every mirror run takes from its inputs the same way, one destination or several. */
export function runOptionsOf(inputs: MirrorBucketInputs) {
  return {
    dryRun: inputs.dryRun,
    filter: filterOf(inputs),
    range: inputs.shard.range,
    rules: inputs.rules,
    maxDelete: inputs.maxDelete,
    backupPrefix: inputs.backupPrefix,
    transfers: inputs.transfers,
    checkers: inputs.checkers,
    partSize: inputs.partSize,
    partsInFlight: 4,
    memory: inputs.memory,
    verifyVisibility: inputs.verifyVisibility,
    probe: anonymousProbe,
  };
}
