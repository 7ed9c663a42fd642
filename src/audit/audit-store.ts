/**
 * Audits one store: its bucket settings, then every listed object (or a random sample, within one
 * shard's key range) with an anonymous request and, where ACLs can be read, its grants; then plans
 * and, if asked, applies fixes. No I/O of its own: the store, its audit capability, the anonymous
 * probe and a rate limiter come in.
 */
import { strangerReadAllowed, describeStatement } from '../acl/bucket-policy';
import { decideVisibility, type VisibilityRule } from '../acl/visibility';
import type { AnonymousProbe } from '../operations/verify-visibility';
import type { AnonymousAccess, PublicAddress } from '../storage/anonymous';
import type { AuditCapability } from '../storage/audit-capability';
import type { KeyRange } from '../storage/key-range';
import { StoreError } from '../errors';
import type { ObjectStore } from '../storage/object-store';
import { markedPrivate } from '../storage/private-marker';
import { aclRequiredError, checkBucket, type BucketExpectations, type BucketFacts } from './bucket-checks';
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

export async function auditStore(name: string, store: ObjectStore, cap: AuditCapability | undefined, o: AuditOptions): Promise<StoreAudit> {
  const log = new FindingLog();
  const where = store.locate('');
  const bucket = check(where?.bucket);
  const checkResult = await checkBucket(cap, bucket, await store.policy(), o);
  for (const f of checkResult.findings) log.add(f);
  const facts = checkResult.facts;
  const mode: 'acl' | 'policy' = store.visibilityMode === 'policy' || facts.ownership === 'BucketOwnerEnforced' ? 'policy' : 'acl';
  const ctx: BucketContext = {
    mode,
    ownership: facts.ownership,
    accessBlock: facts.accessBlock === 'none' ? undefined : facts.accessBlock,
    allowMoreVisible: o.allowMoreVisible,
  };
  let aclOn = checkResult.aclReadable && cap !== undefined;
  const fixes: FixRecord[] = [];
  const severity = (k: Finding['kind']) => severityOf(k, o.settingSeverity);
  let listed = 0;
  let checked = 0;

  const readGrants = async (key: string): Promise<ObjectFacts['grants'] | 'missing'> => {
    if (!aclOn || !cap) return undefined;
    await o.throttle();
    try {
      return await cap.objectAcl(key);
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      if (e.kind === 'not-found') return 'missing';
      if (e.kind === 'access-denied') {
        if (o.aclChecks === 'required') throw aclRequiredError(e);
        if (aclOn) {
          aclOn = false;
          log.add({ kind: 'acl-unreadable', severity: severity('acl-unreadable'), message: `object ACLs cannot be read, so only anonymous checks were made from here on: ${e.message}` });
        }
        return undefined;
      }
      log.add({ kind: 'check-failed', severity: severity('check-failed'), key, message: `its ACL could not be read: ${e.message}` });
      return undefined;
    }
  };

  /** Whether a signed HEAD still finds `key`, and whether it carries the private marker. */
  const stillThere = async (key: string): Promise<{ present: NonNullable<ObjectFacts['present']>; marked: boolean }> => {
    await o.throttle();
    try {
      const head = await store.head(key);
      return head !== undefined ? { present: 'yes', marked: markedPrivate(head.metadata) } : { present: 'gone', marked: false };
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      return { present: 'unknown', marked: false };
    }
  };

  const checkOne = async (key: string): Promise<void> => {
    const decision = decideVisibility(o.rules, key);
    const address = store.anonymousAddress(key);
    const [anon, grants] = await Promise.all([
      address === undefined ? Promise.resolve<AnonymousAccess>({ access: 'error', reason: 'the store has no anonymous address' }) : o.throttle().then(() => o.probe(address)),
      readGrants(key),
    ]);
    checked++;
    const located = store.locate(key);
    const verdict = checkResult.policy && located ? strangerReadAllowed(checkResult.policy, located.bucket, located.key) : undefined;
    // The key was just listed, so a 404 (to the probe or to the ACL read) is no verdict, and no
    // reason to skip the object either: a signed HEAD tells a deleted object from a probe that
    // missed it, and the judgement reports both. A public object that is denied may simply be
    // gone too (RGW answers 403, not 404, for a missing key under a GetObject-only policy).
    // A public object that is denied may also be one written private on purpose (from its file
    // name: a rhel image under a content-addressed key), which its private marker tells.
    const ask = anon.access === 'missing' || grants === 'missing' || (anon.access === 'denied' && decision.visibility === 'public');
    const signed = ask ? await stillThere(key) : undefined;
    // The marker only ever makes an object more private than its key says, never less.
    const marked = decision.visibility === 'public' && ((anon.access === 'readable' && anon.markedPrivate === true) || signed?.marked === true);
    const facts: ObjectFacts = {
      key,
      expected: marked ? 'private' : decision.visibility,
      present: signed?.present,
      rule: decision.rule ? `${decision.rule.glob} ${decision.rule.visibility}` : undefined,
      markedPrivate: marked,
      anonymous: anon.access,
      anonymousDetail: anon.access === 'error' ? anon.reason : String(anon.status),
      grants: grants === 'missing' ? undefined : grants,
      policyRead: verdict?.readable && verdict.statement ? { statement: describeStatement(verdict.statement), who: verdict.who ?? 'everyone' } : undefined,
      policyKnown: checkResult.policyKnown,
    };
    const v = judgeObject(facts, ctx, severity);
    if (!v.finding) return;
    log.add(v.finding);
    o.events.debug(`${key}: ${v.finding.kind}: ${v.finding.message}`);
    if (o.fix === 'false' || !v.fix) return;
    if (v.fix.action === 'set-acl' && v.fix.acl === 'public-read' && signed?.present !== 'yes') {
      // Never loosen what a signed HEAD did not show unmarked.
      fixes.push({ key, kind: v.finding.kind, plan: v.fix, result: 'failed', detail: 'a signed HEAD could not show that it carries no private marker, so it was not made public' });
      return;
    }
    fixes.push(await applyFix(key, v.finding, v.fix, address, facts.expected));
  };

  const applyFix = async (key: string, f: Finding, plan: FixPlan, address: PublicAddress | undefined, expected: 'public' | 'private'): Promise<FixRecord> => {
    const record = { key, kind: f.kind, plan };
    if (plan.action !== 'set-acl') return { ...record, result: 'not-applicable' };
    if (o.fix === 'dry-run' || !cap) return { ...record, result: 'planned' };
    try {
      await o.throttle();
      await cap.setObjectAcl(key, plan.acl);
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      return { ...record, result: 'failed', detail: e.message };
    }
    if (address === undefined || f.kind === 'exposed-authenticated' || f.kind === 'latent-public-grant') return { ...record, result: 'fixed' };
    await o.throttle();
    const after = await o.probe(address);
    // Only a denial shows a private object private: a 404 for an object just seen is no such proof.
    const right = expected === 'public' ? after.access === 'readable' : after.access === 'denied';
    return { ...record, result: right ? 'fixed' : 'still-wrong', detail: right ? undefined : `anonymous request after the fix: ${after.access}` };
  };

  async function* selected() {
    for await (const info of store.list('', o.range)) {
      listed++;
      if (o.sample < 1 && o.random() >= o.sample) continue;
      yield info.key;
    }
  }

  await forEachLimit(selected(), o.concurrency, async (key) => {
    await checkOne(key);
    o.events.progress(checked, listed, log);
  });

  fixes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { name, display: store.display, mode, facts, listed, checked, log, fixes, aclsRead: aclOn };
}

function check(bucket: string | undefined): string {
  // A folder store has no bucket; policy statements then name nothing it holds.
  return bucket ?? '';
}
