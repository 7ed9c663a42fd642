/**
 * Secret redaction for the uploaded copies of text files. The source files are never touched.
 *
 * Each secret is searched for as bytes (UTF-8), in the forms it most often takes in a log: as is,
 * JSON-escaped and percent-encoded, and line by line for a multi-line secret (a key file). Every
 * occurrence becomes `***`, as in GitHub's own logs. Only counts ever leave this module: never a
 * value, never a position.
 *
 * Works on a whole buffer, or on a stream of chunks: a secret split across two chunks is still
 * found, because the last `longest - 1` bytes of a chunk wait for the next one.
 */

/** What replaces each occurrence. */
export const REDACTED = '***';
/** Shorter values are not redacted: replacing every `abc` in a log would destroy it and hide nothing. */
export const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly needles: readonly Buffer[];
  private readonly replacement = Buffer.from(REDACTED);
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
      for (const v of new Set([secret, ...secret.split(/\r?\n/)])) {
        if (v.trim().length < MIN_SECRET_LENGTH) continue;
        forms.add(v);
        forms.add(JSON.stringify(v).slice(1, -1));
        forms.add(encodeURIComponent(v));
      }
    }
    // Longest first, so that of two forms starting at the same byte the longer one is replaced whole.
    this.needles = [...forms].map((f) => Buffer.from(f)).sort((a, b) => b.length - a.length);
    this.longest = this.needles.reduce((n, b) => Math.max(n, b.length), 0);
    this.ignored = ignored;
  }

  /** True when there is anything to redact. */
  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Redacts a whole buffer. Returns the input itself when nothing was found. */
  redact(data: Buffer): { body: Buffer; count: number } {
    const r = this.scan(data, true);
    return { body: r.count === 0 ? data : Buffer.concat(r.out), count: r.count };
  }

  /** A redactor for one stream of chunks: `push` each chunk, then `end`. */
  stream(): RedactionStream {
    return new RedactionStream(this);
  }

  /**
   * Replaces occurrences in `data` that are certainly whole: all of them when `final`, else those
   * starting at least `longest - 1` bytes before the end. Returns the output pieces and how many
   * input bytes they cover; the rest is for the caller to carry into the next call.
   */
  scan(data: Buffer, final: boolean): { out: Buffer[]; consumed: number; count: number } {
    const out: Buffer[] = [];
    const limit = final ? data.length : Math.max(0, data.length - this.longest + 1);
    const next = this.needles.map((n) => data.indexOf(n));
    let pos = 0;
    let count = 0;
    for (;;) {
      let best = -1;
      for (let i = 0; i < next.length; i++) {
        const at = next[i]!;
        // Needles are sorted longest first: on a tie the earlier (longer) one stays chosen.
        if (at >= 0 && (best < 0 || at < next[best]!)) best = i;
      }
      if (best < 0 || next[best]! >= limit) break;
      const at = next[best]!;
      if (at > pos) out.push(data.subarray(pos, at));
      out.push(this.replacement);
      count++;
      pos = at + this.needles[best]!.length;
      for (let i = 0; i < next.length; i++) if (next[i]! >= 0 && next[i]! < pos) next[i] = data.indexOf(this.needles[i]!, pos);
    }
    const consumed = Math.max(pos, limit);
    if (consumed > pos) out.push(data.subarray(pos, consumed));
    return { out, consumed, count };
  }
}

/** Redaction over a sequence of chunks; output may lag input by up to `longest - 1` bytes. */
export class RedactionStream {
  private carry: Buffer = Buffer.alloc(0);
  /** Occurrences replaced so far. */
  count = 0;

  constructor(private readonly redactor: Redactor) {}

  /** Feeds a chunk; returns the output that is now certain. */
  push(chunk: Buffer): Buffer {
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const r = this.redactor.scan(data, false);
    this.count += r.count;
    // Copied: the caller may reuse `chunk`'s memory for its next read.
    this.carry = Buffer.from(data.subarray(r.consumed));
    return Buffer.concat(r.out);
  }

  /** Flushes what was held back. */
  end(): Buffer {
    const r = this.redactor.scan(this.carry, true);
    this.count += r.count;
    this.carry = Buffer.alloc(0);
    return Buffer.concat(r.out);
  }
}
