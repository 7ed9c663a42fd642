/**
 * A store whose every request first takes a token from a shared limiter: a per-store
 * requests-per-second cap (Linode's 750/s per bucket on older endpoints, DigitalOcean's 1,500/s per
 * IP) that holds whatever the concurrency. Wraps any store; what it cannot count (the parts the
 * provider copies inside one server-side copy) counts as the one request that started it.
 */
import type { Readable } from 'node:stream';
import type { KeyRange } from './key-range';
import type { BucketPolicyState, MultipartWrite, ObjectHead, ObjectInfo, ObjectStore, ReadRange, VisibilityMode, WriteOptions } from './object-store';
import type { PublicAddress } from '../s3/public-address';
import type { RateLimiter } from './rate-limit';

export class RateLimitedStore implements ObjectStore {
  constructor(
    /** The store requests go to. */
    readonly inner: ObjectStore,
    private readonly limiter: RateLimiter,
  ) {}

  get display(): string {
    return this.inner.display;
  }

  get visibilityMode(): VisibilityMode | 'none' {
    return this.inner.visibilityMode;
  }

  async preflight(): Promise<void> {
    await this.limiter.take();
    return this.inner.preflight();
  }

  async *list(prefix?: string, range?: KeyRange): AsyncIterable<ObjectInfo> {
    for await (const page of this.listPages(prefix, range)) yield* page;
  }

  async *listPages(prefix?: string, range?: KeyRange): AsyncIterable<readonly ObjectInfo[]> {
    const it = this.inner.listPages(prefix, range)[Symbol.asyncIterator]();
    for (;;) {
      await this.limiter.take();
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }

  async head(key: string, options?: { readonly signal?: AbortSignal }): Promise<ObjectHead | undefined> {
    await this.limiter.take();
    return this.inner.head(key, options);
  }

  async get(key: string, range?: ReadRange): Promise<Readable> {
    await this.limiter.take();
    return this.inner.get(key, range);
  }

  async read(key: string): Promise<{ readonly head: ObjectHead; readonly body: Readable }> {
    await this.limiter.take();
    return this.inner.read(key);
  }

  async put(key: string, body: Buffer, sha256: Buffer, options: WriteOptions): Promise<{ readonly etag?: string }> {
    await this.limiter.take();
    return this.inner.put(key, body, sha256, options);
  }

  async startMultipart(key: string, options: WriteOptions): Promise<MultipartWrite> {
    await this.limiter.take();
    const w = await this.inner.startMultipart(key, options);
    const limiter = this.limiter;
    return {
      async writePart(n, body, sha256) {
        await limiter.take();
        return w.writePart(n, body, sha256);
      },
      async complete() {
        await limiter.take();
        return w.complete();
      },
      async abort() {
        await limiter.take();
        return w.abort();
      },
    };
  }

  canCopyFrom(source: ObjectStore): boolean {
    return this.inner.canCopyFrom?.(unwrapStore(source)) ?? false;
  }

  async copyFrom(source: ObjectStore, sourceKey: string, key: string, size: number, options: WriteOptions): Promise<{ readonly etag?: string } | undefined> {
    if (!this.inner.copyFrom) return undefined;
    await this.limiter.take();
    return this.inner.copyFrom(unwrapStore(source), sourceKey, key, size, options);
  }

  async delete(key: string): Promise<void> {
    await this.limiter.take();
    return this.inner.delete(key);
  }

  async listOpenUploads(prefix?: string): Promise<readonly { key: string; uploadId: string }[]> {
    await this.limiter.take();
    return this.inner.listOpenUploads(prefix);
  }

  anonymousAddress(key: string): PublicAddress | undefined {
    return this.inner.anonymousAddress(key);
  }

  policy(): Promise<BucketPolicyState> {
    return this.inner.policy();
  }

  locate(key: string): { readonly bucket: string; readonly key: string } | undefined {
    return this.inner.locate(key);
  }
}

/** The store underneath any rate limit: what a server-side copy must compare endpoints with. */
export function unwrapStore(store: ObjectStore): ObjectStore {
  return store instanceof RateLimitedStore ? unwrapStore(store.inner) : store;
}
