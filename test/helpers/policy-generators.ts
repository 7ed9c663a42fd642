/**
 * Generators of bucket policies and object keys for the policy properties (the evaluator against
 * its oracles) and the private-write properties: keys of every byte class, resource patterns made
 * from the keys under test, every principal and action spelling, and conditions.
 */
import fc from 'fast-check';
import type { RawPolicy, RawStatement } from './iam-reference';

export const BUCKET = 'images';
export const GET = 's3:GetObject';

// ---- generators ------------------------------------------------------------------------------

/** Key characters of every class: letters in both cases, dots and slashes, line breaks, NUL and controls, astral, NFC and NFD, IAM syntax. */
export const KEY_CHARS = ['r', 'h', 'e', 'l', 'R', 'H', 'x', '9', '-', '.', '/', '\n', '\r', '\u2028', '\u2029', '\u0000', '\u0001', '\u007f', '\u0085', '😀', '𠀀', '\u00e9', 'e\u0301', '*', '?', ':', '$', '{', '}', ' ', '\t', '\ud7ff'];
export const KEY_STARTS = ['rhel', 'rhel-9', 'RHEL', 'fedora', 'images/rhel', './rhel', 'a/../', '', 'x'];
export const key = fc
  .tuple(fc.constantFrom(...KEY_STARTS), fc.array(fc.constantFrom(...KEY_CHARS), { maxLength: 6 }))
  .map(([s, cs]) => s + cs.join(''))
  .filter((k) => k !== '');

/** Pieces of patterns: literals from the keys' alphabet, wildcards, and policy variables. */
export const PATTERN_PIECES = ['*', '*', '?', 'rhel', 'RHEL', 'rhel-9', 'fedora', '/', '.', '\n', '😀', 'e\u0301', '\u00e9', 'x', '${aws:SourceVpce}', '${*}', '${?}', '${$}', ':'];
export const keyPattern = fc.array(fc.constantFrom(...PATTERN_PIECES), { maxLength: 4 }).map((ps) => ps.join(''));
export const ARN_PREFIXES = ['arn:aws:s3:::', 'arn:aws:s3:::', 'arn:aws:s3:::', 'arn:aws:s3:*:*:', 'arn:*:s3:::', 'ARN:AWS:S3:::', 'arn:aws:s3:us-east-1::', 'arn:aws:s3:::'];
export const BUCKET_PARTS = [BUCKET, BUCKET, BUCKET, '*', 'imag?s', 'images*', 'ima*es', 'other', 'images-2'];
/** A key pattern made from a key: each code point kept, turned into `?`, swallowed by a `*`, or dropped. */
export const derivedPattern = (seed: string) =>
  fc.array(fc.constantFrom('keep', 'keep', 'keep', 'keep', 'one', 'any', 'drop'), { minLength: Array.from(seed).length, maxLength: Array.from(seed).length }).map((ops) =>
    Array.from(seed)
      .map((c, i) => (ops[i] === 'keep' ? c : ops[i] === 'one' ? '?' : ops[i] === 'any' ? '*' : ''))
      .join('')
      .replace(/\*+/g, '*'),
  );
