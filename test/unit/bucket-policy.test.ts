import { anonymousReadAllowed, parseBucketPolicy, policyExposures, strangerReadAccess, strangerReadAllowed } from '../../src/acl/bucket-policy';
import { ConfigurationError } from '../../src/config/configuration-error';

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

describe('keys of every kind: `*` and `?` match code points, line breaks and NUL included', () => {
  const everyone = policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*' });
  test.each(['rhel-9\n.qcow2', 'rhel\r9', 'rhel\u20289', 'rhel\u20299', 'rhel\u00009', 'rhel\u007f\u0085', '😀/../x', './rhel', '//'])('%p is readable under "everyone reads images/*"', (key) => {
    expect(read(everyone, key)).toBe(true);
  });

  test('`?` is one code point: an astral character is one, half a surrogate pair is not', () => {
    const one = policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/rhel-?.qcow2' });
    expect(read(one, 'rhel-😀.qcow2')).toBe(true);
    expect(read(one, 'rhel-\n.qcow2')).toBe(true);
    expect(read(one, 'rhel-ab.qcow2')).toBe(false);
  });

  test('a Deny for rhel* covers a key with a line break, so it protects it', () => {
    const p = policy(
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*' },
      { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/rhel*' },
    );
    expect(read(p, 'rhel\n9')).toBe(false);
    expect(read(p, 'fedora\n42')).toBe(true);
  });
});

describe('NotPrincipal: everyone except those listed', () => {
  const allowAll = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*' };
  test('a Deny with NotPrincipal "*" denies nobody, so the Allow stands', () => {
    expect(read(policy(allowAll, { Effect: 'Deny', NotPrincipal: { AWS: '*' }, Action: 's3:*', Resource: '*' }), 'rhel-9')).toBe(true);
    expect(read(policy(allowAll, { Effect: 'Deny', NotPrincipal: '*', Action: 's3:*', Resource: '*' }), 'rhel-9')).toBe(true);
  });

  test('a Deny with NotPrincipal naming accounts denies every stranger', () => {
    const deny = { Effect: 'Deny', NotPrincipal: { AWS: ['arn:aws:iam::111122223333:root', '444455556666'] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/rhel*' };
    expect(read(policy(allowAll, deny), 'rhel-9')).toBe(false);
    expect(read(policy(allowAll, deny), 'fedora')).toBe(true);
  });

  test('an Allow with NotPrincipal "*" allows nobody; naming accounts, it allows everyone else', () => {
    expect(read(policy({ ...allowAll, Principal: undefined, NotPrincipal: { AWS: '*' } }), 'x')).toBe(false);
    expect(read(policy({ ...allowAll, Principal: undefined, NotPrincipal: { AWS: '444455556666' } }), 'x')).toBe(true);
  });

  test('fails closed where the reach is not documented: NotPrincipal CanonicalUser "*" in a Deny does not protect', () => {
    expect(read(policy(allowAll, { Effect: 'Deny', NotPrincipal: { CanonicalUser: '*' }, Action: 's3:GetObject', Resource: '*' }), 'x')).toBe(true);
  });
});

describe('principal forms', () => {
  const grant = (principal: unknown) => policy({ Effect: 'Allow', Principal: principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*' });
  test.each([
    ['"*"', '*', true],
    ['{"AWS": "*"}', { AWS: '*' }, true],
    ['{"AWS": [arn, "*"]}', { AWS: ['arn:aws:iam::111122223333:root', '*'] }, true],
    ['{"CanonicalUser": "*"} (undocumented: counted as everyone)', { CanonicalUser: '*' }, true],
    ['{"AWS": account}', { AWS: '111122223333' }, false],
    ['{"AWS": "arn:aws:iam::*:root"} (account holders, not anonymous)', { AWS: 'arn:aws:iam::*:root' }, false],
    ['{"Federated": ...}', { Federated: 'accounts.google.com' }, false],
    ['{"Service": ...}', { Service: 'cloudfront.amazonaws.com' }, false],
  ])('%s: anonymous read %p', (_, principal, expected) => {
    expect(read(grant(principal), 'x')).toBe(expected);
  });
});

describe('actions, conditions, resources and versions', () => {
  test.each([
    ['s3:GetObject', true],
    ['S3:getobject', true],
    ['s3:Get*', true],
    ['s3:?etObject', true],
    ['*', true],
    ['s3:*Object', true],
    ['s3:GetObjectAcl', false],
    ['s3:List*', false],
  ])('Action %p covers s3:GetObject: %p', (action, expected) => {
    expect(read(policy({ Effect: 'Allow', Principal: '*', Action: action, Resource: '*' }), 'x')).toBe(expected);
  });

  test('the ARN prefix in other case: counts for an Allow, does not protect as a Deny', () => {
    const upper = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'ARN:AWS:S3:::images/*' };
    expect(read(policy(upper), 'x')).toBe(true);
    expect(read(policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }, { ...upper, Effect: 'Deny' }), 'x')).toBe(true);
    // The key itself is case-sensitive, as AWS matches it.
    expect(read(policy({ ...upper, Resource: 'arn:aws:s3:::images/RHEL*' }), 'rhel')).toBe(false);
  });

  test('policy variables (Version 2012-10-17): match anything in an Allow, never protect in a Deny; ${*} is a literal star', () => {
    const v = (...statements: object[]) => parseBucketPolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));
    const home = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/${aws:username}/*' };
    expect(anonymousReadAllowed(v(home), 'images', 'rhel/9').readable).toBe(true);
    const all = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' };
    expect(anonymousReadAllowed(v(all, { ...home, Effect: 'Deny' }), 'images', 'rhel/9').readable).toBe(true);
    const star = { ...home, Resource: 'arn:aws:s3:::images/a${*}' };
    expect(anonymousReadAllowed(v(star), 'images', 'a*').readable).toBe(true);
    expect(anonymousReadAllowed(v(star), 'images', 'ab').readable).toBe(false);
    // Without Version 2012-10-17 there are no variables: the text is literal.
    const old = parseBucketPolicy(JSON.stringify({ Version: '2008-10-17', Statement: [home] }));
    expect(anonymousReadAllowed(old, 'images', 'rhel/9').readable).toBe(false);
    expect(anonymousReadAllowed(old, 'images', '${aws:username}/9').readable).toBe(true);
  });

  test('Statement may be one object, Resource and Action lists', () => {
    const p = parseBucketPolicy(JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: ['s3:PutObject', 's3:GetObject'], Resource: ['arn:aws:s3:::other/*', 'arn:aws:s3:::images/*'] } }));
    expect(anonymousReadAllowed(p, 'images', 'x').readable).toBe(true);
  });
});

describe('strict parsing: a document that is not a bucket policy is an error', () => {
  const ok = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' };
  const text = (doc: unknown) => JSON.stringify(doc);
  test.each([
    ['an Effect in other case', text({ Statement: [{ ...ok, Effect: 'allow' }] }), /Effect "allow"; allowed: Allow, Deny/],
    ['a document that is a list', text([ok]), /not a JSON object/],
    ['an unknown element', text({ Statement: [{ ...ok, Resources: '*' }] }), /statement 1 has an unknown element "Resources"/],
    ['an unknown top-level element', text({ Statement: [ok], Statment: [] }), /unknown element "Statment"/],
    ['an empty Statement list', text({ Statement: [] }), /empty Statement list/],
    ['a statement that is not an object', text({ Statement: ['x'] }), /statement 1 is not a JSON object/],
    ['both Principal and NotPrincipal', text({ Statement: [{ ...ok, NotPrincipal: { AWS: '1' } }] }), /exactly one of Principal and NotPrincipal/],
    ['no Principal', text({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }), /exactly one of Principal and NotPrincipal/],
    ['no Action', text({ Statement: [{ Effect: 'Allow', Principal: '*', Resource: '*' }] }), /exactly one of Action and NotAction/],
    ['both Resource and NotResource', text({ Statement: [{ ...ok, NotResource: '*' }] }), /exactly one of Resource and NotResource/],
    ['an empty Action list', text({ Statement: [{ ...ok, Action: [] }] }), /Action must be a non-empty string/],
    ['an action without a service', text({ Statement: [{ ...ok, Action: '*Object' }] }), /Action has "\*Object"; allowed/],
    ['a resource that is not an ARN', text({ Statement: [{ ...ok, Resource: 'images/*' }] }), /Resource has "images\/\*"; allowed/],
    ['a principal of an unknown type', text({ Statement: [{ ...ok, Principal: { User: '*' } }] }), /principal type "User"/],
    ['a principal that is a bare ARN', text({ Statement: [{ ...ok, Principal: 'arn:aws:iam::1:root' }] }), /Principal must be "\*" or an object/],
    ['a Condition that is not an object', text({ Statement: [{ ...ok, Condition: 'yes' }] }), /Condition must be an object/],
    ['an unknown Version', text({ Version: '2020-01-01', Statement: [ok] }), /Version/],
  ])('%s', (_, doc, message) => {
    expect(() => parseBucketPolicy(doc)).toThrow(message);
  });
});

describe('every read action counts: a GET with versionId needs s3:GetObjectVersion only', () => {
  const grant = (action: object) => policy({ Sid: 'Versions', Effect: 'Allow', Principal: '*', ...action, Resource: 'arn:aws:s3:::images/*' });

  test.each([
    [{ Action: 's3:GetObjectVersion' }],
    [{ Action: 's3:getobjectversion' }],
    [{ Action: 's3:GetObjectV*' }],
    [{ NotAction: 's3:GetObject' }],
  ])('%j to everyone is public, and a read exposure', (action) => {
    const p = grant(action);
    expect(read(p, 'rhel-9.qcow2')).toBe(true);
    expect(strangerReadAllowed(p, 'images', 'rhel-9.qcow2')).toMatchObject({ readable: true, who: 'everyone' });
    expect(strangerReadAccess(p, 'images', 'rhel-9.qcow2')).toMatchObject({ access: 'public', who: 'everyone' });
    expect(policyExposures(p, 'images').map((x) => x.access)).toContain('read');
  });

  test('a Deny of s3:GetObject alone leaves the version read open; a Deny of both closes it', () => {
    const allow = { Effect: 'Allow', Principal: '*', Action: 's3:Get*', Resource: 'arn:aws:s3:::images/*' };
    const deny = (Action: string | string[]) => ({ Effect: 'Deny', Principal: '*', Action, Resource: 'arn:aws:s3:::images/rhel*' });
    expect(strangerReadAccess(policy(allow, deny('s3:GetObject')), 'images', 'rhel-9').access).toBe('public');
    expect(strangerReadAccess(policy(allow, deny(['s3:GetObject', 's3:GetObjectVersion'])), 'images', 'rhel-9').access).toBe('private');
    expect(strangerReadAccess(policy(allow, deny('s3:GetObject*')), 'images', 'rhel-9').access).toBe('private');
  });

  test('a conditional version grant is restricted, with its condition named', () => {
    const p = policy({ Sid: 'Vpc', Effect: 'Allow', Principal: '*', Action: 's3:GetObjectVersion', Resource: 'arn:aws:s3:::images/*', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } });
    expect(strangerReadAccess(p, 'images', 'rhel-9')).toMatchObject({ access: 'restricted', condition: 'StringEquals aws:SourceVpce vpce-1 (statement "Vpc")' });
  });
});

describe('conditions on what every request carries: public when any stranger may meet them', () => {
  const access = (Condition: object, ...more: object[]) =>
    strangerReadAccess(policy({ Sid: 'Read', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*', Condition }, ...more), 'images', 'rhel-9').access;

  test.each([
    [{ Bool: { 'aws:SecureTransport': 'true' } }],
    [{ Bool: { 'aws:SecureTransport': true } }],
    [{ Bool: { 'AWS:SECURETRANSPORT': 'true' } }],
    [{ NumericGreaterThanEquals: { 's3:TlsVersion': '1.2' } }],
    [{ IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } }],
    [{ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }],
    [{ IpAddress: { 'aws:SourceIp': '::/0' } }],
    [{ IpAddress: { 'aws:SourceIp': ['0.0.0.0/1', '128.0.0.0/1'] } }],
    [{ IpAddressIfExists: { 'aws:SourceIp': ['128.0.0.0/1', '0.0.0.0/1'] } }],
    [{ IpAddress: { 'aws:SourceIp': 'not-an-address' } }],
    [{ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }],
    [{ DateGreaterThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' } }],
    [{ DateLessThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' } }],
    [{ NumericGreaterThan: { 'aws:EpochTime': 0 } }],
    [{ Null: { 'aws:SourceIp': 'false' } }],
    [{ StringEquals: { 'aws:PrincipalType': 'Anonymous' } }],
    [{ StringEquals: { 'aws:SourceIp': '203.0.113.7' } }],
    [{ 'ForAnyValue:StringEquals': { 'aws:SecureTransport': 'true' } }],
  ])('Allow under %j is public', (condition) => {
    expect(access(condition)).toBe('public');
  });

  test.each([
    [{ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }],
    [{ IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } }],
    [{ IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] }, StringEquals: { 'aws:SourceVpce': 'vpce-1' } }],
    [{ Null: { 'aws:SourceIp': 'true' } }],
    [{ StringLike: { 'aws:Referer': '*' } }],
    [{ StringEquals: { 'aws:UserAgent': 'secret-agent' } }],
  ])('Allow under %j is still restricted', (condition) => {
    expect(access(condition)).toBe('restricted');
  });

  test('a Deny whose condition no request meets, or a stranger can avoid, holds nobody back', () => {
    const deny = (Condition: object) => ({ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*', Condition });
    const open = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*' };
    const under = (Condition: object) => strangerReadAccess(policy(open, deny(Condition)), 'images', 'rhel-9').access;
    expect(under({ NotIpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } })).toBe('public');
    expect(under({ NotIpAddress: { 'aws:SourceIp': '0.0.0.0/0' } })).toBe('public');
    expect(under({ Bool: { 'aws:SecureTransport': 'false' } })).toBe('public');
    expect(under({ NumericLessThan: { 's3:TlsVersion': '1.2' } })).toBe('public');
    expect(under({ DateGreaterThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' } })).toBe('public');
    expect(under({ StringEquals: { 'aws:PrincipalType': 'Anonymous' } })).toBe('public');
    // What a stranger from the open internet cannot avoid still holds it back.
    expect(under({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })).toBe('restricted');
    expect(under({ IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } })).toBe('restricted');
    expect(under({ Null: { 'aws:SourceIp': 'false' } })).toBe('restricted');
    expect(under({ StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } })).toBe('restricted');
  });
});

describe('operator spellings: only the documented ones are read by their rules', () => {
  const access = (effect: 'Allow' | 'Deny', Condition: object) => {
    const statements: object[] = [{ Effect: effect, Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*', Condition }];
    if (effect === 'Deny') statements.push({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::images/*' });
    return strangerReadAccess(policy(...statements), 'images', 'rhel-9').access;
  };

  test.each([
    [{ null: { 'aws:Referer': 'true' } }],
    [{ NULL: { 'aws:Referer': 'true' } }],
    [{ Null: { 'aws:Referer': 'True' } }],
    [{ Null: { 'aws:Referer': 'yes' } }],
    [{ stringnotequals: { 'aws:SourceVpce': 'vpce-1' } }],
    [{ stringequalsifexists: { 'aws:Referer': 'x' } }],
    [{ 'forallvalues:StringEquals': { 'aws:CalledVia': 'x' } }],
    [{ 'ForAnyValue:Null': { 'aws:Referer': 'false' } }],
    [{ StringEqualsIfexists: { 'aws:Referer': 'x' } }],
    [{ NoSuchOperator: { 'no:key': ['a', 'b'] } }],
    [{ NotAnOperator: { 'aws:SourceVpce': 'x' } }],
  ])('an unrecognised spelling %j: an Allow is public, a Deny holds nobody back', (condition) => {
    expect(access('Allow', condition)).toBe('public');
    expect(access('Deny', condition)).toBe('public');
  });

  test('the documented spellings keep their rules', () => {
    expect(access('Allow', { Null: { 'aws:Referer': 'false' } })).toBe('restricted');
    expect(access('Allow', { Null: { 'aws:Referer': true } })).toBe('public');
    expect(access('Allow', { 'ForAnyValue:StringEquals': { 'aws:CalledVia': 'x' } })).toBe('restricted');
    expect(access('Deny', { StringNotEquals: { 'aws:SourceVpce': 'vpce-1' } })).toBe('restricted');
    expect(access('Deny', { StringNotEqualsIgnoreCase: { 'aws:SourceVpce': 'vpce-1' } })).toBe('restricted');
  });
});

describe('a key given twice in one object: a provider may read either, so the policy is refused', () => {
  const statement = '{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::images/public/*"';
  test.each([
    [`{"Version":"2012-10-17","Statement":[${statement},"Resource":"arn:aws:s3:::images/*"}]}`, 'Resource'],
    [`{"Version":"2012-10-17","Statement":[${statement},"Effect":"Deny"}]}`, 'Effect'],
    [`{"Version":"2012-10-17","Statement":[${statement},"Res\\u006furce":"arn:aws:s3:::images/*"}]}`, 'Resource'],
    [`{"Statement":[${statement}}],"Statement":[${statement}}]}`, 'Statement'],
    [`{"Statement":[${statement},"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8","aws:SourceIp":"0.0.0.0/0"}}}]}`, 'aws:SourceIp'],
  ])('%s', (text, key) => {
    expect(() => parseBucketPolicy(text)).toThrow(ConfigurationError);
    expect(() => parseBucketPolicy(text)).toThrow(`the bucket policy has the key "${key}" twice in one object; each key may appear once`);
  });

  test('the same key in different objects, and a key-like string as a value, are fine', () => {
    const text = `{"Version":"2012-10-17","Statement":[${statement}},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::images/rhel*","Condition":{"StringEquals":{"aws:Referer":"\\"Resource\\":"}}}]}`;
    expect(parseBucketPolicy(text).statements).toHaveLength(2);
  });
});
