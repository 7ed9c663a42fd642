/**
 * Visibility rules: an ordered list of `GLOB public|private` lines. The first rule that matches a
 * text decides for it; a glob without '/' is matched on a name (a key's last segment, a folder of
 * the key, a source file's name), a glob with '/' on the whole key. Evaluation fails closed:
 *
 * - an object is private when its key matches no rule;
 * - an object is private when any of these first-matches a private rule: its key, a folder of its
 *   key (`rhel-9/disk.qcow2` is private under `rhel*`), or the name of the file it was written from
 *   (`rhel-9.qcow2` uploaded as `images/<sha256>.qcow2` is private). A public object is one whose
 *   key first-matches a public rule and nothing else says private.
 *
 * Text is compared in Unicode NFC (so NFC and NFD spellings of a name decide alike), case-insensitively
 * by Unicode simple case folding (`RHEL`, `Rhel`; the Kelvin sign folds to `k`, the long s `ſ` to `s`).
 * A name whose compatibility form (NFKC: full-width `ｒｈｅｌ`, ligatures, superscripts) first-matches
 * a private rule is private too. Not folded, as in Unicode's simple folding: dotless `ı` and dotted
 * `İ` are not `i`, `ß` is not `ss`; a name with a combining mark inside the word (`r\u0301hel`) is
 * another name.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import type { Visibility } from '../storage/object-store';
import { globToRegExp } from './glob';

/**
 * What a rule declares. `restricted` (audit-acl only): strangers may read only under a condition of
 * the bucket policy (an address range, a VPC endpoint), never without one. Writers refuse it.
 */
export type RuleVisibility = Visibility | 'restricted';

export interface VisibilityRule {
  /** The glob as written. */
  readonly glob: string;
  readonly visibility: RuleVisibility;
  /** 1-based line in the rules text, for messages. */
  readonly line: number;
  readonly wholeKey: boolean;
  /** The glob in NFC, compiled case-insensitive. */
  readonly regexp: RegExp;
}

/** Cockpit's policy: RHEL images are never public; everything else is. */
export const DEFAULT_RULES_TEXT = 'rhel* private\n* public';

/**
 * Parses rules text; blank lines and lines starting with '#' are skipped. `restricted` rules are
 * allowed only with `options.restricted` (the audit): a writer cannot make an object restricted.
 */
export function parseVisibilityRules(text: string, options: { readonly restricted?: boolean } = {}): readonly VisibilityRule[] {
  const rules: VisibilityRule[] = [];
  const values = options.restricted ? ['public', 'private', 'restricted'] : ['public', 'private'];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    if (words.length !== 2 || !values.includes(words[1]!)) {
      const hint = words[1] === 'restricted' ? ' ("restricted" is a rule of audit-acl only: access under a bucket policy condition is checked, never written)' : '';
      throw new ConfigurationError(`rule ${i + 1} ${quote(line)} is not ${values.map((v) => `"GLOB ${v}"`).join(' or ')}${hint}`);
    }
    const glob = words[0]!;
    let regexp: RegExp;
    try {
      regexp = globToRegExp(glob.normalize('NFC'), 'i');
    } catch (e) {
      throw e instanceof ConfigurationError ? e.within(`rule ${i + 1}`) : e;
    }
    rules.push({ glob, visibility: words[1] as RuleVisibility, line: i + 1, wholeKey: glob.includes('/'), regexp });
  });
  if (rules.length === 0) throw new ConfigurationError('no rules given; every object would be private. Write at least one "GLOB public|private" line');
  return rules;
}

/** What a rule matched: the source file's name, the object key (its name, or all of it), or a folder in the key. */
export type MatchSubject = 'file name' | 'key' | 'key folder';

/** One rule matching one text. */
export interface VisibilityMatch {
  readonly subject: MatchSubject;
  /** The text as given. */
  readonly text: string;
  /** The compatibility form (NFKC) that matched, when only it did. */
  readonly compatibilityForm?: string;
  readonly rule: VisibilityRule;
}

/** The outcome for an object, with the rule that decided it (`undefined`: no rule matched). */
export interface VisibilityDecision {
  readonly visibility: Visibility;
  readonly rule?: VisibilityRule;
}

/** The outcome for an object written from a file, with every match that decided it. */
export interface ObjectVisibilityDecision extends VisibilityDecision {
  /**
   * What decided: `name` (the source file's name), `key` (the key or one of its folders), `both`,
   * or `default` (private because the key matches no rule, and nothing else said private).
   */
  readonly decidedBy: 'name' | 'key' | 'both' | 'default';
  /** For a private object, every private match; for a public one, the key's rule and the name's when it matched. */
  readonly matches: readonly VisibilityMatch[];
}

/** The first rule that matches `text` (a key, or a single name), or `undefined`. */
function firstMatch(rules: readonly VisibilityRule[], text: string): VisibilityRule | undefined {
  const name = text.slice(text.lastIndexOf('/') + 1);
  if (name === '') return undefined;
  return rules.find((rule) => rule.regexp.test(rule.wholeKey ? text : name));
}

