/** The preflight of the mirror's stores. */
import { StoreError } from '../../errors';
import { ConfigurationError, quote } from '../../config/configuration-error';
import { backupRoot } from '../../operations/back-up';
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
  await checkBackupFolder(source, inputs.backupPrefix);
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

/**
 * The mirror leaves the backup prefix's top folder alone on both sides (it holds earlier runs'
 * backups too), so source keys under it would silently never be mirrored, and in-sync would still
 * say true: a source that holds any is refused, before anything is written.
 */
export async function checkBackupFolder(source: ObjectStore, backupPrefix: string | undefined): Promise<void> {
  if (backupPrefix === undefined) return;
  const folder = backupRoot(backupPrefix);
  for await (const page of source.listPages(folder)) {
    const first = page[0];
    if (first === undefined) continue;
    throw new ConfigurationError(
      `input "backup-prefix": ${quote(backupPrefix)} keeps backups under ${quote(folder)}, which a mirror leaves alone in every store, but the source holds keys there (${quote(first.key)}), which would never be mirrored; give a backup-prefix whose first folder holds backups only, such as deleted/RUN_ID/`,
    );
  }
}
