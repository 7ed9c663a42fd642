/**
 * The manifest of verified copies: for each key, the source's ETag and size and the ETag the
 * destination got when the copy was verified. Kept between runs, it lets a later run prove a pair
 * identical from two listings alone, where the ETags differ by nature (multipart objects written
 * with different part sizes, KMS, other providers).
 *
 * The file is gzip text: a JSON header line naming the source and destination it belongs to, then
 * one line per key in UTF-8 binary key order (`JSON key TAB source ETag TAB size TAB destination
 * ETag`), so it is read alongside the two listings in constant memory and written in the same order.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import * as readline from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { compareKeys } from '../storage/key-range';

export const MANIFEST_FORMAT = 'ci-stores-mirror-manifest/1';

export interface ManifestEntry {
  readonly key: string;
  readonly sourceEtag: string;
  readonly size: number;
  readonly destinationEtag: string;
}

/** Which pair of stores a manifest is about; a manifest for another pair is never used. */
export interface ManifestIdentity {
  readonly source: string;
  readonly destination: string;
}

/**
 * Looks keys up in a manifest read in order. Lookups must come in ascending key order (as the
 * march gives them); each line is read once.
 */
export class ManifestReader {
  private pending?: ManifestEntry;
  private done = false;

  private constructor(private readonly lines: AsyncIterator<string>) {}

  /**
   * Opens a manifest file. Resolves `undefined` with the reason when the file is missing, is not a
   * manifest, or belongs to another pair of stores: the run is then only slower, never wrong.
   */
  static async open(file: string, identity: ManifestIdentity): Promise<{ reader?: ManifestReader; reason?: string }> {
    try {
      await fs.access(file);
    } catch {
      return { reason: 'no manifest yet' };
    }
    const input = createReadStream(file).pipe(createGunzip());
    const lines = readline.createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
    let header: unknown;
    try {
      const first = await lines.next();
      header = first.done ? undefined : JSON.parse(first.value);
    } catch (e) {
      input.destroy();
      return { reason: `not a readable manifest (${(e as Error).message})` };
    }
    const h = header as { format?: unknown; source?: unknown; destination?: unknown } | undefined;
    if (!h || h.format !== MANIFEST_FORMAT) {
      input.destroy();
      return { reason: 'not a ci-stores mirror manifest' };
    }
    if (h.source !== identity.source || h.destination !== identity.destination) {
      input.destroy();
      return { reason: `it belongs to another pair of stores (${String(h.source)} -> ${String(h.destination)})` };
    }
    return { reader: new ManifestReader(lines) };
  }

  /** The entry for `key`, if the manifest has one. Keys must be asked for in ascending order. */
  async lookup(key: string): Promise<ManifestEntry | undefined> {
    for (;;) {
      if (this.pending) {
        const order = compareKeys(this.pending.key, key);
        if (order === 0) return this.pending;
        if (order > 0) return undefined;
        this.pending = undefined;
      }
      if (this.done) return undefined;
      const r = await this.lines.next();
      if (r.done) {
        this.done = true;
        return undefined;
      }
      // A damaged line is skipped: that key is compared the slow way.
      this.pending = parseLine(r.value);
    }
  }
}

function parseLine(line: string): ManifestEntry | undefined {
  const parts = line.split('\t');
  if (parts.length !== 4) return undefined;
  try {
    const key = JSON.parse(parts[0]!) as unknown;
    const size = Number(parts[2]);
    if (typeof key !== 'string' || !Number.isSafeInteger(size) || size < 0) return undefined;
    return { key, sourceEtag: parts[1]!, size, destinationEtag: parts[3]! };
  } catch {
    return undefined;
  }
}

/**
 * Writes a manifest: entries must be added in ascending key order. Written to a temporary file and
 * renamed into place by `close`, so a run that dies leaves the previous manifest intact.
 */
export class ManifestWriter {
  private readonly out = new PassThrough();
  private readonly done: Promise<void>;
  private last?: string;
  private count = 0;
  /** Lines not yet handed to gzip: written in chunks, not a line at a time. */
  private pending = '';

  constructor(
    private readonly file: string,
    identity: ManifestIdentity,
  ) {
    this.done = pipeline(this.out, createGzip({ level: 6 }), createWriteStream(`${file}.tmp`));
    this.out.write(`${JSON.stringify({ format: MANIFEST_FORMAT, ...identity })}\n`);
  }

  /** Adds an entry; waits when the file falls behind, so memory stays flat. */
  async add(e: ManifestEntry): Promise<void> {
    if (this.last !== undefined && compareKeys(e.key, this.last) <= 0) throw new Error(`manifest entries out of order: ${JSON.stringify(e.key)}`);
    this.last = e.key;
    this.count++;
    this.pending += `${JSON.stringify(e.key)}\t${e.sourceEtag}\t${e.size}\t${e.destinationEtag}\n`;
    if (this.pending.length >= 65_536) {
      const chunk = this.pending;
      this.pending = '';
      if (!this.out.write(chunk)) await once(this.out, 'drain');
    }
  }

  get entries(): number {
    return this.count;
  }

  /** Finishes the file and renames it into place. */
  async close(): Promise<void> {
    this.out.end(this.pending);
    this.pending = '';
    await this.done;
    await fs.rename(`${this.file}.tmp`, this.file);
  }

  /** Drops the temporary file. */
  async discard(): Promise<void> {
    this.out.end();
    await this.done.catch(() => undefined);
    await fs.rm(`${this.file}.tmp`, { force: true });
  }
}
