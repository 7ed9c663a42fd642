/**
 * Which store to download from: the stores that hold the object, in the order to try them.
 * `listed` asks one store at a time, in the order given, and asks the next only when the ones before
 * could not serve; `fastest` asks every store at once and tries them in the order their HEADs answer.
 */
import type { ObjectHead, ObjectStore } from '../storage/object-store';

export const STORE_ORDERS = ['listed', 'fastest'] as const;
export type StoreOrder = (typeof STORE_ORDERS)[number];

/** A store to download from, by the name the `stores` input gave it. */
export interface DownloadSource {
  readonly name: string;
  readonly store: ObjectStore;
}

/** A store that holds the object, with what its HEAD said. */
export interface Candidate {
  readonly source: DownloadSource;
  readonly head: ObjectHead;
  /** Milliseconds the HEAD took. */
  readonly headMs: number;
}

type Answer = { readonly source: DownloadSource; readonly ms: number } & (
  | { readonly head: ObjectHead }
  | { readonly head: undefined; readonly reason: string }
);

/** How long a HEAD may take before its store counts as failed. */
export const HEAD_TIMEOUT_MS = 30_000;

async function ask(source: DownloadSource, key: string, signal: AbortSignal, now: () => number): Promise<Answer> {
  const started = now();
  const timeout = AbortSignal.timeout(HEAD_TIMEOUT_MS);
  try {
    const head = await source.store.head(key, { signal: AbortSignal.any([signal, timeout]) });
    if (head) return { source, head, ms: now() - started };
    return { source, head: undefined, reason: 'does not have it', ms: now() - started };
  } catch (e) {
    const reason = timeout.aborted ? `no answer to HEAD within ${HEAD_TIMEOUT_MS / 1000} s` : `HEAD failed: ${e instanceof Error ? e.message : String(e)}`;
    return { source, head: undefined, reason, ms: now() - started };
  }
}

/**
 * Yields the stores that hold `key`, in the order `order` gives. A store that lacks it or whose HEAD
 * fails is passed to `skip` with the reason and never yielded. HEADs never throw out of here: with
 * no store holding the object the iteration simply ends.
 */
export async function* candidates(
  key: string,
  sources: readonly DownloadSource[],
  order: StoreOrder,
  skip: (name: string, reason: string) => void,
  now: () => number = Date.now,
): AsyncGenerator<Candidate> {
  // Aborts the HEADs still out when the caller is done (it got its file from a faster store):
  // a store that never answers must not keep the process alive.
  const done = new AbortController();
  try {
    if (order === 'listed') {
      for (const source of sources) {
        const a = await ask(source, key, done.signal, now);
        if (a.head) yield { source, head: a.head, headMs: a.ms };
        else skip(source.name, a.reason);
      }
      return;
    }
    // Every HEAD at once; each answer is taken as it arrives, so the first good one is tried first
    // while the slower stores are still answering.
    const pending = new Map<number, Promise<{ index: number; answer: Answer }>>();
    sources.forEach((source, index) => pending.set(index, ask(source, key, done.signal, now).then((answer) => ({ index, answer }))));
    while (pending.size > 0) {
      const { index, answer } = await Promise.race(pending.values());
      pending.delete(index);
      if (answer.head) yield { source: answer.source, head: answer.head, headMs: answer.ms };
      else skip(answer.source.name, answer.reason);
    }
  } finally {
    done.abort();
  }
}
