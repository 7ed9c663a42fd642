/** The ordered-publication inputs of `mirror-bucket`: `publish-last` and `delete-delay`. */
import { globToRegExp } from '../../acl/glob';
import { ConfigurationError, quote } from '../../config/configuration-error';
import { parseDuration } from '../../config/duration';
import type { Host } from '../../runtime/host';
import { lines, parseInput } from '../../runtime/inputs';
import type { PhaseGlob, Publication } from '../../sync/phases';

/** Phases are run one after the other; more lines than this is a mistake, not a plan. */
export const MAX_PHASES = 20;

/** Reads both inputs; undefined when neither asks for anything (the plain engine then). */
export function readPublicationInputs(host: Host, mode: string, shards: number): Publication | undefined {
  const last = parseInput(host, 'publish-last', parsePublishLast);
  const deleteDelayMs = parseInput(host, 'delete-delay', (value) => parseDuration(value), '0');
  // Each shard would order and delete only its own key range: another shard's index could land
  // before this one's packages, or this one delete what another's old index still names.
  if (shards > 1 && (last.length > 0 || deleteDelayMs > 0)) {
    const name = last.length > 0 ? 'publish-last' : 'delete-delay';
    throw new ConfigurationError(`input "${name}": ${quote(host.input(name).trim())} is given with input "shard" (${shards} shards), but ordered publication holds only within one run over the whole tree; allowed: publish-last and delete-delay without shard (or shard empty or 1/1)`);
  }
  if (deleteDelayMs > 0 && mode !== 'sync') {
    throw new ConfigurationError(`input "delete-delay": ${quote(host.input('delete-delay').trim())} is given in ${mode} mode, which deletes nothing; allowed: 0, or a delay with mode: sync`);
  }
  if (last.length === 0 && deleteDelayMs === 0) return undefined;
  return { last, deleteDelayMs };
}

/**
 * `publish-last`: one glob a line (the syntax of include), phase N the N-th line. A line that
 * repeats an earlier one would leave that one's phase empty, so it is refused.
 */
export function parsePublishLast(text: string): PhaseGlob[] {
  const globs = lines(text);
  if (globs.length > MAX_PHASES) throw new ConfigurationError(`${globs.length} lines given; allowed: at most ${MAX_PHASES} globs, one a line, each a phase written after the ones above it`);
  const seen = new Set<string>();
  return globs.map((glob) => {
    if (seen.has(glob)) throw new ConfigurationError(`glob ${quote(glob)} is given twice; allowed: each glob once, a line per phase (a key matching several lines goes to the last)`);
    seen.add(glob);
    try {
      return { glob, pattern: globToRegExp(glob) };
    } catch (e) {
      throw e instanceof ConfigurationError ? e.within(`glob ${quote(glob)}`) : e;
    }
  });
}
