/**
 * A small reference for the visibility rules, written from their contract (README, "Visibility"),
 * sharing no code with src/acl, and generators of rule sets, file names and key templates. Used by
 * the visibility properties and the private-write properties.
 */
import fc from 'fast-check';

// ---- the reference -----------------------------------------------------------------------------

/** Unicode simple case folding (CaseFolding.txt, statuses C and S) for the letters the generators use. */
export const FOLD: Record<string, string> = {
  '\u212a': 'k', // KELVIN SIGN
  '\u017f': 's', // LATIN SMALL LETTER LONG S
  '\u00c9': '\u00e9',
  '\uff32': '\uff52', // FULLWIDTH R
  '\uff28': '\uff48',
  // Not folded to i / ss by simple folding: dotless i, dotted capital I, sharp s.
  '\u0131': '\u0131',
  '\u0130': '\u0130',
  '\u00df': '\u00df',
};
export const fold = (c: string) => FOLD[c] ?? (/^[A-Z]$/.test(c) ? c.toLowerCase() : c);

export type Tok = { k: 'lit'; c: string } | { k: 'one' } | { k: 'star' } | { k: 'dstar' } | { k: 'dstarSlash' } | { k: 'cls'; neg: boolean; items: [string, string][] };

export function tokens(glob: string): Tok[] {
  const g = Array.from(glob);
  const out: Tok[] = [];
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*' && g[i + 1] === '*' && g[i + 2] === '/') {
      out.push({ k: 'dstarSlash' });
      i += 2;
    } else if (c === '*' && g[i + 1] === '*') {
      out.push({ k: 'dstar' });
      i++;
    } else if (c === '*') out.push({ k: 'star' });
    else if (c === '?') out.push({ k: 'one' });
    else if (c === '[') {
      const end = g.indexOf(']', i + 2);
      let body = g.slice(i + 1, end);
      const neg = body[0] === '!' || body[0] === '^';
      if (neg) body = body.slice(1);
      const items: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          items.push([body[j]!, body[j + 2]!]);
          j += 2;
        } else items.push([body[j]!, body[j]!]);
      }
      out.push({ k: 'cls', neg, items });
      i = end;
    } else out.push({ k: 'lit', c });
  }
  return out;
}

export function inClass(items: [string, string][], c: string): boolean {
  return items.some(([lo, hi]) => {
    for (let x = lo.codePointAt(0)!; x <= hi.codePointAt(0)!; x++) if (fold(String.fromCodePoint(x)) === fold(c)) return true;
    return false;
  });
}

/** Does `glob` match all of `text`, case-insensitively, code point by code point? */
export function globMatches(glob: string, text: string): boolean {
  const t = tokens(glob);
  const s = Array.from(text);
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const id = `${i},${j}`;
    const known = memo.get(id);
    if (known !== undefined) return known;
    let r: boolean;
    const tok = t[i];
    if (tok === undefined) r = j === s.length;
    else if (tok.k === 'star') r = go(i + 1, j) || (j < s.length && s[j] !== '/' && go(i, j + 1));
    else if (tok.k === 'dstar') r = go(i + 1, j) || (j < s.length && go(i, j + 1));
    // `**/`: nothing, or any run that ends with '/'.
    else if (tok.k === 'dstarSlash') r = go(i + 1, j) || s.slice(j).some((c, n) => c === '/' && go(i + 1, j + n + 1));
    else if (j >= s.length) r = false;
    else if (tok.k === 'one') r = s[j] !== '/' && go(i + 1, j + 1);
    else if (tok.k === 'cls') r = (tok.neg ? s[j] !== '/' && !inClass(tok.items, s[j]!) : inClass(tok.items, s[j]!)) && go(i + 1, j + 1);
    else r = fold(tok.c) === fold(s[j]!) && go(i + 1, j + 1);
    memo.set(id, r);
    return r;
  };
  return go(0, 0);
}

export interface Rule {
  glob: string;
  visibility: 'public' | 'private';
}

