/**
 * Globs for keys: `*` any run of characters but `/`, `**` any run including `/`, `?` one character
 * but `/`, `[abc]` / `[a-z]` / `[!abc]` a class. Everything else is literal. A character is a Unicode
 * code point: `?` and a class match an astral character (an emoji, a CJK extension ideograph) as one,
 * and every wildcard matches line breaks (LF, CR, U+2028, U+2029) and control characters, which S3
 * keys and file names may hold.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** Characters a `u`-mode regular expression needs escaped outside a class. */
const SYNTAX = /[\\^$.*+?()[\]{}|/]/g;

/**
 * Compiles a glob to an anchored regular expression (flags `s` and `u` always, plus `flags`).
 * Throws `ConfigurationError` for a malformed one.
 */
export function globToRegExp(glob: string, flags = ''): RegExp {
  if (glob === '') throw new ConfigurationError('empty glob; allowed: a pattern such as rhel* or images/**');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        // `**/` also matches no folder at all.
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new ConfigurationError(`glob ${quote(glob)} has a '[' without its ']'`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      if (body === '') throw new ConfigurationError(`glob ${quote(glob)} has an empty class`);
      // Inside a class only `\`, `]` and `^` are special; `-` keeps its range meaning. A negated
      // class never matches `/`, as `?` does not: a class stands for one character of a segment.
      re += `[${negate ? '^/' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`;
      i = end;
    } else if (c === ']') {
      throw new ConfigurationError(`glob ${quote(glob)} has a ']' without its '['`);
    } else re += c.replace(SYNTAX, '\\$&');
  }
  // `s`: a name may hold a line break, and `**` must still match it rather than skip the file.
  // `u`: one character is one code point, not half of a surrogate pair; with `i`, case folds as
  // Unicode's simple case folding says (so `K` also matches the Kelvin sign, `s` the long s `ſ`).
  const all = [...new Set(`${flags}su`)].join('');
  try {
    return new RegExp(`^${re}$`, all);
  } catch {
    throw new ConfigurationError(`glob ${quote(glob)} is not valid`);
  }
}
