/**
 * Bucket policies as an audit reads them: who (anyone, or any account holder) may read, list or
 * write which keys. Policies are given as GetBucketPolicy answers carry them (the Policy string).
 */
import { parseBucketPolicy, policyExposures, strangerReadAllowed } from '../../src/acl/bucket-policy';

/** A recorded GetBucketPolicy answer: `{"Policy": "<the document as a string>"}`. */
const recorded = (doc: object) => JSON.stringify({ Policy: JSON.stringify(doc) });
const fromAnswer = (answer: string) => parseBucketPolicy((JSON.parse(answer) as { Policy: string }).Policy);

// Cockpit's AWS design: public except rhel*, through NotResource.
const COCKPIT = recorded({
  Version: '2012-10-17',
  Statement: [{ Sid: 'PublicReadExceptRhel', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: ['arn:aws:s3:::cockpit-images/rhel*'] }],
});

test("Cockpit's policy: everyone reads every key but rhel*, nothing else", () => {
  const p = fromAnswer(COCKPIT);
  expect(policyExposures(p, 'cockpit-images')).toEqual([
    expect.objectContaining({ who: 'everyone', access: 'read', scope: 'every key except arn:aws:s3:::cockpit-images/rhel*', conditional: false }),
  ]);
  expect(strangerReadAllowed(p, 'cockpit-images', 'fedora-42.qcow2')).toMatchObject({ readable: true, who: 'everyone' });
  expect(strangerReadAllowed(p, 'cockpit-images', 'rhel-9.qcow2').readable).toBe(false);
});

