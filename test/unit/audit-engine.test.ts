/**
 * The audit engine on fakes: judging one object from its facts, and whole-store runs with a store
 * and capability in memory (sample, ACLs unreadable, fixes, dormant grants, expectations).
 */
import { parseVisibilityRules, DEFAULT_RULES_TEXT } from '../../src/acl/visibility';
import { auditStore, type AuditOptions } from '../../src/audit/audit-store';
import { parseLifecycleExpectations, parseSample, lifecycleRuleMeeting } from '../../src/audit/expectations';
import { judgeObject, type BucketContext, type ObjectFacts } from '../../src/audit/object-check';
import { severityOf } from '../../src/audit/findings';
import type { AclGrant, AuditCapability, CannedAcl, Ownership } from '../../src/storage/audit-capability';
import { StoreError } from '../../src/errors';
import type { BucketPolicyState, ObjectInfo, ObjectStore } from '../../src/storage/object-store';
import type { PublicAddress } from '../../src/storage/anonymous';
import { ConfigurationError } from '../../src/config/configuration-error';

const sev = (k: Parameters<typeof severityOf>[0]) => severityOf(k, 'warning');
const ACL: BucketContext = { mode: 'acl', ownership: 'unknown', allowMoreVisible: false };
const PUBLIC: AclGrant[] = [{ grantee: 'owner', permission: 'FULL_CONTROL' }, { grantee: 'all-users', permission: 'READ' }];
const AUTH: AclGrant[] = [{ grantee: 'owner', permission: 'FULL_CONTROL' }, { grantee: 'authenticated-users', permission: 'READ' }];
const OWNER_ONLY: AclGrant[] = [{ grantee: 'owner', permission: 'FULL_CONTROL' }];
const facts = (o: Partial<ObjectFacts>): ObjectFacts => ({ key: 'k', expected: 'private', anonymous: 'denied', grants: OWNER_ONLY, policyKnown: true, ...o });

