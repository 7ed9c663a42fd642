/**
 * The guarded private write: before a private object is written, the store's bucket policy is
 * asked whether strangers could read its key (they would the moment it exists, whatever its ACL).
 * A policy that cannot be read is warned about once per store when the anonymous check after the
 * write decides; when no such check follows, the private write is refused (fail closed).
 */
import { guardPrivateWrite } from '../acl/policy-guard';
import type { ObjectStore } from '../storage/object-store';

/** Why no anonymous check follows a private write, and the input that would turn it on. */
export interface UncheckedWrites {
  /** For example `verify-visibility is none`. */
  readonly because: string;
  /** For example `set input "verify-visibility" to private or all`. */
  readonly change: string;
}

export class PrivateWriteGuard {
  private readonly warned = new WeakSet<ObjectStore>();

  /**
   * @param warning where the one warning per unreadable policy goes
   * @param afterWhat the step the anonymous check follows, in that warning (`upload`, `writing`)
   * @param unchecked given when no anonymous check follows a private write: a policy that cannot
   *   be read then refuses the write, saying what to change
   */
  constructor(
    private readonly warning: (message: string) => void,
    private readonly afterWhat: string,
    private readonly unchecked?: UncheckedWrites,
  ) {}

  /**
   * Why a private object must not be written under `key` of `store` (the policy's statement and
   * what to change, starting `not written:`), or `undefined` when it may. `name` labels the warning.
   */
  async refusal(store: ObjectStore, key: string, name: string): Promise<string | undefined> {
    const guard = await guardPrivateWrite(store, key);
    if (guard.verdict === 'refuse') return guard.reason;
    if (guard.verdict === 'unknown' && this.unchecked !== undefined) {
      const u = this.unchecked;
      return `not written: cannot read the bucket policy (${guard.reason}) and ${u.because}, so nothing would show this private object is not readable by strangers; ${u.change}, or let these credentials read the bucket policy (s3:GetBucketPolicy)`;
    }
    if (guard.verdict === 'unknown' && !this.warned.has(store)) {
      this.warned.add(store);
      this.warning(`${name}: cannot read the bucket policy (${guard.reason}); private objects are checked with an anonymous request after ${this.afterWhat}`);
    }
    return undefined;
  }
}
