/**
 * `digest-in-key`: what each rule reads from a key, against a reference written here from the
 * input's contract (action.yml and README), sharing no code with src/storage and using no regular
 * expression for the presets: generated registry keys (good blobs, wrong shard folders, upper-case
 * and short or long hex, extra segments), content-addressed file names (several hex runs, runs of
 * other lengths, mixed case), and user patterns. The input's value is parsed strictly: any text
 * either gives a rule exactly when the reference says it is allowed, or fails with a
 * ConfigurationError naming the input, the value and what is allowed.
 */
import fc from 'fast-check';
import { ConfigurationError } from '../../src/config/configuration-error';
import type { Host } from '../../src/runtime/host';
import { parseInput } from '../../src/runtime/inputs';
import { parseDigestInKey, type KeyDigest } from '../../src/storage/digest-in-key';
import { checkProperty } from '../helpers/property';

// ---- the reference -----------------------------------------------------------------------------

type Ref = { kind: 'sha256'; sha256: string } | { kind: 'malformed' } | { kind: 'none' };
const LOWER_HEX = '0123456789abcdef';
const isHexChar = (c: string) => LOWER_HEX.includes(c.toLowerCase()) && c.length === 1;

function segments(key: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of key) {
    if (c === '/') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** quay: the last three segments `sha256`, S, B claim the key; B must be 64 lower-case hex and S its first two. */
function quayRef(key: string): Ref {
  const s = segments(key);
  if (s.length < 3 || s[s.length - 3] !== 'sha256') return { kind: 'none' };
  const shard = s[s.length - 2]!;
  const blob = s[s.length - 1]!;
  let lower = blob.length === 64;
  for (const c of blob) if (!LOWER_HEX.includes(c)) lower = false;
  if (!lower) return { kind: 'malformed' };
  if (shard.length !== 2 || shard[0] !== blob[0] || shard[1] !== blob[1]) return { kind: 'malformed' };
  return { kind: 'sha256', sha256: blob };
}

/** name-hex: in the last segment, the maximal runs of hex digits exactly 64 long; one value (any case) names it, two differ: malformed. */
function nameHexRef(key: string): Ref {
  const s = segments(key);
  const name = s[s.length - 1]!;
  const found = new Set<string>();
  let run = '';
  for (const c of `${name}/`) {
    if (isHexChar(c)) run += c;
    else {
      if (run.length === 64) found.add(run.toLowerCase());
      run = '';
    }
  }
  if (found.size === 0) return { kind: 'none' };
  if (found.size > 1) return { kind: 'malformed' };
  return { kind: 'sha256', sha256: [...found][0]! };
}

/** `^blobs/(?<sha256>[0-9a-fA-F]{64})\.bin$`, read by hand. */
function blobsRef(key: string): Ref {
  if (!key.startsWith('blobs/') || !key.endsWith('.bin')) return { kind: 'none' };
  const mid = key.slice('blobs/'.length, key.length - '.bin'.length);
  if (mid.length !== 64 || ![...mid].every(isHexChar)) return { kind: 'none' };
  return { kind: 'sha256', sha256: mid.toLowerCase() };
}

/** `^(?:blobs/(?<sha256>[0-9a-f]{64})|legacy/[a-z]+)\.bin$`: a legacy key matches without the group: malformed. */
function legacyRef(key: string): Ref {
  if (!key.endsWith('.bin')) return { kind: 'none' };
  const body = key.slice(0, -'.bin'.length);
  if (body.startsWith('legacy/')) {
    const rest = body.slice('legacy/'.length);
    return rest.length > 0 && [...rest].every((c) => c >= 'a' && c <= 'z') ? { kind: 'malformed' } : { kind: 'none' };
  }
  if (!body.startsWith('blobs/')) return { kind: 'none' };
  const mid = body.slice('blobs/'.length);
  return mid.length === 64 && [...mid].every((c) => LOWER_HEX.includes(c)) ? { kind: 'sha256', sha256: mid } : { kind: 'none' };
}

/** `^files/(?<sha256>[^/.]+)\.bin$`: whatever the group takes must be 64 hex digits, else malformed. */
function filesRef(key: string): Ref {
  if (!key.startsWith('files/') || !key.endsWith('.bin')) return { kind: 'none' };
  const mid = key.slice('files/'.length, key.length - '.bin'.length);
  if (mid.length === 0 || mid.includes('/') || mid.includes('.')) return { kind: 'none' };
  return mid.length === 64 && [...mid].every(isHexChar) ? { kind: 'sha256', sha256: mid.toLowerCase() } : { kind: 'malformed' };
}

const strip = (d: KeyDigest): Ref => (d.kind === 'malformed' ? { kind: 'malformed' } : d);

// ---- generators --------------------------------------------------------------------------------

const hexOf = (n: number, chars = LOWER_HEX) => fc.string({ unit: fc.constantFrom(...chars), minLength: n, maxLength: n });
const hex64 = hexOf(64);
const mixed64 = hexOf(64, `${LOWER_HEX}ABCDEF`);
const segment = fc.oneof(
  fc.constantFrom('datastorage', 'registry', 'sha256', 'uploads', '_verify', 'ab', '00', 'AB', '', 'x y', 'sha256 ', 'ünï'),
  fc.string({ unit: fc.constantFrom('a', 'b', 'f', '0', '9', 'z', '-', '.', ' '), maxLength: 6 }),
);

/** Registry keys: some prefix segments, then a tail of one of the shapes the preset must tell apart. */
const registryKey = fc
  .tuple(
    fc.array(segment, { maxLength: 3 }),
    hex64,
    mixed64,
    hexOf(2),
    fc.constantFrom('good', 'wrong-shard', 'upper', 'short', 'long', 'extra', 'no-shard', 'no-sha256', 'random', 'one-char-shard'),
    fc.array(segment, { minLength: 1, maxLength: 4 }),
  )
  .map(([prefix, h, m, other, shape, random]) => {
    const tail: Record<string, string[]> = {
      good: ['sha256', h.slice(0, 2), h],
      'wrong-shard': ['sha256', other, h],
      upper: ['sha256', m.slice(0, 2), m],
      short: ['sha256', h.slice(0, 2), h.slice(0, 63)],
      long: ['sha256', h.slice(0, 2), `${h}0`],
      extra: ['sha256', h.slice(0, 2), h, 'data'],
      'no-shard': ['sha256', h],
      'no-sha256': ['sha512', h.slice(0, 2), h],
      random,
      'one-char-shard': ['sha256', h.slice(0, 1), h],
    };
    return [...prefix, ...tail[shape]!].join('/');
  });

/** File names: pieces of hex (64 long and otherwise, any case) between words and separators, maybe in folders. */
const fileKey = fc
  .tuple(
    fc.array(
      fc.oneof(
        { arbitrary: hex64, weight: 3 },
        { arbitrary: mixed64, weight: 2 },
        fc.constantFrom('fedora-42', '-', '.', '.qcow2', 'x', 'g', '/', 'rhel', '_'),
        fc.oneof(hexOf(63), hexOf(65), hexOf(128)),
        segment,
      ),
      { maxLength: 6 },
    ),
    fc.boolean(),
  )
  .map(([pieces, folder]) => `${folder ? 'images/' : ''}${pieces.join('')}`);
/** Names as uploads make them, with one or two digests, or the same one twice in two cases. */
const namedKey = fc
  .tuple(fc.constantFrom('fedora-42-', 'rhel-9/', 'x', ''), mixed64, fc.constantFrom('-', '.', '_', 'g', ''), fc.oneof(hex64, fc.constant('same'), fc.constant('')), fc.constantFrom('.qcow2', '', '.img.xz'))
  .map(([a, h, sep, second, ext]) => `${a}${h}${second === '' ? '' : `${sep}${second === 'same' ? h.toUpperCase() : second}`}${ext}`);
const nameKey = fc.oneof(fileKey, namedKey);

const blobsShaped = fc.tuple(fc.constantFrom('blobs/', 'legacy/', 'files/'), fc.oneof(hex64, fc.string({ unit: fc.constantFrom('a', 'k', 'z'), minLength: 1, maxLength: 5 })), fc.constant('.bin')).map(([a, b, c]) => `${a}${b}${c}`);
const blobsAny = fc
  .tuple(fc.constantFrom('blobs/', 'legacy/', 'legacy/', 'files/', 'files/', 'blob/', ''), fc.oneof(mixed64, hex64, hexOf(63), fc.string({ unit: fc.constantFrom('a', 'q', 'z'), maxLength: 5 }), fc.string({ unit: fc.constantFrom('a', 'k', 'z'), minLength: 1, maxLength: 5 })), fc.constantFrom('.bin', '.bin', '.bin2', '', '.BIN'))
  .map(([a, b, c]) => `${a}${b}${c}`);
const blobsKey = fc.oneof(blobsAny, blobsShaped);

// ---- the properties ----------------------------------------------------------------------------

test('quay reads exactly what the reference reads from registry keys', async () => {
  const rule = parseDigestInKey('quay')!;
  let kinds = { sha256: 0, malformed: 0, none: 0 };
  await checkProperty(
    'quay preset vs reference',
    fc.property(registryKey, (key) => {
      const got = strip(rule.digestOf(key));
      kinds = { ...kinds, [got.kind]: kinds[got.kind] + 1 };
      expect({ key, got }).toEqual({ key, got: quayRef(key) });
    }),
    2000,
  );
  // The generator reaches every outcome often.
  console.log(`[property] quay outcomes: ${JSON.stringify(kinds)}`);
  for (const n of Object.values(kinds)) expect(n).toBeGreaterThan(150);
});

test('name-hex reads exactly what the reference reads from file names', async () => {
  const rule = parseDigestInKey('name-hex')!;
  let kinds = { sha256: 0, malformed: 0, none: 0 };
  await checkProperty(
    'name-hex preset vs reference',
    fc.property(nameKey, (key) => {
      const got = strip(rule.digestOf(key));
      kinds = { ...kinds, [got.kind]: kinds[got.kind] + 1 };
      expect({ key, got }).toEqual({ key, got: nameHexRef(key) });
    }),
    2000,
  );
  console.log(`[property] name-hex outcomes: ${JSON.stringify(kinds)}`);
  for (const n of Object.values(kinds)) expect(n).toBeGreaterThan(150);
});

test('regex: rules read the sha256 group as the reference does, and a match without it is malformed', async () => {
  const blobs = parseDigestInKey('regex:^blobs/(?<sha256>[0-9a-fA-F]{64})\\.bin$')!;
  const legacy = parseDigestInKey('regex:^(?:blobs/(?<sha256>[0-9a-f]{64})|legacy/[a-z]+)\\.bin$')!;
  const files = parseDigestInKey('regex:^files/(?<sha256>[^/.]+)\\.bin$')!;
  let kinds = { sha256: 0, malformed: 0, none: 0 };
  let filesKinds = { sha256: 0, malformed: 0, none: 0 };
  await checkProperty(
    'regex rules vs reference',
    fc.property(blobsKey, (key) => {
      expect({ key, got: strip(blobs.digestOf(key)) }).toEqual({ key, got: blobsRef(key) });
      const viaFiles = strip(files.digestOf(key));
      filesKinds = { ...filesKinds, [viaFiles.kind]: filesKinds[viaFiles.kind] + 1 };
      expect({ key, got: viaFiles }).toEqual({ key, got: filesRef(key) });
      const got = strip(legacy.digestOf(key));
      kinds = { ...kinds, [got.kind]: kinds[got.kind] + 1 };
      expect({ key, got }).toEqual({ key, got: legacyRef(key) });
    }),
    1500,
  );
  console.log(`[property] regex outcomes: ${JSON.stringify(kinds)}, files pattern: ${JSON.stringify(filesKinds)}`);
  for (const n of [...Object.values(kinds), ...Object.values(filesKinds)]) expect(n).toBeGreaterThan(50);
});

// ---- the input's value ---------------------------------------------------------------------------

const GROUP = '(?<sha256>[0-9a-f]{64})';
/** Pattern pieces, each a whole token: only GROUP makes the group (an escaped paren or a class does not). */
const piece = fc.constantFrom(GROUP, '(?<other>x)', '[a-z]+', '\\d', '(', ')', '*', '|', 'abc', '/', '\\(?<sha256>', '[(?<sha256>x)]', '\\k<nope>', '\\p{Nope}', '{2,1}', '.', '$', '^');
const hostWith = (value: string) => ({ input: (name: string) => (name === 'digest-in-key' ? value : '') }) as unknown as Host;
const compiles = (source: string) => {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
};

/**
 * Whether the pieces repeat a group that holds a repetition (`([a-z]+)*`, `((x)*)*`), which the
 * input refuses (exponential backtracking): read piece by piece, each a whole token; only `*`, `+`
 * and the `+` of `[a-z]+` repeat (GROUP's `{64}` is a fixed count).
 */
function nestedFromPieces(pieces: readonly string[]): boolean {
  const open: boolean[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p === '(') open.push(false);
    else if (p === ')') {
      const holds = open.pop();
      if (holds === undefined) continue;
      const repeated = pieces[i + 1] === '*' || pieces[i + 1] === '+';
      if (holds && repeated) return true;
      if ((holds || repeated) && open.length > 0) open[open.length - 1] = true;
    } else if ((p === '[a-z]+' || p === '*' || p === '+') && open.length > 0) open[open.length - 1] = true;
  }
  return false;
}

