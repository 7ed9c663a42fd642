/** The preflight of the mirror's stores. */
import { StoreError } from '../../errors';
import { ConfigurationError, quote } from '../../config/configuration-error';
import type { ObjectStore } from '../../storage/object-store';
import { filterOf, type MirrorBucketInputs } from './inputs';

/**
 * A store's preflight, its failure labelled with the input that names the store: the wire's message
 * ("HeadBucket s3://b at https://host:port: the server's TLS certificate was refused: ...") does not
 * say which of the two stores it was. Same class and kind, so configuration stays configuration.
 */
export async function preflightOf(input: 'source' | 'destination' | 'destinations', store: ObjectStore): Promise<void> {
  try {
    await store.preflight();
  } catch (e) {
    if (e instanceof StoreError) throw new StoreError(e.kind, `input "${input}": ${e.message}`, e.code, { cause: e });
    throw e;
  }
}

/**
 * Credentials that may list but not read would fail every copy one by one: one HEAD of the first
 * key in range says so at once, before anything is written.
 */
export async function checkReadable(source: ObjectStore, inputs: MirrorBucketInputs): Promise<void> {
  const keep = filterOf(inputs);
  let first: string | undefined;
  for await (const page of source.listPages('', inputs.shard.range)) {
    first = page.find((object) => keep(object.key))?.key;
    if (first !== undefined || page.length > 0) break;
  }
  if (first === undefined) return;
  try {
    await source.head(first);
  } catch (e) {
    if (e instanceof StoreError && e.kind === 'access-denied') {
      throw new ConfigurationError(
        `input "source": the credentials may list ${source.display} but not read its objects (HEAD ${quote(first)} was refused); they need s3:GetObject as well as s3:ListBucket`,
      );
    }
    throw e;
  }
}