describe('judging one object', () => {
  test('right objects give nothing', () => {
    expect(judgeObject(facts({ expected: 'private' }), ACL, sev)).toEqual({});
    expect(judgeObject(facts({ expected: 'public', anonymous: 'readable', grants: PUBLIC }), ACL, sev)).toEqual({});
  });

  test('a just-listed object that answers 404 is a failed check, never a pass: gone, or missed by the probe', () => {
    const missed = judgeObject(facts({ anonymous: 'missing', anonymousDetail: '404', present: 'yes' }), ACL, sev);
    expect(missed.finding).toMatchObject({ kind: 'check-failed', severity: 'warning', key: 'k' });
    expect(missed.finding!.message).toMatch(/answered HTTP 404, yet a signed HEAD finds the object: .* not shown private/);
    const gone = judgeObject(facts({ anonymous: 'missing', anonymousDetail: '404', present: 'gone' }), ACL, sev);
    expect(gone.finding).toMatchObject({ kind: 'check-failed' });
    expect(gone.finding!.message).toMatch(/gone when checked \(deleted since the listing\?\)/);
    expect(judgeObject(facts({ anonymous: 'missing', present: 'unknown' }), ACL, sev).finding).toMatchObject({ kind: 'check-failed' });
    // Gone by the signed HEAD: whatever the anonymous request read was not this object.
    expect(judgeObject(facts({ anonymous: 'readable', anonymousDetail: '200', present: 'gone' }), ACL, sev).finding).toMatchObject({ kind: 'check-failed' });
    for (const f of [missed, gone]) expect(f.fix).toBeUndefined();
  });

  test('private but readable through an ACL: an error, fixed by a private ACL', () => {
    const v = judgeObject(facts({ anonymous: 'readable', grants: PUBLIC }), ACL, sev);
    expect(v.finding).toMatchObject({ kind: 'exposed', severity: 'error', causes: ['acl'] });
    expect(v.fix).toEqual({ action: 'set-acl', acl: 'private' });
  });

  test('private but readable through the policy: the fix is a policy change a person makes', () => {
    const v = judgeObject(facts({ anonymous: 'readable', policyRead: { statement: 'statement "Oops"', who: 'everyone' } }), ACL, sev);
    expect(v.finding).toMatchObject({ kind: 'exposed', causes: ['policy'] });
    expect(v.fix).toMatchObject({ action: 'policy-change' });
    expect((v.fix as { advice: string }).advice).toContain('"Oops"');
  });

  test('authenticated-read counts as readable by strangers', () => {
    const v = judgeObject(facts({ grants: AUTH }), ACL, sev);
    expect(v.finding).toMatchObject({ kind: 'exposed-authenticated', severity: 'error' });
    expect(v.fix).toEqual({ action: 'set-acl', acl: 'private' });
  });

  test('a public grant dormant under BucketOwnerEnforced is a latent risk, not fixable by ACL', () => {
    const v = judgeObject(facts({ grants: PUBLIC }), { ...ACL, mode: 'policy', ownership: 'BucketOwnerEnforced' }, sev);
    expect(v.finding).toMatchObject({ kind: 'latent-public-grant', severity: 'warning' });
    expect(v.fix).toMatchObject({ action: 'manual' });
  });

  test('a public grant ignored by IgnorePublicAcls is latent too, and fixable', () => {
    const ctx = { ...ACL, accessBlock: { blockPublicAcls: false, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false } };
    expect(judgeObject(facts({ grants: PUBLIC }), ctx, sev)).toMatchObject({ finding: { kind: 'latent-public-grant' }, fix: { action: 'set-acl', acl: 'private' } });
  });

  test('public but not readable: a warning; made public only when allowed', () => {
    const v = judgeObject(facts({ expected: 'public' }), ACL, sev);
    expect(v.finding).toMatchObject({ kind: 'not-readable', severity: 'warning' });
    expect(v.fix).toMatchObject({ action: 'not-allowed' });
    expect(judgeObject(facts({ expected: 'public' }), { ...ACL, allowMoreVisible: true }, sev).fix).toEqual({ action: 'set-acl', acl: 'public-read' });
    expect(judgeObject(facts({ expected: 'public' }), { ...ACL, mode: 'policy', allowMoreVisible: true }, sev).fix).toMatchObject({ action: 'policy-change' });
  });

  test('a failed anonymous request is a failed check, never a pass', () => {
    expect(judgeObject(facts({ anonymous: 'error', anonymousDetail: 'ECONNRESET' }), ACL, sev).finding).toMatchObject({ kind: 'check-failed', severity: 'warning' });
  });
});

describe('expectations', () => {
  test('lifecycle lines', () => {
    expect(parseLifecycleExpectations('logs/ 90\n# c\n* 365')).toEqual([{ prefix: 'logs/', days: 90, line: 1 }, { prefix: '', days: 365, line: 3 }]);
    expect(() => parseLifecycleExpectations('logs/ 0')).toThrow(ConfigurationError);
    expect(() => parseLifecycleExpectations('logs/')).toThrow(/line 1 "logs\/" is not "PREFIX DAYS"/);
    const rules = [{ enabled: true, prefix: 'logs/', expirationDays: 30 }];
    expect(lifecycleRuleMeeting(rules, { prefix: 'logs/pr-1/', days: 90, line: 1 })).toBeDefined();
    expect(lifecycleRuleMeeting(rules, { prefix: 'logs/', days: 7, line: 1 })).toBeUndefined();
    expect(lifecycleRuleMeeting(rules, { prefix: '', days: 90, line: 1 })).toBeUndefined();
  });

  test('sample', () => {
    expect(parseSample('1')).toBe(1);
    expect(parseSample('0.05')).toBe(0.05);
    expect(parseSample('5%')).toBe(0.05);
    for (const bad of ['0', '1.5', 'half', '-1', '200%']) expect(() => parseSample(bad)).toThrow(ConfigurationError);
  });
});

