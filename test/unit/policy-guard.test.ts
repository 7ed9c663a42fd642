/** The check before a private object is written, on a store whose bucket policy is given. */
import { guardPrivateWrite } from '../../src/acl/policy-guard';
import type { BucketPolicyState, ObjectStore } from '../../src/storage/object-store';

function storeWith(policy: BucketPolicyState): ObjectStore {
  return { locate: (key: string) => ({ bucket: 'bkt', key: `images/${key}` }), policy: async () => policy } as unknown as ObjectStore;
}
const doc = (statement: object): BucketPolicyState => ({ kind: 'document', text: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) });

test('a policy for everyone, or for any account holder, refuses the private write and says to whom', async () => {
  const anyone = await guardPrivateWrite(storeWith(doc({ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/*' })), 'rhel-9.qcow2');
  expect(anyone).toEqual({ verdict: 'refuse', reason: expect.stringMatching(/^not written: the bucket policy \(statement "Public"\) lets anyone read images\/rhel-9\.qcow2;/) });
  const holders = await guardPrivateWrite(storeWith(doc({ Sid: 'AnyAccount', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::*:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/*' })), 'rhel-9.qcow2');
  expect(holders).toEqual({ verdict: 'refuse', reason: expect.stringMatching(/lets any account holder read images\/rhel-9\.qcow2;/) });
});

test('a policy for named accounts, or for other keys, is safe; none is safe; an unreadable one is unknown, a malformed one refuses', async () => {
  expect(await guardPrivateWrite(storeWith(doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/*' })), 'rhel-9.qcow2')).toEqual({ verdict: 'safe' });
  expect(await guardPrivateWrite(storeWith(doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::bkt/images/rhel*' })), 'rhel-9.qcow2')).toEqual({ verdict: 'safe' });
  expect(await guardPrivateWrite(storeWith({ kind: 'none' }), 'rhel-9.qcow2')).toEqual({ verdict: 'safe' });
  expect(await guardPrivateWrite(storeWith({ kind: 'unknown', reason: 'AccessDenied' }), 'rhel-9.qcow2')).toEqual({ verdict: 'unknown', reason: 'AccessDenied' });
  expect((await guardPrivateWrite(storeWith({ kind: 'document', text: '{not json' }), 'rhel-9.qcow2')).verdict).toBe('refuse');
});

test('a read allowed only under a condition refuses the private write and names the condition; a conditional Deny does not make it safe', async () => {
  const allow = { Sid: 'Ec2Only', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/*' };
  const conditions = [
    [{ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, 'IpAddress aws:SourceIp 10.0.0.0/8'],
    [{ StringEquals: { 'aws:SourceVpce': ['vpce-1', 'vpce-2'] } }, 'StringEquals aws:SourceVpce [vpce-1, vpce-2]'],
    [{ StringLike: { 'aws:Referer': 'https://ci.example/*' } }, 'StringLike aws:Referer https://ci.example/*'],
    [{ StringEquals: { 's3:ExistingObjectTag/mirror': 'yes' } }, 'StringEquals s3:ExistingObjectTag/mirror yes'],
  ] as const;
  for (const [Condition, words] of conditions) {
    const guard = await guardPrivateWrite(storeWith(doc({ ...allow, Condition })), 'rhel-9.qcow2');
    expect(guard).toEqual({ verdict: 'refuse', reason: expect.stringContaining(`lets anyone read images/rhel-9.qcow2 under a condition (${words} (statement "Ec2Only"))`) });
  }
  const denyOutside = { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/images/rhel*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } };
  const policy: BucketPolicyState = { kind: 'document', text: JSON.stringify({ Version: '2012-10-17', Statement: [{ ...allow, Sid: 'Public' }, denyOutside] }) };
  expect(await guardPrivateWrite(storeWith(policy), 'rhel-9.qcow2')).toEqual({ verdict: 'refuse', reason: expect.stringMatching(/lets anyone read images\/rhel-9\.qcow2 under a condition \(not NotIpAddress aws:SourceIp 10\.0\.0\.0\/8/) });
});

test('a grant of s3:GetObjectVersion to everyone refuses the private write: a GET with versionId needs no s3:GetObject', async () => {
  const guard = await guardPrivateWrite(storeWith(doc({ Sid: 'Versions', Effect: 'Allow', Principal: '*', Action: 's3:GetObjectVersion', Resource: 'arn:aws:s3:::bkt/*' })), 'rhel-9.qcow2');
  expect(guard).toEqual({ verdict: 'refuse', reason: expect.stringMatching(/^not written: the bucket policy \(statement "Versions"\) lets anyone read images\/rhel-9\.qcow2;/) });
});
