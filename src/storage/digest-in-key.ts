/**
 * How a key names the SHA-256 of its content (the `digest-in-key` input of mirror-bucket): a preset
 * for a container registry's blob store (`.../sha256/<first 2 hex>/<64 hex>`), one for file names
 * such as `fedora-42-<64 hex>.qcow2`, or a regular expression with a named group `sha256`. A key a
 * rule claims either names one digest or is malformed (it looks like the layout but breaks it);
 * a key it does not claim names none, and is copied as any other key.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import { sha256FromName } from './content-address';

/** What a rule reads from one key. */
export type KeyDigest =
  | { readonly kind: 'sha256'; readonly sha256: string }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'none' };

export interface DigestRule {
  /** The input's value, for messages and the summary. */
  readonly name: string;
  /** What `key` (relative to the store's prefix) names; `size`, when known, tells a folder marker (a key ending in `/` of size 0). */
  digestOf(key: string, size?: number): KeyDigest;
}

const NONE: KeyDigest = { kind: 'none' };
const HEX64 = /^[0-9a-f]{64}$/;

const ALLOWED =
  'allowed: none, quay (keys ending in sha256/<first 2 hex of the digest>/<64 hex>), name-hex (a name holding one run of 64 hex, such as name-<64 hex>.ext), or regex:PATTERN (a JavaScript regular expression with a named group (?<sha256>...) matching the 64 hex)';

/**
 * The registry layout: a key whose last three segments are `sha256`, a shard folder and the blob.
 * The shard must be the digest's first two lowercase hex digits and the blob 64 lowercase hex
 * digits; a key of that shape that breaks either is malformed. A folder marker (a key ending in
 * `/` of size 0, as consoles and some tools make) is no blob: the rule does not claim it.
 */
function quay(key: string, size?: number): KeyDigest {
  // A folder marker (`.../sha256/ab/`, empty): no blob, copied as any other key, as the mirror copies folder markers.
  if (key.endsWith('/') && size === 0) return NONE;
  const parts = key.split('/');
  if (parts.length < 3 || parts[parts.length - 3] !== 'sha256') return NONE;
  const shard = parts[parts.length - 2]!;
  const blob = parts[parts.length - 1]!;
  if (!HEX64.test(blob)) return { kind: 'malformed', reason: `blob name ${quote(blob)} is not 64 lowercase hex digits` };
  if (shard !== blob.slice(0, 2)) return { kind: 'malformed', reason: `shard folder ${quote(shard)} is not the digest's first two hex digits (${blob.slice(0, 2)})` };
  return { kind: 'sha256', sha256: blob };
}

/** The rule uploads and downloads already apply to content-addressed file names. */
function nameHex(key: string): KeyDigest {
  try {
    const sha256 = sha256FromName(key);
    return sha256 === undefined ? NONE : { kind: 'sha256', sha256 };
  } catch (e) {
    return { kind: 'malformed', reason: (e as Error).message };
  }
}

function byRegex(pattern: RegExp): (key: string) => KeyDigest {
  return (key) => {
    const m = pattern.exec(key);
    if (!m) return NONE;
    const got = m.groups?.sha256;
    if (got === undefined) return { kind: 'malformed', reason: 'the pattern matched without its sha256 group' };
    if (!/^[0-9a-fA-F]{64}$/.test(got)) return { kind: 'malformed', reason: `the sha256 group matched ${quote(got)}, not 64 hex digits` };
    return { kind: 'sha256', sha256: got.toLowerCase() };
  };
}

/** A quantifier that repeats (not `?`, `{n}` or `{0,1}`) at `source[i]`: its length, or 0. */
function repeatingQuantifier(source: string, i: number): number {
  const c = source[i];
  if (c === '*' || c === '+') return 1;
  if (c !== '{') return 0;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
  if (!m) return 0;
  const repeats = m[2] !== undefined && (m[3] === '' || Number(m[3]) > Math.max(1, Number(m[1])));
  return repeats ? m[0].length : -m[0].length;
}

/**
 * At most this many unbounded repetitions (`*`, `+`, `{n,}`) in one pattern: each one in a row can
 * multiply the work on a key that almost matches by its length (eight `.*` took 75 s on a
 * 61-character key); three cost at most about half a second on a 1,024-byte key.
 */
