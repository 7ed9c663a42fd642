/**
 * A local folder that behaves like a bucket: keys are relative paths, listings are sorted in UTF-8
 * binary order, writes are atomic (a temporary file renamed into place), and metadata lives in a
 * sidecar tree so that `head` answers what S3 would.
 *
 * Layout under the root: the objects themselves, plus `.ci-stores/meta/KEY.json` and
 * `.ci-stores/tmp/` for writes in progress. The `.ci-stores` folder is never listed.
 *
 * What a folder can hold that a bucket cannot is never passed over in silence (see
 * {@link Uncarriable}): a listing yields every regular file it can and then throws, so a sync
 * never mistakes a folder it could not read whole for a short one.
 *
 * A sidecar records the file it was written for (size, modification and change times, inode);
 * while the file is still that one, the sidecar's ETag is the content's. A file changed by hand
 * (even to other bytes of the same size, with its old mtime put back) no longer matches, and is
 * hashed again on each `head` until a write through the store records it anew.
 */
import { compareKeys, inRange, type KeyRange } from './key-range';
import { checkSha256, LocalMultipartWrite } from './local-multipart';
import { concerns, INTERNAL, walkFolder, type Uncarriable } from './local-walk';
import { createHash, randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { metadataToWrite } from './private-marker';
import { StoreError } from '../errors';
import {
  type BucketPolicyState,
  type MultipartWrite,
  type ObjectHead,
  type ObjectInfo,
  type ObjectStore,
  type ReadRange,
  type WriteOptions,
} from './object-store';

/** How many uncarriable entries an error names; the count says how many there are. */
const NAMED = 5;

export type { Uncarriable };

/** The file a sidecar was written for, as `stat` saw it then (nanoseconds and inode as decimal strings). */
interface FileStamp {
  readonly size: number;
  readonly mtimeNs: string;
  /** Absent while the file is being renamed into place: the sidecar is then not trusted yet. */
  readonly ctimeNs?: string;
  readonly ino: string;
}

interface Sidecar {
  readonly etag: string;
  readonly metadata: Record<string, string>;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  /** Absent in sidecars written before stamps existed: such a sidecar is never trusted for the ETag. */
  readonly file?: FileStamp;
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
    try {
      for await (const object of this.list(prefix, range)) {
        page.push(object);
        if (page.length === 1000) {
          yield page;
          page = [];
        }
      }
    } catch (e) {
      // What was listed before the failure is handed on first, as `list` does.
      if (page.length > 0) yield page;
      throw e;
    }
    if (page.length > 0) yield page;
  }

  /**
   * Yields every regular file under `prefix` in `range`, then throws `StoreError` of kind
   * `uncarriable` when some entry there cannot be an object (see {@link Uncarriable}).
   */
  async *list(prefix = '', range: KeyRange = {}): AsyncIterable<ObjectInfo> {
    const keys: string[] = [];
    const uncarried: Uncarriable[] = [];
    await walkFolder(this.root, this.display, [], keys, uncarried);
    const wanted = keys.filter((key) => key.startsWith(prefix) && inRange(key, range));
    wanted.sort(compareKeys);
    for (const key of wanted) {
      const head = await this.head(key);
      // Gone since the walk (deleted meanwhile): as S3 would not list it either.
      if (head) yield { key, size: head.size, etag: head.etag, lastModified: head.lastModified };
    }
    const missed = uncarried.filter((entry) => concerns(entry, prefix, range));
    if (missed.length > 0) {
      missed.sort((a, b) => compareKeys(a.key, b.key));
      const named = missed.slice(0, NAMED).map((entry) => `"${entry.shown}" (${entry.reason})`);
      throw new StoreError(
        'uncarriable',
        `${this.display}: ${missed.length} entr${missed.length === 1 ? 'y' : 'ies'} cannot be objects, so this listing is incomplete: ${named.join(', ')}${missed.length > NAMED ? ', ...' : ''}. ` +
          'A folder store carries regular files whose names are valid UTF-8; rename, replace or remove the others',
      );
    }
  }

  async head(key: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectHead | undefined> {
    if (options?.signal?.aborted) throw new StoreError('unknown', `HEAD ${this.display} key ${JSON.stringify(key)}: aborted`);
    const file = this.pathOf(key);
    const st = await this.statObject(file, key, `HEAD ${this.display}`);
    if (st === undefined) return undefined;
    const side = await this.readSidecar(key);
    const { etag, metadata } = await this.current(file, key, st, side);
    return {
      key,
      size: Number(st.size),
      etag,
      lastModified: st.mtime,
      metadata,
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
      // Never through a link: what is read is the file that is listed.
      // Non-blocking: opening a FIFO must not wait for a writer (the fstat below refuses it).
      handle = await fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new StoreError('uncarriable', `${what}: a symbolic link, not an object`);
      throw new StoreError('not-found', `${what}: no such object`);
    }
    try {
      const st = await handle.stat({ bigint: true });
      if (!st.isFile()) throw new StoreError('uncarriable', `${what}: not a regular file`);
      const start = range?.start ?? 0;
      if (range?.ifMatch !== undefined && (await this.current(file, key, st, await this.readSidecar(key))).etag !== range.ifMatch) {
        throw new StoreError('changed', `${what}: the object is no longer ETag ${range.ifMatch}`, 'PreconditionFailed');
      }
      // As S3 answers 416: a range must start on a byte the object has.
      if (start > 0 && start >= Number(st.size)) {
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
    return names.map((name) => ({ key: '', uploadId: name }));
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

  /**
   * Renames a finished temporary file into place and records its sidecar. The sidecar goes first
   * (a reader never sees content without it), stamped with the file; the change time is known only
   * after the rename (which sets it), so the stamp is completed then. Until it is, a reader hashes.
   */
  async commit(tmp: string, key: string, etag: string, options: WriteOptions): Promise<void> {
    const target = this.pathOf(key);
    const before = await fs.stat(tmp, { bigint: true });
    const sidecar: Sidecar = {
      etag,
      metadata: { ...(metadataToWrite(options) ?? {}) },
      contentType: options.contentType,
      contentEncoding: options.contentEncoding,
      cacheControl: options.cacheControl,
      contentDisposition: options.contentDisposition,
      file: { size: Number(before.size), mtimeNs: String(before.mtimeNs), ino: String(before.ino) },
    };
    const sideTmp = `${tmp}.json`;
    await fs.writeFile(sideTmp, JSON.stringify(sidecar));
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.mkdir(path.dirname(this.sidecarPath(key)), { recursive: true });
    await fs.rename(sideTmp, this.sidecarPath(key));
    await fs.rename(tmp, target);
    const after = await fs.lstat(target, { bigint: true });
    if (after.ino !== before.ino || after.size !== before.size || after.mtimeNs !== before.mtimeNs) return;
    await fs.writeFile(sideTmp, JSON.stringify({ ...sidecar, file: { ...sidecar.file, ctimeNs: String(after.ctimeNs) } }));
    await fs.rename(sideTmp, this.sidecarPath(key));
  }

  async tempPath(): Promise<string> {
    const dir = path.join(this.root, INTERNAL, 'tmp');
    await fs.mkdir(dir, { recursive: true });
    return path.join(dir, randomUUID());
  }

  private pathOf(key: string): string {
    const segments = key.split('/');
    if (key === '' || segments.some((segment) => segment === '' || segment === '.' || segment === '..') || segments[0] === INTERNAL) {
      throw new StoreError('invalid-request', `${this.display}: key ${JSON.stringify(key)} cannot be a file path`);
    }
    return path.join(this.root, ...segments);
  }

  /** `lstat` of an object's file: `undefined` when there is none; throws for what cannot be one, or cannot be looked at. */
  private async statObject(file: string, key: string, what: string): Promise<BigIntStats | undefined> {
    let st: BigIntStats;
    try {
      st = await fs.lstat(file, { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new StoreError('unknown', `${what} key ${JSON.stringify(key)}: cannot look at the file (${code ?? String(e)})`, undefined, { cause: e });
    }
    if (st.isDirectory()) return undefined;
    if (st.isSymbolicLink()) throw new StoreError('uncarriable', `${what} key ${JSON.stringify(key)}: a symbolic link, not an object`);
    if (!st.isFile()) throw new StoreError('uncarriable', `${what} key ${JSON.stringify(key)}: not a regular file`);
    return st;
  }

  /**
   * The ETag and metadata of the file as it is now: the sidecar's while its stamp matches the
   * file, else an MD5 of the content read now, with a recorded `sha256` replaced by the content's.
   */
  private async current(file: string, key: string, st: BigIntStats, side: Sidecar | undefined): Promise<{ etag?: string; metadata: Record<string, string> }> {
    if (side === undefined) return { etag: undefined, metadata: {} };
    const stamp = side.file;
    if (
      stamp !== undefined &&
      stamp.ctimeNs !== undefined &&
      stamp.size === Number(st.size) &&
      stamp.mtimeNs === String(st.mtimeNs) &&
      stamp.ctimeNs === String(st.ctimeNs) &&
      stamp.ino === String(st.ino)
    ) {
      return { etag: side.etag, metadata: side.metadata };
    }
    const sums = await hashFile(file, key, this.display);
    const metadata = { ...side.metadata };
    if (metadata.sha256 !== undefined) metadata.sha256 = sums.sha256;
    return { etag: sums.md5, metadata };
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

async function hashFile(file: string, key: string, display: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  try {
    const handle = await fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new StoreError('uncarriable', `${display}: ${JSON.stringify(key)} is not a regular file`);
    }
    for await (const chunk of handle.createReadStream()) {
      md5.update(chunk as Buffer);
      sha.update(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof StoreError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StoreError('not-found', `${display}: no object ${JSON.stringify(key)} (removed while hashing it)`);
    throw new StoreError('unknown', `${display}: cannot read ${JSON.stringify(key)} to hash it (${code ?? String(e)})`, undefined, { cause: e });
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}
