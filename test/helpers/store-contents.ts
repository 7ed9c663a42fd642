/** What a store holds, read back through the store itself: the tests' view of a run's result. */
import type { ObjectStore } from '../../src/storage/object-store';

/** Every key of a store with its content as text. */
export async function storeContents(store: ObjectStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const o of store.list()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(o.key)) chunks.push(chunk as Buffer);
    out[o.key] = Buffer.concat(chunks).toString();
  }
  return out;
}
