/**
 * Audits one store: its bucket settings, then every listed object (or a random sample, within one
 * shard's key range) with an anonymous request and, where ACLs can be read, its grants; then plans
 * and, if asked, applies fixes. No I/O of its own: the store, its audit capability, the anonymous
 * probe and a rate limiter come in.
 */
import { strangerReadAccess, describeStatement } from '../acl/bucket-policy';
import { decideAuditVisibility, type AuditVisibilityDecision, type VisibilityRule } from '../acl/visibility';
import type { AnonymousProbe } from '../operations/verify-visibility';
import type { AnonymousAccess, PublicAddress } from '../storage/anonymous';
import type { AuditCapability } from '../storage/audit-capability';
import type { KeyRange } from '../storage/key-range';
import { StoreError } from '../errors';
import type { ObjectStore } from '../storage/object-store';
import { markedPrivate } from '../storage/private-marker';
import { aclRequiredError, checkBucket, type BucketCheck, type BucketExpectations, type BucketFacts } from './bucket-checks';
import type { FixMode } from './expectations';
import { FindingLog, severityOf, type Finding } from './findings';
import { judgeObject, type BucketContext, type FixPlan, type ObjectFacts } from './object-check';
import { forEachLimit } from '../flow/pool';

export interface AuditOptions extends BucketExpectations {
  readonly rules: readonly VisibilityRule[];
  readonly range: KeyRange;
  /** Fraction of objects checked, (0, 1]. */
  readonly sample: number;
  readonly random: () => number;
  readonly concurrency: number;
  readonly fix: FixMode;
  readonly allowMoreVisible: boolean;
  /** Sends one unsigned HEAD to an address, to exactly its path. */
  readonly probe: AnonymousProbe;
  /** Resolves when the next request to this store may go (the store's rate cap). */
  readonly throttle: () => Promise<void>;
  readonly events: {
    readonly debug: (message: string) => void;
    /** Called after each object: objects checked and listed so far. */
    readonly progress: (checked: number, listed: number, log: FindingLog) => void;
  };
}

/** A planned fix and, in fix mode, what came of it. */
export interface FixRecord {
  readonly key: string;
  readonly kind: Finding['kind'];
  readonly plan: FixPlan;
  /** `planned` (dry run), `fixed` (applied and verified anonymously), `still-wrong`, or `failed`. */
  readonly result: 'planned' | 'fixed' | 'still-wrong' | 'failed' | 'not-applicable';
  readonly detail?: string;
}

/** What a signed HEAD found of a key just listed. */
interface SignedHead {
  readonly present: NonNullable<ObjectFacts['present']>;
  readonly marked: boolean;
}

export interface StoreAudit {
  readonly name: string;
  readonly display: string;
  readonly mode: 'acl' | 'policy';
  readonly facts: BucketFacts;
  readonly listed: number;
  readonly checked: number;
  readonly log: FindingLog;
  readonly fixes: readonly FixRecord[];
  /** Whether object grants were read. */
  readonly aclsRead: boolean;
}

