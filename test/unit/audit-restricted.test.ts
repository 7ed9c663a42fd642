/**
 * Conditional access in the audit: the `restricted` rule value, and objects strangers may read only
 * under a bucket policy condition (Fedora's EC2 mirrors: an Allow for everyone from 10.0.0.0/8).
 */
import { parseBucketPolicy, policyExposures, strangerReadAccess } from '../../src/acl/bucket-policy';
import { decideAuditVisibility, decideObjectVisibility, parseVisibilityRules } from '../../src/acl/visibility';
import { judgeObject, type BucketContext, type ObjectFacts } from '../../src/audit/object-check';
import { severityOf } from '../../src/audit/findings';
import type { AclGrant } from '../../src/storage/audit-capability';
import { ConfigurationError } from '../../src/config/configuration-error';

const sev = (k: Parameters<typeof severityOf>[0]) => severityOf(k, 'warning');
const ACL: BucketContext = { mode: 'acl', ownership: 'unknown', allowMoreVisible: false };
const ENFORCED: BucketContext = { mode: 'policy', ownership: 'BucketOwnerEnforced', allowMoreVisible: false };
const OWNER_ONLY: AclGrant[] = [{ grantee: 'owner', permission: 'FULL_CONTROL' }];
const PUBLIC: AclGrant[] = [...OWNER_ONLY, { grantee: 'all-users', permission: 'READ' }];
const EC2_ONLY = 'IpAddress aws:SourceIp 10.0.0.0/8 (statement "Ec2Only")';
const restrictedRead = { statement: 'statement "Ec2Only"', who: 'everyone', condition: EC2_ONLY } as const;
const publicRead = { statement: 'statement "Public"', who: 'everyone' } as const;
const facts = (o: Partial<ObjectFacts>): ObjectFacts => ({ key: 'fedora/42/repodata/repomd.xml', expected: 'restricted', rule: 'fedora/** restricted', anonymous: 'denied', grants: OWNER_ONLY, policyKnown: true, ...o });