const MAX_UNBOUNDED = 3;

/**
 * `nested`: the first group of `source` that is repeated and holds a repetition itself (`(a+)+`,
 * `(?:[a-z]+/)*`), or undefined: the star height above one that makes a backtracking engine take
 * exponential time on a key that almost matches. A check of the pattern's form, not a proof:
 * alternatives that overlap under one repetition (`(a|a)*`) are not found. Escapes and classes
 * are skipped as JavaScript reads them in unicode mode (a pattern that compiled). `unbounded`: how
 * many `*`, `+` and `{n,}` it holds (up to the nested group, when there is one).
 */
function repetitionShape(source: string): { nested?: string; unbounded: number } {
  let unbounded = 0;
  const open: { start: number; repeats: boolean }[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      // \p{...}, \u{...} and \k<...> hold what looks like syntax: skip it whole.
      const long = /^\\(?:[pPu]\{[^}]*\}|k<[^>]*>)/.exec(source.slice(i));
      i += long ? long[0].length - 1 : 1;
      continue;
    }
    if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      open.push({ start: i, repeats: false });
      continue;
    }
    const q = repeatingQuantifier(source, i);
    if (c === ')') {
      const g = open.pop();
      const after = repeatingQuantifier(source, i + 1);
      if (g && g.repeats && after > 0) return { nested: source.slice(g.start, i + 1 + after), unbounded };
      // What a group holds repeats with it: the enclosing group holds a repetition too.
      if (g && (g.repeats || after > 0) && open.length > 0) open[open.length - 1]!.repeats = true;
      continue;
    }
    if (q > 0 && open.length > 0) open[open.length - 1]!.repeats = true;
    if (q > 0 && (c !== '{' || source[i + q - 2] === ',')) unbounded++;
    if (q !== 0) i += Math.abs(q) - 1;
  }
  return { unbounded };
}

/** Compiles `regex:PATTERN` strictly: it must parse (unicode mode) and have a group named `sha256`. */
function compile(value: string): RegExp {
  const source = value.slice('regex:'.length);
  if (source === '') throw new ConfigurationError(`${quote(value)} has an empty pattern; ${ALLOWED}`);
  let pattern: RegExp;
  try {
    // `s`: `.` matches a line break too, so a key holding one cannot slip past an anchored pattern unclaimed.
    pattern = new RegExp(source, 'su');
  } catch (e) {
    throw new ConfigurationError(`${quote(value)} is not a valid regular expression (${(e as Error).message}); ${ALLOWED}`);
  }
  // Every named group shows in `groups` of any match, undefined when it took no part: an empty
  // alternative always matches, so this lists the pattern's group names.
  const names = Object.keys(new RegExp(`(?:${source})|`, 'u').exec('')?.groups ?? {});
  if (!names.includes('sha256')) throw new ConfigurationError(`${quote(value)} has no named group sha256 (write (?<sha256>[0-9a-f]{64}) where the digest stands); ${ALLOWED}`);
  const { nested, unbounded } = repetitionShape(source);
  if (unbounded > MAX_UNBOUNDED) {
    throw new ConfigurationError(
      `${quote(value)} has ${unbounded} unbounded repetitions (*, + or {n,}), which together can take minutes on a key that almost matches; at most ${MAX_UNBOUNDED} are allowed (bound one, for example [^/]* as [^/]{0,255}); ${ALLOWED}`,
    );
  }
  if (nested !== undefined) {
    throw new ConfigurationError(
      `${quote(value)} repeats a group that itself repeats (${quote(nested)}), which can take exponential time on a key that almost matches; write the repetition once (for example (?:[a-z]+/)* as (?:[a-z/]*/)?); ${ALLOWED}`,
    );
  }
  return pattern;
}

/** Parses the `digest-in-key` input; `undefined` for `none` (or empty). */
export function parseDigestInKey(value: string): DigestRule | undefined {
  const v = value.trim();
  if (v === '' || v === 'none') return undefined;
  if (v === 'quay') return { name: v, digestOf: quay };
  if (v === 'name-hex') return { name: v, digestOf: nameHex };
  if (v.startsWith('regex:')) return { name: v, digestOf: byRegex(compile(v)) };
  throw new ConfigurationError(`${quote(v)} is not allowed; ${ALLOWED}`);
}
