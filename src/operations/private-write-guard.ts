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

/** What the guard decided for one private write. */
export type PrivateWriteDecision =
  /** The policy lets no stranger read the key (or there is none): write. */
  | { readonly kind: 'allowed' }
  /** The policy cannot be read: write, and only the anonymous check after it can tell. */
  | { readonly kind: 'checked'; readonly policyReason: string }
  /** The policy would expose the object (or cannot be parsed): `reason` starts `not written:`. */
  | { readonly kind: 'refused'; readonly cause: 'policy'; readonly reason: string }
  /** The policy cannot be read and no anonymous check follows: `reason` starts `not written:`. */
  | { readonly kind: 'refused'; readonly cause: 'unchecked'; readonly reason: string; readonly policyReason: string; readonly unchecked: UncheckedWrites };

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

  /** Whether an anonymous check follows the private writes this guard lets through. */
  get checkFollows(): boolean {
    return this.unchecked === undefined;
  }

  /**
   * Whether a private object may be written under `key` of `store`, and whether only the check
   * after the write can tell. `name` labels the one warning per store whose policy cannot be read.
   */
  async decide(store: ObjectStore, key: string, name: string): Promise<PrivateWriteDecision> {
    const guard = await guardPrivateWrite(store, key);
    if (guard.verdict === 'safe') return { kind: 'allowed' };
    if (guard.verdict === 'refuse') return { kind: 'refused', cause: 'policy', reason: guard.reason };
    if (this.unchecked !== undefined) {
      const u = this.unchecked;
      const reason = `not written: cannot read the bucket policy (${guard.reason}) and ${u.because}, so nothing would show this private object is not readable by strangers; ${u.change}, or let these credentials read the bucket policy (s3:GetBucketPolicy)`;
      return { kind: 'refused', cause: 'unchecked', reason, policyReason: guard.reason, unchecked: u };
    }
    if (!this.warned.has(store)) {
      this.warned.add(store);
      this.warning(`${name}: cannot read the bucket policy (${guard.reason}); private objects are checked with an anonymous request after ${this.afterWhat}`);
    }
    return { kind: 'checked', policyReason: guard.reason };
  }

  /**
   * Why a private object must not be written under `key` of `store` (the policy's statement and
   * what to change, starting `not written:`), or `undefined` when it may. `name` labels the warning.
   */
  async refusal(store: ObjectStore, key: string, name: string): Promise<string | undefined> {
    const d = await this.decide(store, key, name);
    return d.kind === 'refused' ? d.reason : undefined;
  }
}