// Fedora's mirror bucket: readable by anyone from inside EC2 (10.0.0.0/8), by nobody else.
const FEDORA = parseBucketPolicy(
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'Ec2Only', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::fedora-mirror-us-east-1/*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }],
  }),
);

describe('the restricted rule value', () => {
  test('only the audit accepts it; a writer is told why not', () => {
    expect(() => parseVisibilityRules('fedora/** restricted\n* public')).toThrow(ConfigurationError);
    expect(() => parseVisibilityRules('fedora/** restricted')).toThrow(/"restricted" is a rule of audit-acl only/);
    expect(parseVisibilityRules('fedora/** restricted\n* public', { restricted: true }).map((r) => r.visibility)).toEqual(['restricted', 'public']);
    expect(() => parseVisibilityRules('x restricted-ish', { restricted: true })).toThrow(/is not "GLOB public" or "GLOB private" or "GLOB restricted"/);
  });

  test('private wins over restricted, restricted over public, from the key or a folder of it', () => {
    const rules = parseVisibilityRules('rhel* private\nmirror restricted\nfedora/** restricted\n* public', { restricted: true });
    const audit = (key: string) => decideAuditVisibility(rules, key).visibility;
    expect(audit('fedora/42/repomd.xml')).toBe('restricted');
    expect(audit('fedora/rhel-9.qcow2')).toBe('private');
    expect(audit('rhel/fedora/x')).toBe('private');
    expect(audit('mirror/debian/x.deb')).toBe('restricted');
    expect(audit('debian/x.deb')).toBe('public');
    expect(audit('')).toBe('private');
    // A writer never makes anything restricted: such a key is written private (its access comes from the policy).
    expect(decideObjectVisibility(rules, 'fedora/42/repomd.xml').visibility).toBe('private');
    expect(decideObjectVisibility(rules, 'debian/x.deb').visibility).toBe('public');
  });
});

describe('Fedora\'s mirror policy', () => {
  test('every key is restricted, with the condition named; the bucket-level exposure carries it too', () => {
    expect(strangerReadAccess(FEDORA, 'fedora-mirror-us-east-1', 'fedora/42/repomd.xml')).toMatchObject({ access: 'restricted', who: 'everyone', condition: EC2_ONLY });
    expect(strangerReadAccess(FEDORA, 'other-bucket', 'x')).toEqual({ access: 'private' });
    expect(policyExposures(FEDORA, 'fedora-mirror-us-east-1')).toEqual([expect.objectContaining({ access: 'read', who: 'everyone', conditional: true, condition: 'IpAddress aws:SourceIp 10.0.0.0/8' })]);
  });

  test('a condition any plain request meets is no restriction: public, and no condition named', () => {
    const p = (Condition: object) =>
      strangerReadAccess(parseBucketPolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition }] })), 'b', 'k');
    expect(p({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })).toEqual(expect.objectContaining({ access: 'public' }));
    expect(p({ Null: { 'aws:SourceVpce': 'true' } })).toEqual(expect.objectContaining({ access: 'public' }));
    expect(p({ StringEqualsIfExists: { 'aws:Referer': 'x' } })).toEqual(expect.objectContaining({ access: 'public' }));
    expect(p({ StringEquals: { 'aws:Referer': 'x' } })).toEqual(expect.objectContaining({ access: 'restricted', condition: 'StringEquals aws:Referer x (statement 1)' }));
    const words = (Condition: object) => [p(Condition).access, p(Condition).condition];
    // Anyone can use HTTPS, and an operator AWS does not document is read as one a stranger may meet.
    expect(words({ Bool: { 'aws:SecureTransport': true } })).toEqual(['public', undefined]);
    expect(words({ IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } })).toEqual(['public', undefined]);
    expect(words({ NoSuchOperator: { 'no:key': ['a', 'b'] } })).toEqual(['public', undefined]);
  });
});

describe('judging an object under a restricted rule', () => {
  test('readable only under the condition, as declared: a notice that names it', () => {
    for (const [anonymous, here] of [['denied', ''], ['readable', ' (this runner meets it)']] as const) {
      const v = judgeObject(facts({ anonymous, policyRead: restrictedRead }), ACL, sev);
      expect(v.finding).toEqual({
        kind: 'restricted',
        severity: 'notice',
        key: 'fedora/42/repodata/repomd.xml',
        message: `restricted by rule "fedora/** restricted": bucket policy statement "Ec2Only" lets anyone read it only under a condition${here}: ${EC2_ONLY}`,
        causes: ['policy'],
      });
      expect(v.fix).toBeUndefined();
    }
  });

  test('a condition every internet request meets (HTTPS, every address) is no restriction: an error, not a notice', () => {
    for (const Condition of [{ Bool: { 'aws:SecureTransport': 'true' } }, { IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } }, { DateGreaterThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' } }]) {
      const p = parseBucketPolicy(JSON.stringify({ Statement: [{ Sid: 'Tls', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition }] }));
      const v = strangerReadAccess(p, 'b', 'fedora/42/repodata/repomd.xml');
      const policyRead = { statement: 'statement "Tls"', who: v.who ?? 'everyone', condition: v.condition };
      expect(judgeObject(facts({ policyRead }), ACL, sev).finding).toMatchObject({ kind: 'unrestricted', severity: 'error', causes: ['policy'] });
    }
  });

  test('readable without condition, by the policy or a live ACL grant, exposes more than declared: an error', () => {
    const byPolicy = judgeObject(facts({ anonymous: 'readable', policyRead: publicRead }), ACL, sev);
    expect(byPolicy.finding).toMatchObject({ kind: 'unrestricted', severity: 'error', causes: ['policy'] });
    expect(byPolicy.fix).toMatchObject({ action: 'policy-change', advice: expect.stringContaining('add the intended condition') });
    const byAcl = judgeObject(facts({ anonymous: 'readable', grants: PUBLIC, policyRead: restrictedRead }), ACL, sev);
    expect(byAcl.finding).toMatchObject({ kind: 'unrestricted', severity: 'error', causes: ['acl'] });
    expect(byAcl.fix).toEqual({ action: 'set-acl', acl: 'private' });
    // Readable, and nothing in the policy explains it.
    expect(judgeObject(facts({ anonymous: 'readable' }), ACL, sev).finding).toMatchObject({ kind: 'unrestricted', causes: ['unknown'] });
    // A dormant grant (ACLs disabled) is no unconditional read.
    expect(judgeObject(facts({ grants: PUBLIC, policyRead: restrictedRead }), ENFORCED, sev).finding).toMatchObject({ kind: 'restricted' });
  });

  test('private under a restricted rule is a warning: nothing exposed, but the declared readers are shut out', () => {
    const v = judgeObject(facts({}), ACL, sev);
    expect(v.finding).toMatchObject({ kind: 'not-readable', severity: 'warning', message: expect.stringMatching(/no bucket policy statement lets strangers read it under any condition: it is private$/) });
    expect(v.fix).toMatchObject({ action: 'policy-change' });
  });

  test('what cannot be told apart is a failed check, never a pass', () => {
    expect(judgeObject(facts({ policyKnown: false }), ACL, sev).finding).toMatchObject({ kind: 'check-failed', severity: 'warning' });
    // Readable from here, the condition may explain it, but an unread ACL could grant everyone.
    expect(judgeObject(facts({ anonymous: 'readable', grants: undefined, policyRead: restrictedRead }), ACL, sev).finding).toMatchObject({ kind: 'check-failed' });
  });
});

describe('judging a private or public object that a condition opens', () => {
  test('private but readable under a condition: an error naming it (restricted is not private)', () => {
    const v = judgeObject(facts({ expected: 'private', rule: 'rhel* private', policyRead: restrictedRead }), ACL, sev);
    expect(v.finding).toMatchObject({
      kind: 'exposed-restricted',
      severity: 'error',
      causes: ['policy'],
      message: `private by rule "rhel* private", anonymous read denied here, but bucket policy statement "Ec2Only" lets anyone read it under a condition: ${EC2_ONLY}`,
    });
    expect(v.fix).toMatchObject({ action: 'policy-change' });
    // From a runner that meets the condition it is plainly exposed, the condition named.
    const here = judgeObject(facts({ expected: 'private', anonymous: 'readable', policyRead: restrictedRead }), ACL, sev);
    expect(here.finding).toMatchObject({ kind: 'exposed', message: expect.stringContaining(`under a condition: ${EC2_ONLY}`) });
  });

  test('public but only readable under a condition: not readable, the condition named', () => {
    const v = judgeObject(facts({ expected: 'public', rule: '* public', policyRead: restrictedRead }), ACL, sev);
    expect(v.finding).toMatchObject({ kind: 'not-readable', message: expect.stringContaining(`only under a condition: ${EC2_ONLY}`) });
  });
});
