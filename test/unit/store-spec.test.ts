import { ConfigurationError } from '../../src/config/configuration-error';
import { parseStoreSpec, type S3StoreSpec, type StoreSpecDefaults } from '../../src/storage/store-spec';

const defaults: StoreSpecDefaults = { credentials: { type: 'default' }, visibility: 'auto', region: 'us-east-1', cwd: '/srv/ws' };
const s3 = (line: string, d: Partial<StoreSpecDefaults> = {}) => parseStoreSpec(line, { ...defaults, ...d }) as S3StoreSpec;

describe('store URLs', () => {
  test('AWS virtual-hosted with the region in the host', () => {
    const s = s3('https://cockpit-images.s3.eu-central-1.amazonaws.com/images/');
    expect(s).toMatchObject({ kind: 's3', provider: 'aws', bucket: 'cockpit-images', region: 'eu-central-1', prefix: 'images/', endpoint: undefined, visibility: 'detect' });
  });

  test('AWS legacy dash form and the global host', () => {
    expect(s3('https://bk1.s3-us-west-2.amazonaws.com/')).toMatchObject({ bucket: 'bk1', region: 'us-west-2', prefix: '' });
    expect(s3('https://bk1.s3.amazonaws.com/x/y')).toMatchObject({ bucket: 'bk1', region: 'us-east-1', prefix: 'x/y/' });
  });

  test('AWS path-style', () => {
    expect(s3('https://s3.ap-south-1.amazonaws.com/my.bucket/p')).toMatchObject({ provider: 'aws', bucket: 'my.bucket', region: 'ap-south-1', prefix: 'p/' });
  });

  test('Linode: bucket and region from the host, ACL mode, path-style endpoint', () => {
    const s = s3('https://cockpit-images.us-east-1.linodeobjects.com/');
    expect(s).toMatchObject({ provider: 'linode', bucket: 'cockpit-images', region: 'us-east-1', endpoint: 'https://us-east-1.linodeobjects.com', visibility: 'acl', credentialHost: 'cockpit-images.us-east-1.linodeobjects.com' });
  });

  test('DigitalOcean Spaces', () => {
    expect(s3('https://logs.nyc3.digitaloceanspaces.com/ci/')).toMatchObject({ provider: 'digitalocean', bucket: 'logs', region: 'nyc3', prefix: 'ci/', endpoint: 'https://nyc3.digitaloceanspaces.com' });
  });

  test('any other endpoint is path-style, region from the option or the default', () => {
    expect(s3('http://127.0.0.1:7480/images/fedora region=local-1')).toMatchObject({ provider: 'generic', endpoint: 'http://127.0.0.1:7480', bucket: 'images', prefix: 'fedora/', region: 'local-1', credentialHost: '127.0.0.1' });
    expect(s3('https://s3.openshift-storage.svc/quay')).toMatchObject({ provider: 'generic', bucket: 'quay', region: 'us-east-1' });
  });

  test('s3:// with and without an endpoint', () => {
    expect(s3('s3://bucket-a/x region=eu-west-1')).toMatchObject({ provider: 'aws', bucket: 'bucket-a', prefix: 'x/', region: 'eu-west-1', endpoint: undefined });
    expect(s3('s3://bucket-a endpoint=https://us-east-1.linodeobjects.com')).toMatchObject({ provider: 'linode', endpoint: 'https://us-east-1.linodeobjects.com', region: 'us-east-1' });
    expect(s3('s3://bucket-a endpoint=http://127.0.0.1:7481')).toMatchObject({ provider: 'generic', endpoint: 'http://127.0.0.1:7481' });
  });

  test('percent-encoded prefixes are decoded', () => {
    expect(s3('http://h:1/bkt/a%20b/c').prefix).toBe('a b/c/');
  });

  test('file:// folders, absolute and relative', () => {
    expect(parseStoreSpec('file:///srv/images', defaults)).toMatchObject({ kind: 'file', root: '/srv/images' });
    expect(parseStoreSpec('file://out/images', defaults)).toMatchObject({ kind: 'file', root: '/srv/ws/out/images' });
  });

  test('options: credentials, visibility, name', () => {
    const s = s3('https://bkt.us-east-1.linodeobjects.com/ credentials=env:LINODE visibility=policy name=old');
    expect(s).toMatchObject({ credentials: { type: 'env', name: 'LINODE' }, visibility: 'policy', name: 'old' });
    expect(s3('s3://bkt credentials=key-dir:keys', { cwd: '/w' }).credentials).toEqual({ type: 'key-dir', dir: '/w/keys' });
    expect(s3('s3://bkt', { visibility: 'policy' }).visibility).toBe('policy');
  });

  const bad: [string, RegExp][] = [
    ['ftp://host/bucket', /unsupported scheme "ftp:"; allowed: https:, http:, s3:, file:/],
    ['not a url', /"not" is not a store URL; allowed:/],
    ['http://127.0.0.1:7480/', /names no bucket/],
    ['http://127.0.0.1:7480/Bad_Bucket', /"Bad_Bucket" is not a valid bucket name/],
    ['https://user:pw@host/b', /must not carry credentials/],
    ['http://h/b?x=1', /takes no query/],
    ['s3://bkt colour=blue', /unknown store option "colour=blue"; allowed: endpoint=, region=/],
    ['s3://bkt visibility=public', /visibility "public" is not allowed; allowed: acl, policy, detect/],
    ['s3://bkt credentials=vault:x', /credentials "vault:x" is not allowed; allowed: default, env:NAME, key-dir:PATH/],
    ['s3://bkt credentials=env:A-B', /"A-B" is not an environment variable prefix/],
    ['s3://bkt endpoint=ftp://x', /endpoint "ftp:\/\/x" is not allowed/],
    ['s3://bkt region=Bad!', /region "Bad!" is not valid/],
    ['http://h/b/../c', /a prefix must not contain '\.' or '\.\.' segments/],
    // URL() resolves these before any check could see them: the text as written is checked.
    ['http://h/bucket/a/../b', /"http:\/\/h\/bucket\/a\/\.\.\/b": a prefix must not contain '\.' or '\.\.' segments/],
    ['http://h/bucket/%2e%2e/b', /a prefix must not contain '\.' or '\.\.' segments/],
    ['http://h/bucket/./b', /a prefix must not contain '\.' or '\.\.' segments/],
    ['s3://bkt/a/../b', /a prefix must not contain '\.' or '\.\.' segments/],
    // An encoded '/' separates segments as well once the prefix is a key.
    ['http://h/bucket/a%2F..%2Fb', /"http:\/\/h\/bucket\/a%2F\.\.%2Fb": a prefix must not contain '\.' or '\.\.' segments/],
    ['s3://bkt/a%2f.%2fb', /a prefix must not contain '\.' or '\.\.' segments/],
    ['http://h/bucket/a%2F%2e%2E', /a prefix must not contain '\.' or '\.\.' segments/],
    ['file://x region=a', /does not apply to a file:\/\/ store/],
    ['s3://bkt name=a name=b', /given twice/],
  ];
  test.each(bad)('%s is refused with a message naming it', (line, message) => {
    expect(() => parseStoreSpec(line, defaults)).toThrow(ConfigurationError);
    expect(() => parseStoreSpec(line, defaults)).toThrow(message);
  });

  // Issue 10, item 11: a '%' that starts no valid escape is the user's mistake, not a crash.
  const badEncoding: [string, RegExp][] = [
    ['file:///tmp/100%', /^"file:\/\/\/tmp\/100%": the folder path "\/tmp\/100%" is not valid percent-encoding; allowed: %XX sequences that spell UTF-8, and "%" itself written as %25$/],
    ['file://out/%ff', /the folder path "out\/%ff" is not valid percent-encoding/],
    ['http://h:1/bucket/100%', /^"http:\/\/h:1\/bucket\/100%": path segment "100%" is not valid percent-encoding/],
    ['http://h:1/bucket/%E0%A4%A', /path segment "%E0%A4%A" is not valid percent-encoding/],
    ['s3://bkt%zz/x', /^"s3:\/\/bkt%zz\/x": the bucket "bkt%zz" is not valid percent-encoding/],
    ['s3://%ff%fe%fd/x', /the bucket "%ff%fe%fd" is not valid percent-encoding/],
  ];
  test.each(badEncoding)('%s: bad percent-encoding is a ConfigurationError naming the store', (line, message) => {
    expect(() => parseStoreSpec(line, defaults)).toThrow(ConfigurationError);
    expect(() => parseStoreSpec(line, defaults)).toThrow(message);
  });

  test('file:// paths decode once; "%25" is a literal "%"; NUL is refused', () => {
    expect(parseStoreSpec('file:///tmp/100%25', defaults)).toMatchObject({ kind: 'file', root: '/tmp/100%' });
    expect(() => parseStoreSpec('file:///tmp/a%00b', defaults)).toThrow(/must not hold a NUL character/);
  });

  // Issue 10, item 3: a prefix is what was written; neither URL parsing nor decoding may turn it
  // into another place.
  const dotted: [string, RegExp][] = [
    ['http://h/bucket/a%2F..%2Fb', /^"http:\/\/h\/bucket\/a%2F\.\.%2Fb": a prefix must not contain '\.' or '\.\.' segments$/],
    ['http://h/bucket/a%2f..%2fb', /'\.\.' segments$/],
    ['http://h/bucket/%2E%2E/b', /'\.\.' segments$/],
    ['http://h/bucket/.%2e/b', /'\.\.' segments$/],
    ['http://h/bucket/%2E%2e', /'\.\.' segments$/],
    ['http://h/bucket/a%2F.%2Fb', /'\.\.' segments$/],
    ['http://h/bucket/x/%2e', /'\.\.' segments$/],
    ['s3://bkt/a%2F..%2Fb', /'\.\.' segments$/],
    ['https://bkt.s3.us-east-1.amazonaws.com/a%2F%2e%2e%2Fb', /'\.\.' segments$/],
    ['http://h/bucket/%2E%2E%2Fother', /'\.\.' segments$/],
    ['http://h/bucket/a//b', /must not contain an empty segment/],
    ['http://h/bucket/a%2F%2Fb', /must not contain an empty segment/],
    ['http://h/bucket/%2Fa', /must not contain an empty segment/],
    ['http://h/bucket/a%2F', /must not contain an empty segment/],
    ['http://h//bucket', /must not contain an empty segment/],
    // URL parsing reads '\' as '/' in http(s): bucket 'bucket' would silently become 'other'.
    ['http://h/bucket/..\\other/x', /^"http:\/\/h\/bucket\/\.\.\\\\other\/x": a store URL must not hold "\\"/],
    ['http://h\\bucket/x', /must not hold "\\"/],
    // The parser is lenient with slashes after the scheme; the text as written is not a store URL.
    ['http:/h/bucket/x', /a store URL starts with SCHEME:\/\/ and then a host or bucket/],
    ['http:///h/bucket/x', /a store URL starts with SCHEME:\/\//],
    ['http://h/b?', /takes no query/],
    ['http://h/b#', /takes no query/],
    // The parser drops a port from an s3:// host; a bucket has none.
    ['s3://bkt:99/x', /"bkt:99" is not a valid bucket name/],
  ];
  test.each(dotted)('%s is refused', (line, message) => {
    expect(() => parseStoreSpec(line, defaults)).toThrow(ConfigurationError);
    expect(() => parseStoreSpec(line, defaults)).toThrow(message);
  });

  test('encoded slashes that leave every segment a name are kept; %252F is the three characters %2F', () => {
    expect(s3('http://h/bucket/a%2Fb').prefix).toBe('a/b/');
    expect(s3('s3://bkt/a%252F..%252Fb').prefix).toBe('a%2F..%2Fb/');
    expect(s3('http://h/bucket/..a/b..').prefix).toBe('..a/b../');
    expect(s3('http://h/bucket/a%40b/').prefix).toBe('a@b/');
    expect(s3('s3://bkt/').prefix).toBe('');
  });

  // Issue 10, item 8: an AWS secret often holds '/', so such a URL does not parse, and the message
  // used to quote it whole.
  const withUserinfo: [string, string][] = [
    ['https://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY@bkt.s3.us-east-1.amazonaws.com/images/', '"https://***@bkt.s3.us-east-1.amazonaws.com/images/"'],
    ['https://AKIAIOSFODNN7EXAMPLE:12/K7MDENG@bkt.s3.us-east-1.amazonaws.com/', '"https://***@bkt.s3.us-east-1.amazonaws.com/"'],
    ['s3://akia:12/secretpart@bucket/p', '"s3://***@bucket/p"'],
    ['https://AKIAIOSFODNN7EXAMPLE:se cret@host/bucket credentials=env:X', '"https://***@host/bucket credentials=env:X"'],
    ['https://AKIAIOSFODNN7EXAMPLE:12 name=x@host/bucket', '"https://***@host/bucket"'],
    ['s3://bkt endpoint=https://AKIAIOSFODNN7EXAMPLE:wJalr/XUtn@us-east-1.linodeobjects.com', '"s3://***@us-east-1.linodeobjects.com"'],
    ['https:AKIAIOSFODNN7EXAMPLE:wJalr/XUtn@host/bucket', '"***@host/bucket"'],
    ['file://AKIAIOSFODNN7EXAMPLE:wJalr/XUtn@host/srv', '"file://***@host/srv"'],
    ['https://user@host/bucket', '"https://***@host/bucket"'],
  ];
  test.each(withUserinfo)('%s is refused, shown as %s', (line, shown) => {
    let message = '';
    try {
      parseStoreSpec(line, defaults);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigurationError);
      message = (e as Error).message;
    }
    expect(message.startsWith(`${shown}: a store line must not carry credentials`)).toBe(true);
    expect(message).toMatch(/credentials=env:NAME .* %40$/);
    for (const part of ['AKIAIOSFODNN7EXAMPLE', 'wJalr', 'K7MDENG', 'secretpart', 'se cret', 'user']) expect(message).not.toContain(part);
  });

  test('a URL with credentials never echoes the password', () => {
    expect(() => parseStoreSpec('https://AKIAEXAMPLE:sekrit@host/b', defaults)).toThrow(/^(?!.*sekrit)/s);
  });
});
