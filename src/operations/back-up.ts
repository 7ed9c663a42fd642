/**
 * Backing up one object before it is deleted (the mirror's sync and the prune): a private copy
 * under a backup prefix of the same store, guarded and checked as every private write is. The copy
 * is refused where the bucket policy would let strangers read the backup key, and where the policy
 * cannot be read and nothing checks the copy anonymously after writing (fail closed).
 */
import { StoreError } from '../errors';
import type { ObjectStore } from '../storage/object-store';
import { transfer } from './copy-object';
import type { TransferOptions } from './stream-copy';
import type { PrivateWriteDecision, PrivateWriteGuard } from './private-write-guard';
import { checkWritten, type AnonymousProbe } from './verify-visibility';

/**
 * The folder a backup prefix lies in: the prefix up to and including its first `/` (the whole
 * prefix when it has none). Everything under it is left alone, by the prune and by the mirror's
 * sync: with a prefix such as `deleted/RUN_ID/` it holds the backups of earlier runs too.
 */
export function backupRoot(prefix: string): string {
  const slash = prefix.indexOf('/');
  return slash === -1 ? prefix : prefix.slice(0, slash + 1);
}

export interface BackupRequest {
  readonly store: ObjectStore;
  /** The object to keep, and the size it was listed with (an object that changed since is not copied). */
  readonly key: string;
  readonly size: number;
  /** Where its copy goes: the backup prefix and the key. */
  readonly backupKey: string;
  /** The run's guard of private writes (its one warning per store whose policy cannot be read). */
  readonly guard: PrivateWriteGuard;
  readonly transfer: TransferOptions;
  /**
   * What the engine checks after the copy. `probe`: an anonymous request must show the copy
   * private. Without one, a policy that cannot be read refuses the backup. `size`: a signed HEAD
   * must find the copy with the listed size.
   */
  readonly proof: { readonly probe?: AnonymousProbe; readonly size?: boolean };
}

/** Why the backup is refused, in the words every engine reports: the object is kept. */
function refusedMessage(d: Exclude<PrivateWriteDecision, { kind: 'allowed' }>, b: BackupRequest): string {
  if (d.kind === 'refused' && d.cause === 'policy') {
    return `backup refused: ${d.reason.replace(/^not written: /, '')}, or give a backup-prefix the exclusion covers; ${b.key} was kept`;
  }
  const u = d.kind === 'refused' && d.cause === 'unchecked' ? d.unchecked : undefined;
  const because = u?.because ?? 'nothing checks a backup anonymously';
  // Deleting without a backup is always a way out; the guard's own remedy first when it has another.
  const remedies = [...new Set([u?.change, 'leave input "backup-prefix" empty to delete without a backup'].filter((r) => r !== undefined))];
  return `backup refused: cannot read the bucket policy (${d.policyReason}), and ${because}, so it cannot be shown that strangers cannot read ${b.backupKey}; let these credentials read the bucket policy (s3:GetBucketPolicy), or ${remedies.join(', or ')}; ${b.key} was kept`;
}

/**
 * Copies `key` privately to `backupKey` of the same store, then proves the copy as the engine
 * asks; a copy the anonymous check does not show private is deleted again (the object is kept, so
 * the copy is not needed, and it must not stay where strangers may read it). Resolves false when the object is gone already (nothing to keep or delete); throws when the
 * backup is refused, fails or does not check out, so the object is not deleted.
 */
export async function backUpObject(b: BackupRequest): Promise<boolean> {
  const d = await b.guard.decide(b.store, b.backupKey, b.store.display);
  // A guard that expects a check the engine does not make refuses too: never a private write unproven.
  if (d.kind === 'refused' || (d.kind === 'checked' && b.proof.probe === undefined)) throw new Error(refusedMessage(d, b));
  try {
    // A backup is never more visible than the object was meant to be: always private.
    await transfer(b.store, b.store, b.key, b.backupKey, 'private', b.size, b.transfer);
  } catch (e) {
    // Gone already (deleted by someone else since the listing): nothing to keep or delete.
    if (e instanceof StoreError && e.kind === 'not-found') return false;
    throw e;
  }
  if (b.proof.size) {
    const head = await b.store.head(b.backupKey);
    if (!head || head.size !== b.size) throw new Error(`the backup ${b.backupKey} ${head ? `holds ${head.size} bytes, not ${b.size}` : 'is missing after the copy'}; the object was kept`);
  }
  if (b.proof.probe !== undefined) {
    const check = await checkWritten(b.store, b.backupKey, 'private', b.proof.probe);
    if (check.verdict !== 'ok') throw new Error(`backup ${b.backupKey}: ${check.reason}; ${await removeUnproven(b)}; ${b.key} was kept`);
  }
  return true;
}

/** Deletes a backup the anonymous check did not show private; says whether it is gone. */
async function removeUnproven(b: BackupRequest): Promise<string> {
  try {
    await b.store.delete(b.backupKey);
    return 'the backup was deleted again';
  } catch (e) {
    return `the backup could NOT be deleted again (${e instanceof Error ? e.message : String(e)}): delete it by hand`;
  }
}