/** A store and capability in memory: objects with grants; anonymous readability follows the grants. */
function memory(objects: Record<string, CannedAcl | 'authenticated-read'>, o: { ownership?: Ownership; aclDenied?: boolean; objectAclDenied?: boolean; policy?: BucketPolicyState; marked?: readonly string[] } = {}) {
  const marked = new Set(o.marked ?? []);
  const acls = new Map(Object.entries(objects));
  const sets: string[] = [];
  const grants = (acl: string): AclGrant[] =>
    acl === 'public-read' ? PUBLIC : acl === 'authenticated-read' ? AUTH : OWNER_ONLY;
  const store = {
    display: 'memory',
    visibilityMode: 'acl',
    async *list(_prefix?: string, range: { from?: string; to?: string } = {}): AsyncIterable<ObjectInfo> {
      for (const key of [...acls.keys()].sort()) {
        if ((range.from === undefined || key >= range.from) && (range.to === undefined || key < range.to)) yield { key, size: 1 };
      }
    },
    async head(key: string) {
      return acls.has(key) ? { key, size: 1, metadata: marked.has(key) ? { visibility: 'private' } : {} } : undefined;
    },
    anonymousAddress: (key: string): PublicAddress => ({ protocol: 'http:', hostname: 'mem.invalid', host: 'mem.invalid', path: `/${key}` }),
    locate: (key: string) => ({ bucket: 'b', key }),
    policy: async () => o.policy ?? { kind: 'none' },
  } as unknown as ObjectStore;
  const denied = (op: string, permission: string) => new StoreError('access-denied', `${op} memory (needs ${permission}): AccessDenied (HTTP 403)`, 'AccessDenied');
  const cap: AuditCapability = {
    publicAccessBlock: async () => undefined,
    bucketAcl: async () => {
      if (o.aclDenied) throw denied('GetBucketAcl', 's3:GetBucketAcl');
      return OWNER_ONLY;
    },
    ownership: async () => o.ownership ?? 'unknown',
    lifecycle: async () => [],
    versioning: async () => 'disabled',
    objectAcl: async (key) => {
      if (o.aclDenied || o.objectAclDenied) throw denied('GetObjectAcl', 's3:GetObjectAcl');
      return grants(acls.get(key)!);
    },
    setObjectAcl: async (key, acl) => {
      sets.push(`${key}=${acl}`);
      acls.set(key, acl);
    },
  };
  const probe = async (address: PublicAddress) => {
    const acl = acls.get(address.path.slice(1));
    if (acl === undefined) return { access: 'missing' as const, status: 404 };
    const key = address.path.slice(1);
    return acl === 'public-read' && o.ownership !== 'BucketOwnerEnforced' ? { access: 'readable' as const, status: 200, markedPrivate: marked.has(key) } : { access: 'denied' as const, status: 403 };
  };
  return { store, cap, probe, sets, acls };
}

function options(probe: AuditOptions['probe'], o: Partial<AuditOptions> = {}): AuditOptions {
  return {
    rules: parseVisibilityRules(DEFAULT_RULES_TEXT),
    range: {},
    sample: 1,
    random: Math.random,
    concurrency: 4,
    fix: 'dry-run',
    allowMoreVisible: false,
    probe,
    throttle: async () => {},
    lifecycle: [],
    versioning: 'any',
    settingSeverity: 'warning',
    aclChecks: 'auto',
    events: { debug: () => {}, progress: () => {} },
    ...o,
  };
}

const kinds = (a: Awaited<ReturnType<typeof auditStore>>) => a.log.findings.map((f) => `${f.kind}:${f.key ?? ''}`).sort();

