/**
 * Visibility rules: an ordered list of `GLOB public|private` lines, matched case-insensitively on
 * the object's name (its last path segment), or on the whole key when the glob holds a '/'.
 * The first rule that matches decides. Anything no rule matches is private: evaluation fails closed.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import type { Visibility } from '../storage/object-store';
import { globToRegExp } from './glob';

export interface VisibilityRule {
  readonly glob: string;
  readonly visibility: Visibility;
  /** 1-based line in the rules text, for messages. */
  readonly line: number;
  readonly wholeKey: boolean;
  readonly regexp: RegExp;
}

/** Cockpit's policy: RHEL images are never public; everything else is. */
export const DEFAULT_RULES_TEXT = 'rhel* private\n* public';

/** Parses rules text; blank lines and lines starting with '#' are skipped. */
export function parseVisibilityRules(text: string): readonly VisibilityRule[] {
  const rules: VisibilityRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    if (words.length !== 2 || (words[1] !== 'public' && words[1] !== 'private')) {
      throw new ConfigurationError(`rule ${i + 1} ${quote(line)} is not "GLOB public" or "GLOB private"`);
    }
    const glob = words[0]!;
    let regexp: RegExp;
    try {
      regexp = globToRegExp(glob, 'i');
    } catch (e) {
      throw e instanceof ConfigurationError ? e.within(`rule ${i + 1}`) : e;
    }
    rules.push({ glob, visibility: words[1], line: i + 1, wholeKey: glob.includes('/'), regexp });
  });
  if (rules.length === 0) throw new ConfigurationError('no rules given; every object would be private. Write at least one "GLOB public|private" line');
  return rules;
}

/** The outcome for one key, with the rule that decided it (`undefined`: no rule matched). */
export interface VisibilityDecision {
  readonly visibility: Visibility;
  readonly rule?: VisibilityRule;
}

/** Decides the visibility of a key. Never throws: anything unmatched is private. */
export function decideVisibility(rules: readonly VisibilityRule[], key: string): VisibilityDecision {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (name === '') return { visibility: 'private' };
  for (const rule of rules) {
    if (rule.regexp.test(rule.wholeKey ? key : name)) return { visibility: rule.visibility, rule };
  }
  return { visibility: 'private' };
}
