/** Runs `fn` on every item of an async iterable with at most `concurrency` calls in flight, in constant memory. */
export async function forEachConcurrent<T>(items: AsyncIterable<T>, concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.asyncIterator]();
  // Pulls are chained so that concurrent workers never call next() at the same time.
  let pulling: Promise<unknown> = Promise.resolve();
  let failed = false;
  const pull = (): Promise<IteratorResult<T>> => {
    const next = pulling.then(() => it.next());
    pulling = next.catch(() => undefined);
    return next;
  };
  const worker = async () => {
    while (!failed) {
      const r = await pull();
      if (r.done) return;
      try {
        await fn(r.value);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, concurrency) }, worker));
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) {
    await it.return?.();
    throw bad.reason;
  }
}
