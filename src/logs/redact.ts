/**
 * Secret redaction for the uploaded copies of log files. The source files are never touched.
 *
 * Each secret is searched for as bytes, in the forms it most often takes in a log (see
 * {@link secretForms}): as is and trimmed of surrounding whitespace, JSON-escaped, percent-encoded
 * (as `encodeURIComponent`, RFC 3986 and HTML forms write it, `%XX` in upper- and lowercase hex),
 * as hex and as base64 / base64url at each of the three alignments, and line by line for a
 * multi-line secret (a key file). Only counts ever leave this module: never a value, never a
 * position.
 *
 * What is replaced is the union of every occurrence of every form: where two secrets overlap in
 * the text, or one holds the other, the whole stretch they cover goes, so no tail of either is
 * left. In `text` mode each stretch becomes `***`, as in GitHub's own logs; in `bytes` mode each
 * byte of it becomes `*`, so the offsets in a binary file (an archive, a disk image) stay valid.
 * Should a form itself hold a `*`, another marker byte that no form holds is used instead, so that
 * a marker can never make up a secret together with the text around it.
 *
 * Works on a whole buffer, or on a stream of chunks with the same result: a secret split across
 * two chunks is still found, because the last `longest - 1` bytes of a chunk wait for the next one.
 */

/** What replaces each occurrence in text, unless a secret's form holds a `*` (see {@link Redactor.marker}). */
export const REDACTED = '***';
/** Shorter values are not redacted: replacing every `abc` in a log would destroy it and hide nothing. */
export const MIN_SECRET_LENGTH = 4;

/**
 * `text`: each redacted stretch becomes three marker bytes. `bytes`: each redacted byte becomes one
 * marker byte, so the length and every offset stay as they were.
 */
export type RedactionMode = 'text' | 'bytes';

/** Bytes of the percent-encodings in use that are written as themselves. */
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PERCENT_STYLES: readonly { readonly safe: string; readonly plus: boolean }[] = [
  { safe: `${ALNUM}-_.!~*'()`, plus: false }, // encodeURIComponent
  { safe: `${ALNUM}-_.~`, plus: false }, // RFC 3986 (curl, Go's PathEscape, Python's quote(safe=''))
  { safe: `${ALNUM}*-._`, plus: true }, // application/x-www-form-urlencoded (URLSearchParams, HTML forms)
  { safe: `${ALNUM}-_.~`, plus: true }, // Python's quote_plus, Go's QueryEscape
];

/**
 * Every form in which `secret` is searched for, each at least {@link MIN_SECRET_LENGTH} bytes
 * long (shorter forms, and secrets that are shorter once trimmed, give none).
 */