/**
 * What the rules say about one text: its NFC form decides; its NFKC form can only make it stricter.
 * `strict` lists the values that count as stricter than public (`private`, and `restricted` where
 * it is allowed).
 */
function judge(rules: readonly VisibilityRule[], subject: MatchSubject, text: string, strict: readonly RuleVisibility[]): { match?: VisibilityMatch; privateMatch?: VisibilityMatch } {
  const canonical = text.normalize('NFC');
  const rule = firstMatch(rules, canonical);
  const match = rule ? { subject, text, rule } : undefined;
  if (rule && strict.includes(rule.visibility)) return { match, privateMatch: match };
  const compatible = text.normalize('NFKC');
  if (compatible !== canonical) {
    const other = firstMatch(rules, compatible);
    if (other && strict.includes(other.visibility)) return { match, privateMatch: { subject, text, compatibilityForm: compatible, rule: other } };
  }
  return { match };
}

/** The matches of a key and its folders (and a file name) that are stricter than public, by `strict`. */
function strictMatches(rules: readonly VisibilityRule[], key: string, fileName: string | undefined, strict: readonly RuleVisibility[]) {
  const ofKey = judge(rules, 'key', key, strict);
  const folders = key
    .split('/')
    .slice(0, -1)
    .filter((f) => f !== '')
    .map((f) => judge(rules, 'key folder', f, strict));
  const ofName = fileName !== undefined ? judge(rules, 'file name', fileName, strict) : {};
  const byKey = [ofKey, ...folders].flatMap((j) => (j.privateMatch ? [j.privateMatch] : []));
  const byName = ofName.privateMatch ? [ofName.privateMatch] : [];
  return { ofKey, ofName, byKey, byName };
}

/**
 * Decides the visibility of an object from its key and, when it is written from a file, that
 * file's name. Never throws: anything unmatched is private. A writer never makes an object
 * restricted: a `restricted` rule decides `private` here (the access comes from the bucket policy).
 */
export function decideObjectVisibility(rules: readonly VisibilityRule[], key: string, fileName?: string): ObjectVisibilityDecision {
  const { ofKey, ofName, byKey, byName } = strictMatches(rules, key, fileName, ['private', 'restricted']);
  if (byKey.length > 0 || byName.length > 0) {
    const matches = [...byKey, ...byName];
    return {
      visibility: 'private',
      rule: matches[0]!.rule,
      decidedBy: byKey.length > 0 && byName.length > 0 ? 'both' : byKey.length > 0 ? 'key' : 'name',
      matches,
    };
  }
  if (ofKey.match === undefined) return { visibility: 'private', decidedBy: 'default', matches: [] };
  return {
    visibility: 'public',
    rule: ofKey.match.rule,
    decidedBy: ofName.match ? 'both' : 'key',
    matches: ofName.match ? [ofKey.match, ofName.match] : [ofKey.match],
  };
}

/** What the audit expects of a key: as `decideVisibility`, with `restricted` kept. */
export interface AuditVisibilityDecision {
  readonly visibility: RuleVisibility;
  readonly rule?: VisibilityRule;
}

/**
 * The audit's expectation for a key: `private` when the key or a folder of it matches a private
 * rule (as for writers), else `restricted` when one of them matches a restricted rule (the stricter
 * wins, as a private folder does), else what the key's first rule says; private when none matches.
 */
export function decideAuditVisibility(rules: readonly VisibilityRule[], key: string): AuditVisibilityDecision {
  const writer = decideObjectVisibility(rules, key);
  if (writer.visibility === 'public' || writer.decidedBy === 'default') return { visibility: writer.visibility, rule: writer.rule };
  const { byKey } = strictMatches(rules, key, undefined, ['private']);
  if (byKey.length > 0) return { visibility: 'private', rule: byKey[0]!.rule };
  return { visibility: 'restricted', rule: writer.rule };
}

/** Decides the visibility of a key (an object not written from a file). Never throws: anything unmatched is private. */
export function decideVisibility(rules: readonly VisibilityRule[], key: string): VisibilityDecision {
  const { visibility, rule } = decideObjectVisibility(rules, key);
  return { visibility, rule };
}

/** A rule for messages: `rhel* private (rule 1)`. */
export function describeRule(rule: VisibilityRule): string {
  return `${rule.glob} ${rule.visibility} (rule ${rule.line})`;
}

/**
 * The decision in words, for logs and summaries: `private: file name "rhel-9.qcow2" matches
 * rhel* private (rule 1)`, `public: key "fedora.qcow2" matches * public (rule 2)`.
 */
export function describeDecision(d: ObjectVisibilityDecision): string {
  if (d.decidedBy === 'default') return `${d.visibility}: no rule matches the key`;
  const parts = d.matches.map((m) => {
    const form = m.compatibilityForm !== undefined ? ` (as ${quote(m.compatibilityForm)})` : '';
    return `${m.subject} ${quote(m.text)}${form} matches ${describeRule(m.rule)}`;
  });
  return `${d.visibility}: ${parts.join('; ')}`;
}
