/**
 * One object written in parts to one store or several at once, written once for every engine:
 * start a multipart upload on each store (with the interrupt cleanup registered before any exists),
 * send each part to every store still going with a bound on the parts in flight, complete each,
 * and abort in the end whatever was not completed, once its parts have settled, so no part is left
 * behind (and billed) on any store. A store that fails gets no more parts; the others go on.
 */
import { Limiter, type Place } from '../flow/pool';
import type { MultipartWrite, ObjectStore, WriteOptions } from '../storage/object-store';

/** One store's upload. */
export interface FanOutWrite<T> {
  readonly target: T;
  /** Undefined until started, and when starting failed. */
  write?: MultipartWrite;
  /** The first failure on this store: it gets no more parts and is not completed. */
  error?: unknown;
  /** Set once completed: the ETag the object must now have, when the store has ETags. */
  completed?: { readonly etag?: string };
  aborted?: boolean;
}

export interface FanOutOptions {
  /** Parts in flight at once, each to every store. */
  readonly partsInFlight: number;
  /** Registers work to do if the process is interrupted (abort the uploads); returns its unregistration. */
  readonly onInterrupt?: (cleanup: () => Promise<void>) => () => void;
}

/** A part sender holding a place among the parts in flight (see {@link MultipartFanOut.reserve}). */
export interface PartPlace {
  /**
   * Sends part `n` to every store still going, once `digest` (its SHA-256) is known; `settled` is
   * called when every store is done with it. A digest that fails fails every store.
   */
  send(n: number, body: Buffer, digest: Buffer | Promise<Buffer>, settled?: () => void): void;
  /** Gives the place back unused. */
  cancel(): void;
}

export class MultipartFanOut<T> {
  readonly writes: FanOutWrite<T>[];
  private readonly parts: Limiter;
  private readonly starting: Promise<unknown>;
  private readonly unregister: () => void;

  private constructor(targets: readonly T[], storeOf: (target: T) => ObjectStore, key: string, options: WriteOptions, o: FanOutOptions) {
    this.writes = targets.map((target) => ({ target }));
    this.parts = new Limiter(o.partsInFlight);
    this.starting = Promise.all(
      this.writes.map(async (w) => {
        try {
          w.write = await storeOf(w.target).startMultipart(key, options);
        } catch (e) {
          w.error = e;
        }
      }),
    );
    // Registered before any upload exists, and waiting for those still being created, so an
    // interrupt at any moment leaves none open on a server.
    this.unregister = o.onInterrupt?.(async () => void (await this.abortOpen(false))) ?? (() => undefined);
  }

  /** Starts an upload of `key` on every target's store; a store that cannot start is recorded failed. */
  static async start<T>(targets: readonly T[], storeOf: (target: T) => ObjectStore, key: string, options: WriteOptions, o: FanOutOptions): Promise<MultipartFanOut<T>> {
    const fan = new MultipartFanOut(targets, storeOf, key, options, o);
    await fan.starting;
    return fan;
  }

  /** True while at least one store is still going. */
  get live(): boolean {
    return this.writes.some((w) => w.error === undefined && w.write !== undefined);
  }

  /** Waits for a place among the parts in flight and holds it for the part the caller prepares. */
  async reserve(): Promise<PartPlace> {
    const place: Place = await this.parts.reserve();
    return {
      send: (n, body, digest, settled) => place.start(() => this.sendPart(n, body, digest, settled)),
      cancel: () => place.cancel(),
    };
  }

  /** {@link MultipartFanOut.reserve} and send at once. */
  async send(n: number, body: Buffer, digest: Buffer | Promise<Buffer>, settled?: () => void): Promise<void> {
    (await this.reserve()).send(n, body, digest, settled);
  }

  /** Waits until every part sent so far has settled on every store. */
  async drain(): Promise<void> {
    await this.parts.idle();
  }

  /** After the parts settle, completes the upload on every store still going; failures are recorded per store. */
  async complete(): Promise<void> {
    await this.drain();
    await Promise.all(
      this.writes.map(async (w) => {
        if (w.error !== undefined || !w.write) return;
        try {
          w.completed = await w.write.complete();
        } catch (e) {
          w.error = e;
        }
      }),
    );
  }

  /**
   * Aborts, once each, every upload not completed: after its parts have settled, unless told not to
   * wait (an interrupt, which has little time). Resolves the stores whose abort failed, with why.
   */
  async abortOpen(afterParts = true): Promise<{ target: T; error: unknown }[]> {
    await this.starting;
    if (afterParts) await this.drain().catch(() => undefined);
    const failed: { target: T; error: unknown }[] = [];
    await Promise.all(
      this.writes.map(async (w) => {
        if (!w.write || w.completed || w.aborted) return;
        w.aborted = true;
        try {
          await w.write.abort();
        } catch (error) {
          failed.push({ target: w.target, error });
        }
      }),
    );
    return failed;
  }

  /** The end, in `finally`: {@link MultipartFanOut.abortOpen}, then the interrupt cleanup is unregistered. */
  async close(): Promise<{ target: T; error: unknown }[]> {
    try {
      return await this.abortOpen();
    } finally {
      this.unregister();
    }
  }

  private async sendPart(n: number, body: Buffer, digest: Buffer | Promise<Buffer>, settled?: () => void): Promise<void> {
    try {
      let sha256: Buffer;
      try {
        sha256 = await digest;
      } catch (e) {
        for (const w of this.writes) w.error ??= e;
        return;
      }
      await Promise.all(
        this.writes.map(async (w) => {
          if (w.error !== undefined || !w.write) return;
          try {
            await w.write.writePart(n, body, sha256);
          } catch (e) {
            w.error ??= e;
          }
        }),
      );
    } finally {
      settled?.();
    }
  }
}