export function secretForms(secret: string): Set<string> {
  const values = new Set<string>();
  const add = (v: string) => {
    if (v.trim().length >= MIN_SECRET_LENGTH) values.add(v);
  };
  add(secret);
  add(secret.trim());
  // A key file's lines show up one by one, with or without their own whitespace and CR.
  for (const line of secret.split(/\r\n|\r|\n/)) {
    add(line);
    add(line.trim());
  }
  const forms = new Set<string>();
  for (const v of values) {
    const bytes = Buffer.from(v);
    forms.add(v);
    const json = JSON.stringify(v).slice(1, -1);
    forms.add(json);
    forms.add(json.replace(/\//g, '\\/'));
    // Python's json.dumps writes every non-ASCII character as \uXXXX in lowercase hex.
    forms.add(json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    for (const style of PERCENT_STYLES) {
      const upper = percentEncode(bytes, style.safe, style.plus);
      forms.add(upper);
      forms.add(upper.replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase()));
    }
    const hex = bytes.toString('hex');
    forms.add(hex);
    forms.add(hex.toUpperCase());
    for (const encoding of ['base64', 'base64url'] as const) {
      // The whole encoding, for a value encoded on its own (its last character holds padding bits),
      // and the characters that hold nothing but the value's bits at each alignment, for a value
      // encoded inside a longer text (`user:secret` in a Basic authorization).
      forms.add(bytes.toString(encoding).replace(/=+$/, ''));
      for (let shift = 0; shift < 3; shift++) forms.add(base64Core(bytes, shift, encoding));
    }
  }
  return new Set([...forms].filter((f) => Buffer.byteLength(f) >= MIN_SECRET_LENGTH));
}

function percentEncode(bytes: Buffer, safe: string, plus: boolean): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (b < 0x80 && safe.includes(c)) out += c;
    else if (plus && c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The characters of the base64 encoding of `bytes` that depend on `bytes` alone when they start
 * `shift` bytes into a 3-byte group: what any encoding of a longer text holding them contains.
 */
function base64Core(bytes: Buffer, shift: number, encoding: 'base64' | 'base64url'): string {
  const text = Buffer.concat([Buffer.alloc(shift), bytes]).toString(encoding);
  return text.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
}

/** Marker bytes in order of preference, then any printable ASCII byte. */
const MARKERS = Buffer.from('*#~^_=');

/** The marker byte: `*` unless a form holds it, else the first byte that no form holds. */
function chooseMarker(needles: readonly Buffer[]): number {
  const used = new Set<number>();
  for (const n of needles) for (const b of n) used.add(b);
  for (const b of MARKERS) if (!used.has(b)) return b;
  for (let b = 0x21; b < 0x7f; b++) if (!used.has(b)) return b;
  // Never in UTF-8, and every form is UTF-8.
  return 0xff;
}

export class Redactor {
  private readonly needles: readonly Buffer[];
  /** The byte that stands for a redacted one: `*` unless a secret's form holds a `*`. */
  readonly marker: string;
  private readonly markerByte: number;
  private readonly textMarker: Buffer;
  /** Length in bytes of the longest form of any secret. */
  readonly longest: number;
  /** Secrets given that were too short to redact (a count, for the report). */
  readonly ignored: number;

  constructor(secrets: Iterable<string>) {
    const forms = new Set<string>();
    let ignored = 0;
    for (const secret of new Set(secrets)) {
      if (secret === '') continue;
      if (secret.trim().length < MIN_SECRET_LENGTH) {
        ignored++;
        continue;
      }
      for (const f of secretForms(secret)) forms.add(f);
    }
    this.needles = [...forms].map((f) => Buffer.from(f));
    this.markerByte = chooseMarker(this.needles);
    this.marker = Buffer.from([this.markerByte]).toString('latin1');
    this.textMarker = Buffer.alloc(REDACTED.length, this.markerByte);
    this.longest = this.needles.reduce((n, b) => Math.max(n, b.length), 0);
    this.ignored = ignored;
  }

  /** True when there is anything to redact. */
  get active(): boolean {
    return this.needles.length > 0;
  }

  /** How many forms are searched for (for figures, never the forms themselves). */
  get formCount(): number {
    return this.needles.length;
  }

  /** Redacts a whole buffer. Returns the input itself when nothing was found. */
  redact(data: Buffer, mode: RedactionMode = 'text'): { body: Buffer; count: number } {
    const r = this.scan(data, true, 0, mode);
    return { body: r.count === 0 ? data : Buffer.concat(r.out), count: r.count };
  }

  /** A redactor for one stream of chunks: `push` each chunk, then `end`. */
  stream(mode: RedactionMode = 'text'): RedactionStream {
    return new RedactionStream(this, mode);
  }

  /**
   * Redacts `data` up to the point where what follows cannot change it: all of it when `final`,
   * else up to `longest - 1` bytes before the end (a form starting later may not be whole yet).
   * `covered` bytes at the start of `data` were already redacted by an earlier call (a stretch
   * that ran past that call's end): they are never shown, and an occurrence overlapping them
   * extends that stretch rather than starting a new one. Returns the output pieces, how many input
   * bytes they cover (the caller carries the rest into the next call), how many of the carried
   * bytes are already redacted, and the count of new stretches.
   */
  scan(data: Buffer, final: boolean, covered: number, mode: RedactionMode): { out: Buffer[]; consumed: number; covered: number; count: number } {
    const out: Buffer[] = [];
    const limit = final ? data.length : Math.max(0, data.length - this.longest + 1);
    // Too little to decide anything yet: all of it is carried, and so is what was redacted of it.
    if (limit === 0) return { out, consumed: 0, covered, count: 0 };
    const n = this.needles;
    const next = n.map((needle) => data.indexOf(needle));
    let pos = 0;
    let count = 0;
    for (let first = true; ; first = false) {
      // The next stretch starts at the earliest occurrence (or is the one already under way).
      let start: number;
      let end: number;
      const continued = first && covered > 0;
      if (continued) {
        start = 0;
        end = covered;
      } else {
        let best = -1;
        for (let i = 0; i < n.length; i++) if (next[i]! >= 0 && (best < 0 || next[i]! < next[best]!)) best = i;
        if (best < 0) break;
        start = next[best]!;
        end = start;
      }
      if (start >= limit) break;
      // Grow it by every occurrence that overlaps it, until none does. An occurrence that lies
      // wholly inside cannot grow it: each needle resumes where it could first reach past `end`.
      for (let grown = true; grown; ) {
        grown = false;
        for (let i = 0; i < n.length; i++) {
          while (next[i]! >= 0 && next[i]! < Math.max(end, start + 1)) {
            const stop = next[i]! + n[i]!.length;
            if (stop > end) {
              end = stop;
              grown = true;
            }
            next[i] = data.indexOf(n[i]!, Math.max(next[i]! + 1, end - n[i]!.length + 1));
          }
        }
      }
      if (start > pos) out.push(data.subarray(pos, start));
      if (mode === 'bytes') out.push(Buffer.alloc(Math.min(end, limit) - start, this.markerByte));
      else if (!continued) out.push(this.textMarker);
      if (!continued) count++;
      pos = end;
    }
    if (pos >= limit) {
      // A stretch runs past the limit: its bytes from there on are carried, already redacted.
      return { out, consumed: limit, covered: pos - limit, count };
    }
    out.push(data.subarray(pos, limit));
    return { out, consumed: limit, covered: 0, count };
  }
}

/** Redaction over a sequence of chunks; output may lag input by up to `longest - 1` bytes. */
export class RedactionStream {
  private carry: Buffer = Buffer.alloc(0);
  private covered = 0;
  /** Redacted stretches so far. */
  count = 0;

  constructor(
    private readonly redactor: Redactor,
    private readonly mode: RedactionMode,
  ) {}

  /** Feeds a chunk; returns the output that is now certain. */
  push(chunk: Buffer): Buffer {
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const r = this.redactor.scan(data, false, this.covered, this.mode);
    this.count += r.count;
    this.covered = r.covered;
    // Copied: the caller may reuse `chunk`'s memory for its next read.
    this.carry = Buffer.from(data.subarray(r.consumed));
    return Buffer.concat(r.out);
  }

  /** Flushes what was held back. */
  end(): Buffer {
    const r = this.redactor.scan(this.carry, true, this.covered, this.mode);
    this.count += r.count;
    this.carry = Buffer.alloc(0);
    this.covered = 0;
    return Buffer.concat(r.out);
  }
}