/** Resource patterns: some made from the keys under test (so wildcards meet line breaks and astral characters), some from pieces. */
export const resource = (seeds: readonly string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ARN_PREFIXES), fc.constantFrom(...BUCKET_PARTS), fc.constantFrom(...seeds).chain(derivedPattern)).map(([a, b, k]) => `${a}${b}/${k}`) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ARN_PREFIXES), fc.constantFrom(...BUCKET_PARTS), keyPattern).map(([a, b, k]) => `${a}${b}/${k}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ARN_PREFIXES), fc.constantFrom(...BUCKET_PARTS)).map(([a, b]) => `${a}${b}`) },
    { weight: 1, arbitrary: fc.constantFrom('*', 'arn:aws:s3:*', 'arn:*', 'arn:aws:s3:::*', 'arn:aws:ec2:*', 'arn:aws:s3:::*/rhel*', 'arn:aws:s3:::*/*') },
  );
/** Actions: two in three cover a read action (s3:GetObject or s3:GetObjectVersion), in every spelling (case, wildcards). */
export const action = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(GET, 's3:getobject', 'S3:GetObject', 's3:Get*', 's3:*', '*', 's3:?etObject', 's3:*Object', 's3:G*t*', 's3:GetObject*') },
  { weight: 1, arbitrary: fc.constantFrom('s3:GetObjectVersion', 's3:getobjectversion', 's3:GetObjectV*', 's3:*Version') },
  { weight: 1, arbitrary: fc.constantFrom('s3:GetObject?', 's3:PutObject', 's3:List*', 's3:ListBucket', 's3:GetObjectAcl', 'ec2:*', 's3:Delete*', 's3:GetObjectVersionAcl') },
);
/** Principals: everyone in every documented spelling, and the forms whose reach is narrower or undocumented. */
export const EVERYONE: unknown[] = ['*', { AWS: '*' }, { AWS: ['arn:aws:iam::222222222222:root', '*'] }];
export const OTHERS: unknown[] = [
  { AWS: '222222222222' },
  { AWS: 'arn:aws:iam::222222222222:user/ci' },
  { AWS: ['arn:aws:iam::222222222222:root', 'arn:aws:iam::333333333333:root'] },
  { AWS: 'arn:aws:iam::*:root' },
  { AWS: ['arn:aws:iam::2222222222?2:root'] },
  { CanonicalUser: '*' },
  { CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' },
  { Federated: 'accounts.google.com' },
  { Service: 'cloudfront.amazonaws.com' },
  { Service: '*' },
];
export const principal = fc.oneof(fc.constantFrom(...EVERYONE), fc.constantFrom(...OTHERS));
/** Conditions with a documented outcome when their key is missing (the simulator's empty context). */
export const CONDITIONS: Record<string, Record<string, string>>[] = [
  { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
  { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
  { StringEquals: { 'aws:Referer': 'https://ci.example/' } },
  { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } },
  { StringLike: { 'aws:Referer': 'https://ci.example/*' } },
  { StringNotLike: { 'aws:Referer': 'https://ci.example/*' } },
  { Null: { 'aws:SourceVpce': 'true' } },
  { Null: { 'aws:SourceVpce': 'false' } },
  { Bool: { 'aws:SecureTransport': 'false' } },
  { StringEqualsIfExists: { 'aws:Referer': 'x' } },
  { 'ForAllValues:StringEquals': { 'aws:CalledVia': 'x' } },
  { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'x' } },
  { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' }, Null: { 'aws:SourceVpce': 'false' } },
];
/**
 * Conditions of every kind for the restricted-access property (not asked of the simulator): the
 * documented ones above, lists of values, numbers and booleans as JSON writes them, keys and
 * operators no list here knows, and conditions on the keys a plain request always carries (its
 * address, HTTPS, the time, its principal type). Address ranges hold 198.51.100.7 or 2001:db8::7 (the
 * reference's internet addresses) only where they hold a whole address family.
 */
export const WIDE_CONDITIONS: Record<string, Record<string, string | string[]>>[] = [
  ...CONDITIONS,
  { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } },
  { StringEquals: { 'aws:SourceVpce': 'vpce-1a2b' } },
  { StringEquals: { 'aws:SourceVpc': 'vpc-1' }, IpAddress: { 'aws:VpcSourceIp': '10.0.0.0/8' } },
  { StringLike: { 'aws:Referer': ['https://a.example/*', 'https://b.example/*'] } },
  { StringEquals: { 's3:ExistingObjectTag/mirror': 'yes' } },
  { StringEquals: { 'example:UnknownKey': 'x' } },
  { NotAnOperator: { 'aws:SourceIp': '10.0.0.0/8' } },
  { SomethingNotDocumented: { 'aws:Referer': 'x' } },
  { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': 'x' } },
  { Null: { 'aws:Referer': ['false', 'true'] } },
  { NumericLessThan: { 's3:max-keys': '10' } },
  { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } },
  { IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } },
  // Keys every request carries, with values a stranger picks or cannot avoid.
  { Bool: { 'aws:SecureTransport': 'true' } },
  { Bool: { 'AWS:SecureTransport': 'true' } },
  { NumericGreaterThanEquals: { 's3:TlsVersion': '1.2' } },
  { NumericLessThan: { 's3:TlsVersion': '1.2' } },
  { Null: { 's3:TlsVersion': 'false' } },
  { IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } },
  { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } },
  { IpAddress: { 'aws:SourceIp': ['0.0.0.0/1', '128.0.0.0/1'] } },
  { IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } },
  { NotIpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } },
  { NotIpAddress: { 'aws:SourceIp': '::/0' } },
  { DateLessThan: { 'aws:CurrentTime': '2100-01-01T00:00:00Z' } },
  { NumericGreaterThan: { 'aws:EpochTime': '0' } },
  { Null: { 'aws:SourceIp': 'false' } },
  { Null: { 'aws:SourceIp': 'true' } },
  { StringEquals: { 'aws:PrincipalType': 'Anonymous' } },
  { 'ForAnyValue:StringEquals': { 'aws:SecureTransport': 'true' } },
  { StringEquals: { 'aws:SourceVpce': 'vpce-1' }, IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } },
  // Headers the requester sets: restricted (the README warns), as a plain request sends none.
  { StringEquals: { 'aws:UserAgent': 'secret-agent/1' } },
  { StringNotLike: { 'aws:UserAgent': 'secret-agent/*' } },
  // Spellings AWS does not document, and Null values other than true and false.
  { null: { 'aws:Referer': 'true' } },
  { stringnotequals: { 'aws:SourceVpce': 'vpce-1' } },
  { stringequalsifexists: { 'aws:Referer': 'x' } },
  { 'forallvalues:StringEquals': { 'aws:CalledVia': 'x' } },
  { Null: { 'aws:Referer': 'True' } },
];
export const oneOrMany = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.array(a, { minLength: 1, maxLength: 3 }));

export const statement = (seeds: readonly string[], conditions: readonly NonNullable<RawStatement['Condition']>[] = CONDITIONS): fc.Arbitrary<RawStatement> =>
  fc
    .record({
      effect: fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Allow', 'Deny'),
      // NotPrincipal in one statement of four: AWS advises against it, and it is where bugs hide.
      notPrincipal: fc.constantFrom(false, false, false, true),
      principal,
      notAction: fc.constantFrom(false, false, true),
      actions: oneOrMany(action),
      notResource: fc.constantFrom(false, false, true),
      resources: oneOrMany(resource(seeds)),
      condition: fc.option(fc.constantFrom(...conditions), { freq: 4 }),
      sid: fc.option(fc.constantFrom('A', 'PublicRead', 'DenyRhel'), { freq: 2 }),
    })
    .map((r) => {
      const s: RawStatement = { Effect: r.effect };
      if (r.sid !== null) s.Sid = r.sid;
      if (r.notPrincipal) s.NotPrincipal = r.principal;
      else s.Principal = r.principal;
      if (r.notAction) s.NotAction = r.actions;
      else s.Action = r.actions;
      if (r.notResource) s.NotResource = r.resources;
      else s.Resource = r.resources;
      if (r.condition !== null) s.Condition = r.condition;
      return s;
    });

export const policyFor = (seeds: readonly string[], statements = fc.array(statement(seeds), { minLength: 1, maxLength: 4 })): fc.Arbitrary<RawPolicy> =>
  fc
    .record({
      version: fc.constantFrom<string | undefined>('2012-10-17', '2012-10-17', '2012-10-17', '2008-10-17', undefined),
      statements,
      single: fc.boolean(),
    })
    .map(({ version, statements: list, single }) => {
      const p: RawPolicy = { Statement: single && list.length === 1 ? list[0]! : list };
      if (version !== undefined) p.Version = version;
      return p;
    });

/** Keys, and a policy whose patterns were partly made from them. */
export const policyAndKeys = fc.array(key, { minLength: 1, maxLength: 3 }).chain((keys) => fc.tuple(policyFor(keys), fc.constant(keys)));
