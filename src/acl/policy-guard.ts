/**
 * The check before a private object is written: a bucket policy that lets strangers read its key
 * would expose it the moment it exists, whatever its ACL says. Strangers are anonymous readers and
 * any account holder of the provider (anyone can open an account), as the audit counts them. A
 * read allowed only under a condition (an address range, a VPC endpoint, a Referer) refuses too:
 * restricted is not private.
 */
import type { ObjectStore } from '../storage/object-store';
import { describeStatement, parseBucketPolicy, strangerReadAccess } from './bucket-policy';

export type PolicyGuard =
  /** Nothing in the policy lets strangers read the key, or there is no policy. */
  | { readonly verdict: 'safe' }
  /** The policy could not be read; only the anonymous check after writing can tell. */
  | { readonly verdict: 'unknown'; readonly reason: string }
  /** Writing would expose the object; `reason` says which statement and what to change. */
  | { readonly verdict: 'refuse'; readonly reason: string };

/** Whether a private object may be written under `key` of `store`. */
export async function guardPrivateWrite(store: ObjectStore, key: string): Promise<PolicyGuard> {
  const where = store.locate(key);
  if (!where) return { verdict: 'safe' };
  const state = await store.policy();
  if (state.kind === 'none') return { verdict: 'safe' };
  if (state.kind === 'unknown') return { verdict: 'unknown', reason: state.reason };
  let verdict;
  try {
    verdict = strangerReadAccess(parseBucketPolicy(state.text), where.bucket, where.key);
  } catch (e) {
    return { verdict: 'refuse', reason: `not written: ${(e as Error).message}, so it cannot be shown to keep this private object private` };
  }
  if (verdict.access === 'private') return { verdict: 'safe' };
  const condition = verdict.condition !== undefined ? ` under a condition (${verdict.condition})` : '';
  return {
    verdict: 'refuse',
    reason: `not written: the bucket policy (${describeStatement(verdict.statement!)}) lets ${verdict.who === 'authenticated' ? 'any account holder' : 'anyone'} read ${where.key}${condition}; exclude it (for example NotResource "arn:aws:s3:::${where.bucket}/rhel*")`,
  };
}
