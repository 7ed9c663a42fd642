/**
 * What a prune keeps, as the user writes it: the `match` regular expression that says which keys are
 * candidates and which group each belongs to, and the keep rule (the newest N of each group, or the
 * keys a keep list names). Pure: parsing and matching only.
 */
import { globToRegExp } from '../acl/glob';
import { ConfigurationError, quote } from '../config/configuration-error';

/** Which keys a prune may touch, and the group of each. */
export interface KeyMatcher {
  /** The group of `key`, or `undefined` when the key does not match (it is then never touched). */
  groupOf(key: string): string | undefined;
  /** The expression as the user gave it, for messages. */
  readonly source: string;
}

/** Keep the newest `count` of each group, or every key the list names. */
export type KeepRule = { readonly kind: 'newest'; readonly count: number } | { readonly kind: 'list'; readonly list: KeepList };

/**
 * The keys a keep list names: exact keys, and globs for lines holding `*`, `?` or `[`. A glob line
 * also names the key it spells (a generated list writes `img[1].qcow2` verbatim).
 */
export interface KeepList {
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly RegExp[];
  /** The glob lines as written, each also kept as an exact key (not reported when missing). */
  readonly globLines: ReadonlySet<string>;
  /** The number of lines (exact keys and globs) it holds. */
  readonly entries: number;
}

/** The group name a pattern may capture explicitly; without it the first capture group is the group. */
export const GROUP_NAME = 'group';

/**
 * Compiles the `match` input: a JavaScript regular expression (Unicode mode) that must match the
 * whole key. The named group `group`, or else the first capture group, is the key's group; a
 * pattern without a capture group puts every key it matches in one group. An empty value matches
 * every key (one group).
 */
export function compileMatch(source: string): KeyMatcher {
  if (source === '') return { source, groupOf: () => '' };
  let re: RegExp;
  try {
    // Alone first: an unbalanced ')' would otherwise close the wrapping group and escape the anchors.
    new RegExp(source, 'su');
    re = new RegExp(`^(?:${source})$`, 'su');
  } catch (e) {
    throw new ConfigurationError(`${quote(source)} is not a regular expression (${(e as Error).message}); allowed: a JavaScript regular expression matched against the whole key, such as (?<group>fedora-\\d+)-[0-9a-f]{64}\\.qcow2`);
  }
  const named = new RegExp(`\\(\\?<${GROUP_NAME}>`).test(source);
  return {
    source,
    groupOf(key) {
      const m = re.exec(key);
      if (!m) return undefined;
      if (named) return m.groups?.[GROUP_NAME];
      return m.length > 1 ? m[1] : '';
    },
  };
}

/** Parses a keep list: one key or glob a line; blank lines and lines starting with `#` are skipped. */
export function parseKeepList(text: string): KeepList {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  const globLines = new Set<string>();
  let entries = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    entries++;
    if (!/[*?[]/.test(line)) {
      exact.add(line);
      return;
    }
    globLines.add(line);
    try {
      globs.push(globToRegExp(line));
    } catch (e) {
      throw e instanceof ConfigurationError ? e.within(`line ${i + 1}`) : e;
    }
  });
  if (entries === 0) throw new ConfigurationError('the keep list names nothing, so every matching object would be deleted; allowed: a file with at least one key or glob a line');
  return { exact, globs, globLines, entries };
}

/** Whether a keep list names `key`. */
export function named(list: KeepList, key: string): boolean {
  return list.exact.has(key) || list.globLines.has(key) || list.globs.some((g) => g.test(key));
}
