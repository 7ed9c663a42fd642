/** The preflight of the mirror's two stores. */
import { StoreError } from '../../errors';
import type { ObjectStore } from '../../storage/object-store';

/**
 * A store's preflight, its failure labelled with the input that names the store: the wire's message
 * ("HeadBucket s3://b at https://host:port: the server's TLS certificate was refused: ...") does not
 * say which of the two stores it was. Same class and kind, so configuration stays configuration.
 */
export async function preflightOf(input: 'source' | 'destination', store: ObjectStore): Promise<void> {
  try {
    await store.preflight();
  } catch (e) {
    if (e instanceof StoreError) throw new StoreError(e.kind, `input "${input}": ${e.message}`, e.code, { cause: e });
    throw e;
  }
}
