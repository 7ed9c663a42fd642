/**
 * A local folder that behaves like a bucket: keys are relative paths, listings are sorted in UTF-8
 * binary order, writes are atomic (a temporary file renamed into place), and metadata lives in a
 * sidecar tree so that `head` answers what S3 would.
 *
 * Layout under the root: the objects themselves, plus `.ci-stores/meta/KEY.json` and
 * `.ci-stores/tmp/` for writes in progress. The `.ci-stores` folder is never listed.
 */
import { compareKeys, inRange, type KeyRange } from './key-range';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { multipartEtag } from './etag';
import {
  StoreError,
  type BucketPolicyState,
  type MultipartWrite,
  type ObjectHead,
  type ObjectInfo,
  type ObjectStore,
  type ReadRange,
  type WriteOptions,
} from './object-store';

const INTERNAL = '.ci-stores';

interface Sidecar {
  readonly etag: string;
  readonly metadata: Record<string, string>;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
}

export class LocalStore implements ObjectStore {
  readonly display: string;
  readonly visibilityMode = 'none' as const;

  constructor(readonly root: string) {
    this.display = `file://${root}`;
  }

  async preflight(): Promise<void> {
    let st;
    try {
      st = await fs.stat(this.root);
    } catch {
      throw new StoreError('no-such-bucket', `${this.display}: the folder does not exist`);
    }
    if (!st.isDirectory()) throw new StoreError('no-such-bucket', `${this.display}: not a folder`);
    try {
      await fs.access(this.root, fs.constants.W_OK);
    } catch {
      throw new StoreError('access-denied', `${this.display}: the folder is not writable`);
    }
  }