test('NotAction s3:Get* still lets everyone list and write: fails closed', () => {
  const p = fromAnswer(recorded({ Statement: { Effect: 'Allow', Principal: { AWS: '*' }, NotAction: 's3:Get*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] } }));
  expect(policyExposures(p, 'b').map((x) => x.access)).toEqual(['list', 'write']);
  expect(strangerReadAllowed(p, 'b', 'rhel').readable).toBe(false);
});

test('s3:* to everyone reads, lists and writes', () => {
  const p = fromAnswer(recorded({ Statement: [{ Sid: 'Oops', Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }] }));
  expect(policyExposures(p, 'b').map((x) => `${x.access}:${x.who}`)).toEqual(['read:everyone', 'list:everyone', 'write:everyone']);
});

test('a wildcard account is any account holder: an authenticated reader, still a stranger', () => {
  const p = fromAnswer(recorded({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::*:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/rhel*' }] }));
  expect(strangerReadAllowed(p, 'b', 'rhel-9.qcow2')).toMatchObject({ readable: true, who: 'authenticated' });
  expect(policyExposures(p, 'b')).toEqual([expect.objectContaining({ who: 'authenticated', access: 'read' })]);
});

test('a named account, another bucket: no exposure', () => {
  const p = fromAnswer(
    recorded({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/ci' }, Action: 's3:*', Resource: 'arn:aws:s3:::b/*' },
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' },
      ],
    }),
  );
  expect(policyExposures(p, 'b')).toEqual([]);
});

test('NotPrincipal Allow reaches everyone not named', () => {
  const p = fromAnswer(recorded({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' }] }));
  expect(policyExposures(p, 'b')).toEqual([expect.objectContaining({ who: 'everyone', access: 'write' })]);
});

test('a conditional Allow is still an exposure, marked conditional; an unconditional Deny for everyone protects', () => {
  const p = fromAnswer(
    recorded({
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
        { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/rhel*' },
      ],
    }),
  );
  expect(policyExposures(p, 'b')).toEqual([expect.objectContaining({ access: 'read', conditional: true })]);
  expect(strangerReadAllowed(p, 'b', 'fedora').readable).toBe(true);
  expect(strangerReadAllowed(p, 'b', 'rhel-9').readable).toBe(false);
});

test.each([
  ['not JSON', '{"Statement": ['],
  ['no Statement', '{"Version": "2012-10-17"}'],
  ['a bad Effect', '{"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}'],
])('a malformed policy (%s) is an error, never "nobody"', (_what, text) => {
  expect(() => parseBucketPolicy(text)).toThrow(/bucket policy/);
});

describe('the bucket-level audit counts any Resource that can match an object of the bucket', () => {
  const reads = (resource: unknown, bucket = 'cockpit-images') =>
    policyExposures(fromAnswer(recorded({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: resource }] })), bucket).map((x) => x.access);
  test.each([
    'arn:aws:s3:::*/rhel*',
    'arn:aws:s3:::*',
    'arn:aws:s3:::cockpit-?mages/*',
    'arn:aws:s3:::cockpit*',
    '*',
    'arn:aws:s3:*:*:cockpit-images/*',
    'arn:*:s3:::cockpit-images/rhel?',
    'arn:aws:s3:*',
    'ARN:AWS:S3:::cockpit-images/*',
    'arn:aws:s3:::cockpit-images/\n*',
    // `*` spans the bucket and a folder: a key such as `x/` (a folder marker) matches.
    'arn:aws:s3:::*/',
  ])('%p: read', (resource) => {
    expect(reads(resource)).toEqual(['read']);
  });

  test.each(['arn:aws:s3:::other/*', 'arn:aws:s3:::cockpit-images', 'arn:aws:s3:::cockpit-images-2/*', 'arn:aws:s3:us-east-1::cockpit-images/*'])('%p: nothing', (resource) => {
    expect(reads(resource)).toEqual([]);
  });

  test('NotResource counts unless it certainly excludes every object of the bucket', () => {
    const p = (notResource: unknown) => fromAnswer(recorded({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', NotResource: notResource }] }));
    expect(policyExposures(p('arn:aws:s3:::cockpit-images/rhel*'), 'cockpit-images')).toHaveLength(1);
    expect(policyExposures(p('arn:aws:s3:::cockpit-images/*'), 'cockpit-images')).toEqual([]);
    expect(policyExposures(p('arn:aws:s3:::*'), 'cockpit-images')).toEqual([]);
    expect(policyExposures(p('arn:aws:s3:::cockpit-images/?*'), 'cockpit-images')).toEqual([]);
    expect(policyExposures(p('arn:aws:s3:::other/*'), 'cockpit-images')).toHaveLength(1);
  });

  test('an Allow for named accounts under a NotPrincipal "*" reaches nobody; a Deny never hides an exposure', () => {
    const nobody = fromAnswer(recorded({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: '*' }, Action: 's3:GetObject', Resource: '*' }] }));
    expect(policyExposures(nobody, 'b')).toEqual([]);
    const denied = fromAnswer(
      recorded({
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*/rhel*' },
          { Effect: 'Deny', NotPrincipal: { AWS: '*' }, Action: 's3:GetObject', Resource: '*' },
        ],
      }),
    );
    expect(policyExposures(denied, 'b').map((x) => x.access)).toEqual(['read']);
    expect(strangerReadAllowed(denied, 'b', 'rhel-9')).toMatchObject({ readable: true, who: 'everyone' });
  });

  test('Federated and wildcard principals reach account holders; a Service does not', () => {
    const p = (principal: unknown) => fromAnswer(recorded({ Statement: [{ Effect: 'Allow', Principal: principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }));
    expect(policyExposures(p({ Federated: 'accounts.google.com' }), 'b')).toEqual([expect.objectContaining({ who: 'authenticated', access: 'read' })]);
    expect(policyExposures(p({ CanonicalUser: '*' }), 'b')).toEqual([expect.objectContaining({ who: 'everyone', access: 'read' })]);
    expect(policyExposures(p({ Service: 'logging.s3.amazonaws.com' }), 'b')).toEqual([]);
    expect(policyExposures(p({ Service: '*' }), 'b')).toEqual([expect.objectContaining({ who: 'authenticated' })]);
  });
});