describe('auditing a store', () => {
  const OBJECTS = { 'fedora.qcow2': 'public-read', 'rhel-8.qcow2': 'public-read', 'rhel-9.qcow2': 'private', 'rhel-7.qcow2': 'authenticated-read', 'debian.qcow2': 'private' } as const;

  test('finds the wrong ones; fix true with allow-more-visible sets exactly their ACLs', async () => {
    const m = memory({ ...OBJECTS });
    const a = await auditStore('mem', m.store, m.cap, options(m.probe, { fix: 'true', allowMoreVisible: true }));
    expect(kinds(a)).toEqual(['exposed-authenticated:rhel-7.qcow2', 'exposed:rhel-8.qcow2', 'not-readable:debian.qcow2']);
    expect(m.sets.sort()).toEqual(['debian.qcow2=public-read', 'rhel-7.qcow2=private', 'rhel-8.qcow2=private']);
    expect(a.fixes.map((f) => f.result)).toEqual(['fixed', 'fixed', 'fixed']);
    expect(a.checked).toBe(5);
  });

  test('a dry run changes nothing', async () => {
    const m = memory({ ...OBJECTS });
    const a = await auditStore('mem', m.store, m.cap, options(m.probe));
    expect(m.sets).toEqual([]);
    expect(a.fixes.filter((f) => f.result === 'planned').map((f) => f.key).sort()).toEqual(['rhel-7.qcow2', 'rhel-8.qcow2']);
  });

  test('ACLs unreadable: auto says which permission and goes on anonymously; required stops', async () => {
    const m = memory({ ...OBJECTS }, { aclDenied: true });
    const a = await auditStore('mem', m.store, m.cap, options(m.probe));
    expect(kinds(a)).toEqual(['acl-unreadable:', 'exposed:rhel-8.qcow2', 'not-readable:debian.qcow2']);
    expect(a.log.findings.find((f) => f.kind === 'acl-unreadable')!.message).toContain('s3:GetBucketAcl');
    expect(a.aclsRead).toBe(false);
    await expect(auditStore('mem', m.store, m.cap, options(m.probe, { aclChecks: 'required' }))).rejects.toThrow(/acl-checks.*required.*s3:GetBucketAcl/);
  });

  test('only object ACLs refused: said once, with the permission, and the rest is checked anonymously', async () => {
    const m = memory({ ...OBJECTS }, { objectAclDenied: true });
    const a = await auditStore('mem', m.store, m.cap, options(m.probe));
    const unreadable = a.log.findings.filter((f) => f.kind === 'acl-unreadable');
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]!.message).toContain('s3:GetObjectAcl');
    expect(a.checked).toBe(5);
    expect(a.log.counts.exposed).toBe(1);
  });

  test('BucketOwnerEnforced: a dormant public grant on a private object is a latent risk', async () => {
    const m = memory({ 'rhel-8.qcow2': 'public-read', 'fedora.qcow2': 'private' }, { ownership: 'BucketOwnerEnforced', policy: { kind: 'document', text: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::b/rhel*' }] }) } });
    const probe: AuditOptions['probe'] = async (a) => (a.path.includes('fedora') ? { access: 'readable', status: 200 } : { access: 'denied', status: 403 });
    const a = await auditStore('mem', m.store, m.cap, options(probe));
    expect(a.mode).toBe('policy');
    expect(kinds(a)).toEqual(['latent-public-grant:rhel-8.qcow2']);
  });

  test('a malformed policy is an error finding; objects are still checked', async () => {
    const m = memory({ 'fedora.qcow2': 'public-read' }, { policy: { kind: 'document', text: '{"Statement": [' } });
    const a = await auditStore('mem', m.store, m.cap, options(m.probe));
    expect(kinds(a)).toEqual(['policy-malformed:']);
    expect(a.checked).toBe(1);
  });

  test('a listed object that answers 404 anonymously is reported, never skipped as deleted', async () => {
    const m = memory({ ...OBJECTS });
    const a = await auditStore('mem', m.store, m.cap, options(async () => ({ access: 'missing', status: 404 })));
    expect(a.checked).toBe(5);
    expect(kinds(a).filter((k) => k.startsWith('check-failed'))).toEqual(Object.keys(OBJECTS).sort().map((k) => `check-failed:${k}`));
    for (const f of a.log.findings.filter((x) => x.kind === 'check-failed')) expect(f.message).toMatch(/yet a signed HEAD finds the object/);
  });

  test('an object deleted since the listing is reported as not checked', async () => {
    const m = memory({ 'rhel-9.qcow2': 'public-read' });
    const gone = Object.assign(Object.create(m.store) as ObjectStore, { head: async () => undefined });
    const a = await auditStore('mem', gone, m.cap, options(async () => ({ access: 'missing', status: 404 })));
    expect(kinds(a)).toEqual(['check-failed:rhel-9.qcow2']);
    expect(a.log.findings[0]!.message).toMatch(/gone when checked \(deleted since the listing\?\)/);
  });

  test('a fix is verified only by a denial: a 404 afterwards is still wrong', async () => {
    const m = memory({ 'rhel-8.qcow2': 'public-read' });
    let calls = 0;
    const probe: AuditOptions['probe'] = async () => (calls++ === 0 ? { access: 'readable', status: 200 } : { access: 'missing', status: 404 });
    const a = await auditStore('mem', m.store, m.cap, options(probe, { fix: 'true' }));
    expect(a.fixes).toMatchObject([{ key: 'rhel-8.qcow2', result: 'still-wrong', detail: 'anonymous request after the fix: missing' }]);
  });

  test('an object written private (its marker) is judged private whatever its key says, and never made public', async () => {
    // Content-addressed keys: the rules see only hex, which they call public.
    const m = memory({ 'img/aa.qcow2': 'private', 'img/bb.qcow2': 'public-read', 'img/cc.qcow2': 'private', 'img/dd.qcow2': 'public-read' }, { marked: ['img/aa.qcow2', 'img/bb.qcow2'] });
    const a = await auditStore('mem', m.store, m.cap, options(m.probe, { fix: 'true', allowMoreVisible: true }));
    // aa: private and marked, right. bb: marked yet readable, exposed. cc: unmarked, public by its key, fixed. dd: right.
    expect(kinds(a)).toEqual(['exposed:img/bb.qcow2', 'not-readable:img/cc.qcow2']);
    expect(a.log.findings.find((f) => f.key === 'img/bb.qcow2')!.message).toMatch(/^private by its x-amz-meta-visibility: private marker \(written private; the key's rule says public\), but readable anonymously/);
    expect(m.sets.sort()).toEqual(['img/bb.qcow2=private', 'img/cc.qcow2=public-read']);
    expect(a.fixes.map((f) => f.result)).toEqual(['fixed', 'fixed']);
  });

  test('a denied object whose marker a signed HEAD could not read is never made public', async () => {
    const m = memory({ 'img/aa.qcow2': 'private' });
    const failing = Object.assign(Object.create(m.store) as ObjectStore, {
      head: async () => {
        throw new StoreError('unavailable', 'HEAD img/aa.qcow2: connection reset');
      },
    });
    const a = await auditStore('mem', failing, m.cap, options(m.probe, { fix: 'true', allowMoreVisible: true }));
    expect(kinds(a)).toEqual(['not-readable:img/aa.qcow2']);
    expect(m.sets).toEqual([]);
    expect(a.fixes).toMatchObject([{ key: 'img/aa.qcow2', result: 'failed', detail: expect.stringMatching(/could not show that it carries no private marker/) }]);
  });

  test('sample and shard range choose which objects are checked', async () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f-${String(i).padStart(3, '0')}`, 'public-read' as const]));
    const m = memory(many);
    let n = 0;
    const a = await auditStore('mem', m.store, m.cap, options(m.probe, { sample: 0.25, random: () => (n++ % 4) / 4 }));
    expect(a.listed).toBe(200);
    expect(a.checked).toBe(50);
    const b = await auditStore('mem', m.store, m.cap, options(m.probe, { range: { from: 'f-100', to: 'f-150' } }));
    expect(b.checked).toBe(50);
  });
});