  async *listPages(prefix = '', range: KeyRange = {}): AsyncIterable<readonly ObjectInfo[]> {
    let page: ObjectInfo[] = [];
    for await (const o of this.list(prefix, range)) {
      page.push(o);
      if (page.length === 1000) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async *list(prefix = '', range: KeyRange = {}): AsyncIterable<ObjectInfo> {
    const keys: string[] = [];
    await this.walk('', keys);
    const wanted = keys.filter((k) => k.startsWith(prefix) && inRange(k, range));
    wanted.sort(compareKeys);
    for (const key of wanted) {
      const h = await this.head(key);
      if (h) yield { key, size: h.size, etag: h.etag, lastModified: h.lastModified };
    }
  }

  private async walk(rel: string, out: string[]): Promise<void> {
    const dir = path.join(this.root, rel);
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new StoreError('unknown', `${this.display}: cannot list ${JSON.stringify(rel)}`, undefined, { cause: e });
    }
    for (const e of entries) {
      if (rel === '' && e.name === INTERNAL) continue;
      const key = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await this.walk(key, out);
      else if (e.isFile()) out.push(key);
    }
  }

  async head(key: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectHead | undefined> {
    if (options?.signal?.aborted) throw new StoreError('unknown', `HEAD ${this.display} key ${JSON.stringify(key)}: aborted`);
    const file = this.pathOf(key);
    let st;
    try {
      st = await fs.stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const side = await this.readSidecar(key);
    return {
      key,
      size: st.size,
      etag: side?.etag,
      lastModified: st.mtime,
      metadata: side?.metadata ?? {},
      contentType: side?.contentType,
      contentEncoding: side?.contentEncoding,
      cacheControl: side?.cacheControl,
      contentDisposition: side?.contentDisposition,
    };
  }

  async read(key: string): Promise<{ head: ObjectHead; body: Readable }> {
    const head = await this.head(key);
    if (!head) throw new StoreError('not-found', `${this.display}: no object ${JSON.stringify(key)}`);
    return { head, body: await this.get(key) };
  }

  async get(key: string, range?: ReadRange): Promise<Readable> {
    const file = this.pathOf(key);
    const what = `GET ${this.display} key ${JSON.stringify(key)}`;
    let handle;
    try {
      handle = await fs.open(file, 'r');
    } catch {
      throw new StoreError('not-found', `${what}: no such object`);
    }
    try {
      const start = range?.start ?? 0;
      if (range?.ifMatch !== undefined && (await this.readSidecar(key))?.etag !== range.ifMatch) {
        throw new StoreError('changed', `${what}: the object is no longer ETag ${range.ifMatch}`, 'PreconditionFailed');
      }
      // As S3 answers 416: a range must start on a byte the object has.
      if (start > 0 && start >= (await handle.stat()).size) {
        throw new StoreError('invalid-request', `${what}: byte ${start} is past the end`, 'InvalidRange');
      }
      return handle.createReadStream({ start });
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async put(key: string, body: Buffer, sha256: Buffer, options: WriteOptions): Promise<{ etag: string }> {
    this.pathOf(key);
    checkSha256(body, sha256, key);
    const tmp = await this.tempPath();
    await fs.writeFile(tmp, body, { flush: true });
    const etag = createHash('md5').update(body).digest('hex');
    await this.commit(tmp, key, etag, options);
    return { etag };
  }

  async startMultipart(key: string, options: WriteOptions): Promise<MultipartWrite> {
    const dir = await this.tempPath();
    await fs.mkdir(dir);
    return new LocalMultipartWrite(this, dir, key, options);
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
    await fs.rm(this.sidecarPath(key), { force: true });
  }

  async listOpenUploads(): Promise<readonly { key: string; uploadId: string }[]> {
    let names: string[];
    try {
      names = await fs.readdir(path.join(this.root, INTERNAL, 'tmp'));
    } catch {
      return [];
    }
    return names.map((n) => ({ key: '', uploadId: n }));
  }

  async policy(): Promise<BucketPolicyState> {
    return { kind: 'none' };
  }

  locate(): undefined {
    return undefined;
  }

  anonymousAddress(): undefined {
    return undefined;
  }

  /** Renames a finished temporary file into place and records its sidecar (sidecar first: a reader never sees content without it). */
  async commit(tmp: string, key: string, etag: string, options: WriteOptions): Promise<void> {
    const target = this.pathOf(key);
    const sidecar: Sidecar = {
      etag,
      metadata: { ...(options.metadata ?? {}) },
      contentType: options.contentType,
      contentEncoding: options.contentEncoding,
      cacheControl: options.cacheControl,
      contentDisposition: options.contentDisposition,
    };
    const sideTmp = `${tmp}.json`;
    await fs.writeFile(sideTmp, JSON.stringify(sidecar));
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.mkdir(path.dirname(this.sidecarPath(key)), { recursive: true });
    await fs.rename(sideTmp, this.sidecarPath(key));
    await fs.rename(tmp, target);
  }

  async tempPath(): Promise<string> {
    const dir = path.join(this.root, INTERNAL, 'tmp');
    await fs.mkdir(dir, { recursive: true });
    return path.join(dir, randomUUID());
  }

  private pathOf(key: string): string {
    const segments = key.split('/');
    if (key === '' || segments.some((s) => s === '' || s === '.' || s === '..') || segments[0] === INTERNAL) {
      throw new StoreError('invalid-request', `${this.display}: key ${JSON.stringify(key)} cannot be a file path`);
    }
    return path.join(this.root, ...segments);
  }

  private sidecarPath(key: string): string {
    return path.join(this.root, INTERNAL, 'meta', `${key}.json`);
  }

  private async readSidecar(key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.sidecarPath(key), 'utf8')) as Sidecar;
    } catch {
      return undefined;
    }
  }
}

/** What S3 does with a signed payload hash: a body that does not match it is refused. */
function checkSha256(body: Buffer, sha256: Buffer, what: string): void {
  if (!createHash('sha256').update(body).digest().equals(sha256)) {
    throw new StoreError('bad-digest', `${JSON.stringify(what)}: content does not match its SHA-256`, 'XAmzContentSHA256Mismatch');
  }
}

class LocalMultipartWrite implements MultipartWrite {
  private readonly md5s = new Map<number, Buffer>();

  constructor(
    private readonly store: LocalStore,
    private readonly dir: string,
    private readonly key: string,
    private readonly options: WriteOptions,
  ) {}

  async writePart(partNumber: number, body: Buffer, sha256: Buffer): Promise<void> {
    checkSha256(body, sha256, `part ${partNumber} of ${this.key}`);
    await fs.writeFile(path.join(this.dir, String(partNumber)), body);
    this.md5s.set(partNumber, createHash('md5').update(body).digest());
  }

  async complete(): Promise<{ etag: string }> {
    const numbers = [...this.md5s.keys()].sort((a, b) => a - b);
    const joined = await this.store.tempPath();
    const out = await fs.open(joined, 'w');
    try {
      for (const n of numbers) await out.write(await fs.readFile(path.join(this.dir, String(n))));
      await out.sync();
    } finally {
      await out.close();
    }
    const etag = multipartEtag(numbers.map((n) => this.md5s.get(n)!));
    await this.store.commit(joined, this.key, etag, this.options);
    await fs.rm(this.dir, { recursive: true, force: true });
    return { etag };
  }

  async abort(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
