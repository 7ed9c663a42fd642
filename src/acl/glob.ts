/**
 * Globs for keys: `*` any run of characters but `/`, `**` any run including `/`, `?` one character
 * but `/`, `[abc]` / `[a-z]` / `[!abc]` a class. Everything else is literal.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** Compiles a glob to an anchored regular expression. Throws `ConfigurationError` for a malformed one. */
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
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === ']') {
      throw new ConfigurationError(`glob ${quote(glob)} has a ']' without its '['`);
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    // `s`: a name may hold a newline, and `**` must still match it rather than skip the file.
    return new RegExp(`^${re}$`, flags.includes('s') ? flags : `${flags}s`);
  } catch {
    throw new ConfigurationError(`glob ${quote(glob)} is not valid`);
  }
}
