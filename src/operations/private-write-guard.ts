/**
 * The guarded private write: before a private object is written, the store's bucket policy is
 * asked whether strangers could read its key (they would the moment it exists, whatever its ACL).
 * A policy that cannot be read is warned about once per store; the anonymous check after the write
 * then decides.
 */
import { guardPrivateWrite } from '../acl/policy-guard';
import type { ObjectStore } from '../storage/object-store';

export class PrivateWriteGuard {
  private readonly warned = new WeakSet<ObjectStore>();

  /**
   * @param warning where the one warning per unreadable policy goes
   * @param afterWhat the step the anonymous check follows, in that warning (`upload`, `writing`)
   */
  constructor(
    private readonly warning: (message: string) => void,
    private readonly afterWhat: string,
  ) {}

  /**
   * Why a private object must not be written under `key` of `store` (the policy's statement and
   * what to change, starting `not written:`), or `undefined` when it may. `name` labels the warning.
   */
  async refusal(store: ObjectStore, key: string, name: string): Promise<string | undefined> {
    const guard = await guardPrivateWrite(store, key);
    if (guard.verdict === 'refuse') return guard.reason;
    if (guard.verdict === 'unknown' && !this.warned.has(store)) {
      this.warned.add(store);
      this.warning(`${name}: cannot read the bucket policy (${guard.reason}); private objects are checked with an anonymous request after ${this.afterWhat}`);
    }
    return undefined;
  }
}
