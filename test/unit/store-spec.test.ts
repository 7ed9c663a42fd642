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

  test('a URL with credentials never echoes the password', () => {
    expect(() => parseStoreSpec('https://AKIAEXAMPLE:sekrit@host/b', defaults)).toThrow(/^(?!.*sekrit)/s);
  });
});
