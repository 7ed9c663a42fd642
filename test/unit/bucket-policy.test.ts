import { anonymousReadAllowed, parseBucketPolicy } from '../../src/acl/bucket-policy';

const policy = (...statements: object[]) => parseBucketPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
const read = (p: ReturnType<typeof policy>, key: string) => anonymousReadAllowed(p, 'images', key).readable;

describe('may a stranger read this key?', () => {
  test("Cockpit's AWS policy: public except rhel*", () => {
    const p = policy({ Sid: 'PublicExceptRhel', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::images/rhel*' });
    expect(read(p, 'fedora-42.qcow2')).toBe(true);
    expect(read(p, 'rhel-9.qcow2')).toBe(false);
    expect(anonymousReadAllowed(p, 'images', 'fedora').statement?.sid).toBe('PublicExceptRhel');
  });

  test('a whole-bucket public read exposes everything', () => {
    const p = policy({ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:Get*'], Resource: ['arn:aws:s3:::images/*'] });
    expect(read(p, 'rhel-9.qcow2')).toBe(true);
  });

  test('a grant to a named account is not a grant to strangers', () => {
    const p = policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:*', Resource: 'arn:aws:s3:::images/*' });
    expect(read(p, 'rhel-9.qcow2')).toBe(false);
  });

  test('other actions, other buckets and other prefixes do not count', () => {
    const p = policy(
      { Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::images' },
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' },
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/public/*' },
    );
    expect(read(p, 'rhel-9.qcow2')).toBe(false);
    expect(read(p, 'public/x')).toBe(true);
  });

  test('NotAction and NotPrincipal fail closed', () => {
    expect(read(policy({ Effect: 'Allow', Principal: '*', NotAction: 's3:PutObject', Resource: '*' }), 'rhel')).toBe(true);
    expect(read(policy({ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:GetObject', Resource: '*' }), 'rhel')).toBe(true);
  });

  test('a conditional Allow still exposes; only an unconditional Deny protects', () => {
    const allowIp = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } };
    expect(read(policy(allowIp), 'rhel-9')).toBe(true);
    const denyRhel = { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/rhel*' };
    expect(read(policy(allowIp, denyRhel), 'rhel-9')).toBe(false);
    expect(read(policy(allowIp, { ...denyRhel, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), 'rhel-9')).toBe(true);
  });

  test('ARN matching is case-sensitive, as AWS does it', () => {
    const p = policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::images/rhel*' });
    expect(read(p, 'RHEL-9.qcow2')).toBe(true);
  });

  test.each([
    ['not json', /not valid JSON/],
    ['{}', /has no Statement/],
    ['{"Statement":[{"Effect":"Maybe"}]}', /Effect "Maybe"; allowed: Allow, Deny/],
  ])('a malformed policy %p is an error, never a "no"', (text, message) => {
    expect(() => parseBucketPolicy(text)).toThrow(message);
  });
});
