/**
 * IAM string patterns, as policies write actions and resource ARNs: `*` matches any run of
 * characters (none included), `?` exactly one, everything else itself. A character is a Unicode code
 * point, and nothing is special about line breaks, control characters or NUL: an S3 key may hold
 * any of them, and a pattern that reads `rhel-9\n.qcow2` as "not matching `b/*`" would call an
 * exposed object safe.
 *
 * Policy variables (`${aws:username}`, only in policies of Version 2012-10-17) stand for values a
 * stranger chooses or that are absent, so this module asks two questions of a pattern: **may** it
 * match (a variable matches anything: fail closed for a grant), and **must** it match (a pattern
 * holding a variable is never certain to: fail closed for a denial). `${*}`, `${?}` and `${$}` are
 * the literal characters.
 *
 * Matching runs in O(pattern x text) at worst, without regular expressions, so a hostile policy with
 * many stars cannot make it backtrack exponentially.
 */

/** One element of a compiled pattern. */
export type PatternToken = { readonly kind: 'char'; readonly char: string } | { readonly kind: 'one' } | { readonly kind: 'any' };

/** A compiled pattern: its tokens, or `undefined` when it can never be certain to match (a variable in `must` mode). */
export type CompiledPattern = readonly PatternToken[] | undefined;

const ESCAPES: Record<string, string> = { '${*}': '*', '${?}': '?', '${$}': '$' };

/**
 * Compiles `pattern`. `variables`: whether `${...}` is a policy variable (Version 2012-10-17) or
 * literal text. `mode`: `may` turns a variable into `*`; `must` gives `undefined` for a pattern with one.
 */
export function compilePattern(pattern: string, variables: boolean, mode: 'may' | 'must'): CompiledPattern {
  const out: PatternToken[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (variables && c === '$' && chars[i + 1] === '{') {
      const close = chars.indexOf('}', i + 2);
      if (close >= 0) {
        const whole = chars.slice(i, close + 1).join('');
        const escaped = ESCAPES[whole];
        if (escaped !== undefined) out.push({ kind: 'char', char: escaped });
        else if (mode === 'must') return undefined;
        else out.push({ kind: 'any' });
        i = close;
        continue;
      }
    }
    out.push(c === '*' ? { kind: 'any' } : c === '?' ? { kind: 'one' } : { kind: 'char', char: c });
  }
  return out;
}

/** Whether two code points are equal, or equal ignoring case when `ignoreCase`. */
function same(a: string, b: string, ignoreCase: boolean): boolean {
  return a === b || (ignoreCase && (a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase()));
}

/** Whether `tokens` match all of `text`. */
export function matchTokens(tokens: readonly PatternToken[], text: string, ignoreCase = false): boolean {
  const t = Array.from(text);
  // The classic wildcard walk: on a mismatch, go back to the last `*` and let it take one more character.
  let p = 0;
  let i = 0;
  let star = -1;
  let starText = 0;
  while (i < t.length) {
    const tok = tokens[p];
    if (tok !== undefined && tok.kind !== 'any' && (tok.kind === 'one' || same(tok.char, t[i]!, ignoreCase))) {
      p++;
      i++;
    } else if (tok?.kind === 'any') {
      star = p++;
      starText = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++starText;
    } else return false;
  }
  while (tokens[p]?.kind === 'any') p++;
  return p === tokens.length;
}

/** The positions in `tokens` reachable after reading `text`, each closed over the `*` that may match nothing. */
function statesAfter(tokens: readonly PatternToken[], text: string, ignoreCase: boolean): Set<number> {
  const close = (states: Set<number>) => {
    for (const s of [...states]) for (let p = s; tokens[p]?.kind === 'any'; p++) states.add(p + 1);
    return states;
  };
  let states = close(new Set([0]));
  for (const c of Array.from(text)) {
    const next = new Set<number>();
    for (const p of states) {
      const tok = tokens[p];
      if (tok === undefined) continue;
      if (tok.kind === 'any') next.add(p);
      else if (tok.kind === 'one' || same(tok.char, c, ignoreCase)) next.add(p + 1);
    }
    states = close(next);
    if (states.size === 0) break;
  }
  return states;
}

/** Whether `tokens` match some text that starts with `prefix` and has at least one character more. */
export function matchesSomeExtension(tokens: readonly PatternToken[], prefix: string, ignoreCase = false): boolean {
  // Any token left can take one more character (a literal, `?`, or `*`), and what follows can then be matched.
  return [...statesAfter(tokens, prefix, ignoreCase)].some((p) => p < tokens.length);
}

/** Whether `tokens` match every text that starts with `prefix` and has at least one character more. */
export function matchesEveryExtension(tokens: readonly PatternToken[], prefix: string, ignoreCase = false): boolean {
  // Sufficient, and exact for the patterns people write: after the prefix, what is left is one or
  // more `*`, with at most one `?` among them (every extension has at least one character).
  return [...statesAfter(tokens, prefix, ignoreCase)].some((p) => {
    const rest = tokens.slice(p);
    return rest.every((t) => t.kind !== 'char') && rest.filter((t) => t.kind === 'one').length <= 1 && rest.some((t) => t.kind === 'any');
  });
}