export function first(rules: Rule[], text: string): Rule | undefined {
  const name = text.split('/').pop()!;
  if (name === '') return undefined;
  return rules.find((r) => globMatches(r.glob.normalize('NFC'), r.glob.includes('/') ? text : name));
}

/** What the rules say about one text: 'private', 'public', or 'none'. */
export function judge(rules: Rule[], text: string): 'private' | 'public' | 'none' {
  const nfc = text.normalize('NFC');
  const v = first(rules, nfc);
  if (v?.visibility === 'private') return 'private';
  const nfkc = text.normalize('NFKC');
  if (nfkc !== nfc && first(rules, nfkc)?.visibility === 'private') return 'private';
  return v?.visibility ?? 'none';
}

export function reference(rules: Rule[], key: string, name: string): { visibility: string; decidedBy: string } {
  const ofKey = judge(rules, key);
  const byKey = ofKey === 'private' || key.split('/').slice(0, -1).some((f) => f !== '' && judge(rules, f) === 'private');
  const ofName = judge(rules, name);
  const byName = ofName === 'private';
  if (byKey || byName) return { visibility: 'private', decidedBy: byKey && byName ? 'both' : byKey ? 'key' : 'name' };
  if (ofKey === 'none') return { visibility: 'private', decidedBy: 'default' };
  return { visibility: 'public', decidedBy: ofName === 'public' ? 'both' : 'key' };
}

/** Renders a key template the way the `key` input documents: {name}, {stem}, {ext}, {sha256}. */
export function render(template: string, name: string): string {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  return template.split('{name}').join(name).split('{stem}').join(stem).split('{ext}').join(ext).split('{sha256}').join('0f3a'.repeat(16));
}

// ---- generators ----------------------------------------------------------------------------

export const GLOBS = [
  'rhel*', 'RHEL*', 'Rhel-?.qcow2', '*', '*.qcow2', '*.QCOW2', 'images/**', '**/rhel*', 'rhel-archive/**', 'fed?ra*', '[rf]*', '[!r]*', '[a-h]*.iso', 'r[h-j]el*',
  '\uff52\uff48\uff45\uff4c*', '\u0131*', 'i*', 'ss*', '\u00df*', 'caf\u00e9*', 'cafe\u0301*', '\u212a*', 'k*', 's*', '*-9*', '**', 'rhel-?', '?', '??', 'disk.qcow2', '*/disk.qcow2', 'images[!x]*/**', 'images?/**',
];
export const rules = fc
  .tuple(fc.array(fc.record({ glob: fc.constantFrom(...GLOBS), visibility: fc.constantFrom<'public' | 'private'>('public', 'private') }), { minLength: 1, maxLength: 5 }), fc.boolean())
  // Half the rule sets end as Cockpit's does, with `* public`, so that public decisions are common too.
  .map(([rs, catchAll]) => (catchAll ? [...rs, { glob: '*', visibility: 'public' as const }] : rs));
export const NAME_STARTS = ['rhel', 'RHEL', 'Rhel', 'fedora', 'disk', 'caf\u00e9', 'cafe\u0301', '\uff52\uff48\uff45\uff4c', '\u0131', '\u0130', '\u00df', '\u212a', 'k', '\u017f', 'ﬁ', ''];
export const NAME_CHARS = ['-', '9', '.', 'qcow2', '.iso', 'x', 'e', '\u00c9', '😀', '\n', ' ', 'h', 'S', 's', '\uff32'];
export const name = fc
  .tuple(fc.constantFrom(...NAME_STARTS), fc.array(fc.constantFrom(...NAME_CHARS), { maxLength: 4 }))
  .map(([s, cs]) => s + cs.join(''))
  .filter((n) => n !== '' && n !== '.' && !n.includes('/'));
export const TEMPLATES = ['{name}', 'images/{name}', 'images/{sha256}{ext}', '{sha256}', '{stem}/disk.qcow2', '{stem}/{name}', 'rhel-archive/{name}', 'x/{stem}-{sha256}{ext}', 'images//{name}'];