export async function auditStore(name: string, store: ObjectStore, cap: AuditCapability | undefined, options: AuditOptions): Promise<StoreAudit> {
  const log = new FindingLog();
  // A folder store has no bucket; policy statements then name nothing it holds.
  const bucket = store.locate('')?.bucket ?? '';
  const bucketCheck = await checkBucket(cap, bucket, await store.policy(), options);
  for (const finding of bucketCheck.findings) log.add(finding);
  const facts = bucketCheck.facts;
  const mode: 'acl' | 'policy' = store.visibilityMode === 'policy' || facts.ownership === 'BucketOwnerEnforced' ? 'policy' : 'acl';
  const context: BucketContext = {
    mode,
    ownership: facts.ownership,
    accessBlock: facts.accessBlock === 'none' ? undefined : facts.accessBlock,
    allowMoreVisible: options.allowMoreVisible,
  };
  const audit = new ObjectAudit(store, cap, options, log, bucketCheck, context);
  await forEachLimit(audit.selected(), options.concurrency, async (key) => {
    await audit.checkOne(key);
    options.events.progress(audit.checked, audit.listed, log);
  });
  const fixes = [...audit.fixes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { name, display: store.display, mode, facts, listed: audit.listed, checked: audit.checked, log, fixes, aclsRead: audit.aclOn };
}

/** The objects half of one store's audit: each listed (or sampled) object checked, judged and, if asked, fixed. */
class ObjectAudit {
  listed = 0;
  checked = 0;
  readonly fixes: FixRecord[] = [];
  /** Whether object grants are read: false from the first denial on. */
  aclOn: boolean;

  constructor(
    private readonly store: ObjectStore,
    private readonly cap: AuditCapability | undefined,
    private readonly options: AuditOptions,
    private readonly log: FindingLog,
    private readonly bucketCheck: BucketCheck,
    private readonly context: BucketContext,
  ) {
    this.aclOn = bucketCheck.aclReadable && cap !== undefined;
  }

  private severity = (kind: Finding['kind']) => severityOf(kind, this.options.settingSeverity);

  /** The keys to check: every listed key in the range, or a random sample of them. */
  async *selected(): AsyncGenerator<string> {
    for await (const info of this.store.list('', this.options.range)) {
      this.listed++;
      if (this.options.sample < 1 && this.options.random() >= this.options.sample) continue;
      yield info.key;
    }
  }

  async checkOne(key: string): Promise<void> {
    const decision = decideAuditVisibility(this.options.rules, key);
    const address = this.store.anonymousAddress(key);
    const [anon, grants] = await Promise.all([
      address === undefined ? Promise.resolve<AnonymousAccess>({ access: 'error', reason: 'the store has no anonymous address' }) : this.options.throttle().then(() => this.options.probe(address)),
      this.readGrants(key),
    ]);
    this.checked++;
    // The key was just listed, so a 404 (to the probe or to the ACL read) is no verdict, and no
    // reason to skip the object either: a signed HEAD tells a deleted object from a probe that
    // missed it, and the judgement reports both. A public object that is denied may simply be
    // gone too (RGW answers 403, not 404, for a missing key under a GetObject-only policy).
    // A public object that is denied may also be one written private on purpose (from its file
    // name: a rhel image under a content-addressed key), which its private marker tells.
    // A restricted object denied here is asked the same (gone, or marked private?).
    const ask = anon.access === 'missing' || grants === 'missing' || (anon.access === 'denied' && decision.visibility !== 'private');
    const signed = ask ? await this.stillThere(key) : undefined;
    const facts = this.objectFacts(key, decision, anon, grants, signed);
    const verdict = judgeObject(facts, this.context, this.severity);
    if (!verdict.finding) return;
    this.log.add(verdict.finding);
    this.options.events.debug(`${key}: ${verdict.finding.kind}: ${verdict.finding.message}`);
    if (this.options.fix === 'false' || !verdict.fix) return;
    if (verdict.fix.action === 'set-acl' && verdict.fix.acl === 'public-read' && signed?.present !== 'yes') {
      // Never loosen what a signed HEAD did not show unmarked.
      this.fixes.push({ key, kind: verdict.finding.kind, plan: verdict.fix, result: 'failed', detail: 'a signed HEAD could not show that it carries no private marker, so it was not made public' });
      return;
    }
    this.fixes.push(await this.applyFix(key, verdict.finding, verdict.fix, address, facts.expected === 'public' ? 'public' : 'private'));
  }

  private objectFacts(key: string, decision: AuditVisibilityDecision, anon: AnonymousAccess, grants: ObjectFacts['grants'] | 'missing', signed: SignedHead | undefined): ObjectFacts {
    const located = this.store.locate(key);
    const { policy, policyKnown } = this.bucketCheck;
    const policyVerdict = policy && located ? strangerReadAccess(policy, located.bucket, located.key) : undefined;
    // The marker only ever makes an object more private than its key says, never less.
    const marked = decision.visibility !== 'private' && ((anon.access === 'readable' && anon.markedPrivate === true) || signed?.marked === true);
    return {
      key,
      expected: marked ? 'private' : decision.visibility,
      present: signed?.present,
      rule: decision.rule ? `${decision.rule.glob} ${decision.rule.visibility}` : undefined,
      markedPrivate: marked,
      anonymous: anon.access,
      anonymousDetail: anon.access === 'error' ? anon.reason : String(anon.status),
      grants: grants === 'missing' ? undefined : grants,
      policyRead:
        policyVerdict && policyVerdict.access !== 'private' && policyVerdict.statement
          ? { statement: describeStatement(policyVerdict.statement), who: policyVerdict.who ?? 'everyone', condition: policyVerdict.condition }
          : undefined,
      policyKnown,
    };
  }

  private async readGrants(key: string): Promise<ObjectFacts['grants'] | 'missing'> {
    const cap = this.cap;
    if (!this.aclOn || !cap) return undefined;
    await this.options.throttle();
    try {
      return await cap.objectAcl(key);
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      if (e.kind === 'not-found') return 'missing';
      if (e.kind === 'access-denied') {
        if (this.options.aclChecks === 'required') throw aclRequiredError(e);
        if (this.aclOn) {
          this.aclOn = false;
          this.log.add({ kind: 'acl-unreadable', severity: this.severity('acl-unreadable'), message: `object ACLs cannot be read, so only anonymous checks were made from here on: ${e.message}` });
        }
        return undefined;
      }
      this.log.add({ kind: 'check-failed', severity: this.severity('check-failed'), key, message: `its ACL could not be read: ${e.message}` });
      return undefined;
    }
  }

  /** Whether a signed HEAD still finds `key`, and whether it carries the private marker. */
  private async stillThere(key: string): Promise<SignedHead> {
    await this.options.throttle();
    try {
      const head = await this.store.head(key);
      return head !== undefined ? { present: 'yes', marked: markedPrivate(head.metadata) } : { present: 'gone', marked: false };
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      return { present: 'unknown', marked: false };
    }
  }

  private async applyFix(key: string, finding: Finding, plan: FixPlan, address: PublicAddress | undefined, expected: 'public' | 'private'): Promise<FixRecord> {
    const record = { key, kind: finding.kind, plan };
    if (plan.action !== 'set-acl') return { ...record, result: 'not-applicable' };
    if (this.options.fix === 'dry-run' || !this.cap) return { ...record, result: 'planned' };
    try {
      await this.options.throttle();
      await this.cap.setObjectAcl(key, plan.acl);
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      return { ...record, result: 'failed', detail: e.message };
    }
    if (address === undefined || finding.kind === 'exposed-authenticated' || finding.kind === 'latent-public-grant') return { ...record, result: 'fixed' };
    await this.options.throttle();
    const after = await this.options.probe(address);
    // Only a denial shows a private object private: a 404 for an object just seen is no such proof.
    const right = expected === 'public' ? after.access === 'readable' : after.access === 'denied';
    return { ...record, result: right ? 'fixed' : 'still-wrong', detail: right ? undefined : `anonymous request after the fix: ${after.access}` };
  }
}
