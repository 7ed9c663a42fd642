/** Multipart writes to a folder store (`LocalStore.startMultipart`), checked as S3 checks them. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { StoreError } from '../errors';
import { multipartEtag } from './etag';
import type { MultipartWrite, WriteOptions } from './object-store';

/** What a multipart write needs of its store: a temporary path, and the rename into place. */
export interface PartsTarget {
  tempPath(): Promise<string>;
  commit(tmp: string, key: string, etag: string, options: WriteOptions): Promise<void>;
}

/** What S3 does with a signed payload hash: a body that does not match it is refused. */
export function checkSha256(body: Buffer, sha256: Buffer, what: string): void {
  if (!createHash('sha256').update(body).digest().equals(sha256)) {
    throw new StoreError('bad-digest', `${JSON.stringify(what)}: content does not match its SHA-256`, 'XAmzContentSHA256Mismatch');
  }
}

/** A multipart write to a folder store: parts in a temporary folder, joined and committed on completion. */
export class LocalMultipartWrite implements MultipartWrite {
  private readonly md5s = new Map<number, Buffer>();

  constructor(
    private readonly store: PartsTarget,
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
      for (const partNumber of numbers) await out.write(await fs.readFile(path.join(this.dir, String(partNumber))));
      await out.sync();
    } finally {
      await out.close();
    }
    const etag = multipartEtag(numbers.map((partNumber) => this.md5s.get(partNumber)!));
    await this.store.commit(joined, this.key, etag, this.options);
    await fs.rm(this.dir, { recursive: true, force: true });
    return { etag };
  }

  async abort(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
