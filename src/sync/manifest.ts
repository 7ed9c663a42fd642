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
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createHash } from 'node:crypto';
import { createGunzip, createGzip } from 'node:zlib';
import { compareKeys, type Shard } from '../storage/key-range';

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
 * The Actions cache key (a prefix: each save appends its run) of a pair's manifest for one shard
 * slot. The slot is I of N, not its key range: re-planned shards move their cuts whenever keys are
 * added, and a slot must still find what it proved the night before.
 */
export function manifestCacheKey(identity: ManifestIdentity, shard: Pick<Shard, 'index' | 'count'>): string {
  const pair = createHash('sha256').update(JSON.stringify([identity.source, identity.destination])).digest('hex').slice(0, 16);
  return `ci-stores-mirror-${pair}-${shard.index}of${shard.count}-`;
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
    const lines = splitLines(input)[Symbol.asyncIterator]();
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

  /**
   * The entry for `key`, if the manifest has one. Keys must be asked for in ascending order; the
   * mirror asks for many at once (one per pair in flight), so each lookup waits for the one before
   * it: two reading the file together would each take lines the other needed.
   */
  lookup(key: string): Promise<ManifestEntry | undefined> {
    const found = this.queue.then(() => this.lookupNext(key));
    this.queue = found.catch(() => undefined);
    return found;
  }

  private queue: Promise<unknown> = Promise.resolve();

  private async lookupNext(key: string): Promise<ManifestEntry | undefined> {
    for (;;) {
      const next = await this.peek();
      if (next === undefined) return undefined;
      const order = compareKeys(next.key, key);
      if (order === 0) return next;
      if (order > 0) return undefined;
      this.pending = undefined;
    }
  }

  /** The next entry in file order, without taking it; undefined at the end. */
  async peek(): Promise<ManifestEntry | undefined> {
    while (this.pending === undefined && !this.done) {
      const r = await this.lines.next();
      if (r.done) this.done = true;
      // A damaged line is skipped: that key is compared the slow way.
      else this.pending = parseLine(r.value);
    }
    return this.pending;
  }

  /** Takes the entry `peek` gave. */
  take(): void {
    this.pending = undefined;
  }
}

/**
 * The lines of a stream, split at "\n" only. (readline also splits at U+2028 and U+2029, which S3
 * keys may hold: a key with one was cut in two, and the second half could read as another key.)
 */
async function* splitLines(input: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of input) {
    const parts = (rest + decoder.write(chunk)).split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}