/** The pieces' unbounded repetitions: each `*`, `+`, `{n,}` and the `+` of `[a-z]+` (the input allows 3). */
const unboundedInPieces = (pieces: readonly string[]) => pieces.filter((p) => p === '*' || p === '+' || p === '[a-z]+' || p === '.*' || p === '{2,}').length;

test('any value gives a rule exactly when it is allowed, else a ConfigurationError naming the input, the value and what is allowed', async () => {
  let accepted = 0;
  let refused = 0;
  let nested = 0;
  let unbounded = 0;
  await checkProperty(
    'digest-in-key values',
    fc.property(
      fc.oneof(
        fc.array(piece, { maxLength: 5 }).map((p) => ({ value: `regex:${p.join('')}`, pieces: p })),
        // A group, repeated or not, around a piece that repeats or not: nested repetition often.
        fc
          .tuple(fc.constantFrom('[a-z]+', 'abc', '\\d', '(', ')'), fc.constantFrom('*', '+', ''), fc.constantFrom('*', '+', ''))
          .map(([inner, q1, q2]) => [...['(', inner, q1, ')', q2].filter((x) => x !== ''), GROUP])
          .map((p) => ({ value: `regex:${p.join('')}`, pieces: p })),
        // Unbounded repetitions one after another, around the group: over three is refused.
        fc
          .array(fc.constantFrom('.*', '[a-z]+', '-', 'x{2,}', 'x{2,5}', '\\d+'), { minLength: 1, maxLength: 7 })
          .map((ps) => ps.flatMap((p) => (p === 'x{2,}' ? ['x', '{2,}'] : p === 'x{2,5}' ? ['x', '{2,5}'] : p === '\\d+' ? ['\\d', '+'] : [p])))
          .map((ps) => ['^', ...ps, GROUP, '$'])
          .map((p) => ({ value: `regex:${p.join('')}`, pieces: p })),
        fc.constantFrom('quay', 'name-hex', 'none', '', 'Quay', 'regex', 'regex:', 'sha256', 'name_hex', ' quay ').map((value) => ({ value, pieces: undefined })),
        fc.string({ maxLength: 12 }).map((value) => ({ value, pieces: undefined })),
      ),
      ({ value, pieces }) => {
        const v = value.trim();
        const allowed =
          pieces !== undefined
            ? pieces.length > 0 && compiles(pieces.join('')) && pieces.includes(GROUP) && !nestedFromPieces(pieces) && unboundedInPieces(pieces) <= 3
            : ['quay', 'name-hex', 'none', ''].includes(v);
        if (pieces !== undefined && compiles(pieces.join('')) && pieces.includes(GROUP) && nestedFromPieces(pieces)) nested++;
        if (pieces !== undefined && compiles(pieces.join('')) && pieces.includes(GROUP) && !nestedFromPieces(pieces) && unboundedInPieces(pieces) > 3) unbounded++;
        let error: unknown;
        let rule: unknown;
        try {
          rule = parseInput(hostWith(value), 'digest-in-key', parseDigestInKey, 'none');
        } catch (e) {
          error = e;
        }
        if (allowed) {
          expect({ value, error }).toEqual({ value, error: undefined });
          expect(rule === undefined).toBe(v === 'none' || v === '');
          accepted++;
        } else {
          expect(error).toBeInstanceOf(ConfigurationError);
          const message = (error as Error).message;
          expect(message.startsWith('input "digest-in-key": ')).toBe(true);
          expect(message).toContain(JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v));
          expect(message).toContain('allowed: none, quay');
          refused++;
        }
      },
    ),
    1500,
  );
  expect(accepted).toBeGreaterThan(150);
  expect(refused).toBeGreaterThan(300);
  expect(nested).toBeGreaterThan(30);
  expect(unbounded).toBeGreaterThan(30);
  console.log(`[property] digest-in-key values: ${accepted} accepted, ${refused} refused, ${nested} of them for a repeated group that repeats, ${unbounded} for over three unbounded repetitions`);
});

test('the messages say what is wrong with a pattern', () => {
  expect(() => parseDigestInKey('regex:(?<sha256>[0-9a-f]{64}')).toThrow(/is not a valid regular expression \(.+\); allowed:/);
  expect(() => parseDigestInKey('regex:sha256/(?<digest>[0-9a-f]{64})')).toThrow(/has no named group sha256 \(write \(\?<sha256>/);
  expect(() => parseDigestInKey('regex:\\(?<sha256>[0-9a-f]{64}\\)')).toThrow(/has no named group sha256/);
  expect(() => parseDigestInKey('regex:')).toThrow(/empty pattern/);
});