/** A key as JSON with U+2028 and U+2029 escaped too, so any line reader sees one line per entry. */
function jsonKey(key: string): string {
  return JSON.stringify(key).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
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
 *
 * A run that looks at only some keys (one shard's range, an include or exclude) proves only those:
 * the entries the file already holds for keys it did not look at (`notSeen`) are carried over
 * unchanged, in order, so a manifest shared by several shards or workflows, or kept by a slot whose
 * range moves, forgets nothing it proved. An entry only ever proves a pair whose listings still show
 * the ETags and size it recorded.
 */
export class ManifestWriter {
  private readonly out = new PassThrough();
  private readonly done: Promise<void>;
  /** Settles when the temporary file is open (or could not be). */
  private readonly opened: Promise<void>;
  /** The first error of the file (it could not be created, a write failed), thrown by `add` from then on. */
  private failure?: { error: unknown };
  private last?: string;
  private count = 0;
  private carried = 0;
  /** Lines not yet handed to gzip: written in chunks, not a line at a time. */
  private pending = '';
  /** The manifest this one replaces, read for its entries of keys this run did not look at. */
  private readonly previous?: Promise<ManifestReader | undefined>;

  /** Entries given after their keys' places (`addLate`), merged in by `close`. */
  private readonly late: ManifestEntry[] = [];

  constructor(
    private readonly file: string,
    private readonly identity: ManifestIdentity,
    private readonly notSeen?: (key: string) => boolean,
  ) {
    if (notSeen !== undefined) {
      this.previous = ManifestReader.open(file, identity).then((o) => o.reader);
    }
    const tmp = createWriteStream(`${file}.tmp`);
    this.done = pipeline(this.out, createGzip({ level: 6 }), tmp);
    // Handled at once: a file that fails before close() or discard() is recorded, not an unhandled rejection.
    this.done.catch((error: unknown) => void (this.failure ??= { error }));
    this.opened = Promise.race([new Promise<void>((resolve) => tmp.once('open', () => resolve())), this.done]).catch(() => undefined);
    this.out.write(`${JSON.stringify({ format: MANIFEST_FORMAT, ...identity })}\n`);
  }

  /**
   * Adds an entry; waits when the file falls behind, so memory stays flat. An entry whose ETags
   * hold a control character (a tab or a line break would forge fields or lines; only a hostile
   * server sends one) is left out: that pair is compared the slow way next time.
   */
  async add(e: ManifestEntry): Promise<void> {
    this.throwFailure();
    if (this.last !== undefined && compareKeys(e.key, this.last) <= 0) throw new Error(`manifest entries out of order: ${JSON.stringify(e.key)}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(e.sourceEtag + e.destinationEtag)) return;
    await this.carryBefore(e.key);
    await this.write(e);
  }

  /** Writes the previous manifest's entries of keys not seen with keys before `key` (all of them when undefined). */
  private async carryBefore(key: string | undefined): Promise<void> {
    const previous = await this.previous;
    if (!previous) return;
    for (let e = await previous.peek(); e !== undefined; e = await previous.peek()) {
      if (key !== undefined && compareKeys(e.key, key) >= 0) return;
      previous.take();
      // For keys it looked at, this run's view replaces the old one; a line out of order is dropped.
      if (!this.notSeen!(e.key) || (this.last !== undefined && compareKeys(e.key, this.last) <= 0)) continue;
      this.carried++;
      await this.write(e);
    }
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Waits until the temporary file is open; throws why it could not be (a missing folder, no permission). */
  async ready(): Promise<void> {
    await this.opened;
    this.throwFailure();
  }

  private async write(e: ManifestEntry): Promise<void> {
    this.throwFailure();
    this.last = e.key;
    this.count++;
    this.pending += `${jsonKey(e.key)}\t${e.sourceEtag}\t${e.size}\t${e.destinationEtag}\n`;
    if (this.pending.length >= 65_536) {
      const chunk = this.pending;
      this.pending = '';
      // A file that fails stops draining: its error comes through `done` instead.
      if (!this.out.write(chunk)) await Promise.race([once(this.out, 'drain'), this.done]);
      this.throwFailure();
    }
  }

  /** Entries in the file: recorded by this run, and carried over from outside its range. */
  get entries(): number {
    return this.count;
  }

  /** Of `entries`, those carried over from the previous manifest (keys this run did not look at). */
  get carriedOver(): number {
    return this.carried;
  }

  /**
   * Keeps entries that come after their keys' places (ordered publication writes some objects
   * after the march passed them), one per key, for `close` to merge in: it then reads the file once
   * more and writes it anew with them in order.
   */
  addLate(entries: readonly ManifestEntry[]): void {
    // One at a time: a spread of more than some 100,000 arguments overflows the stack.
    for (const entry of entries) this.late.push(entry);
  }

  /** Finishes the file and renames it into place. */
  async close(): Promise<void> {
    await this.carryBefore(undefined);
    this.out.end(this.pending);
    this.pending = '';
    await this.done;
    await fs.rename(`${this.file}.tmp`, this.file);
    if (this.late.length > 0) await this.mergeLate();
  }

  private async mergeLate(): Promise<void> {
    const sorted = this.late.splice(0).sort((a, b) => compareKeys(a.key, b.key));
    const keys = new Set(sorted.map((e) => e.key));
    // Carries over every entry of the file but those of the late keys, which the late entries replace.
    const merged = new ManifestWriter(this.file, this.identity, (key) => !keys.has(key));
    try {
      for (const e of sorted) await merged.add(e);
      await merged.close();
    } catch (e) {
      await merged.discard();
      throw e;
    }
    this.count = merged.entries;
  }

  /** Drops the temporary file. */
  async discard(): Promise<void> {
    this.out.end();
    await this.done.catch(() => undefined);
    await fs.rm(`${this.file}.tmp`, { force: true });
  }
}
