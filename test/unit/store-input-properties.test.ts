/**
 * Properties of every parser that takes a store, an endpoint or a proxy address (issue 10, items
 * 3, 8 and 11), over generated input:
 *
 * - credentials written into a URL never reach a message, in any form, whatever the secret holds
 *   ('/', '@', ':', '%', '#', '?', white space, line breaks, Unicode), and the same URL without
 *   them still parses;
 * - any string at all given as a store line fails, if it fails, as a ConfigurationError;
 * - whatever prefix the parser accepts is exactly what was written, decoded once, and has no
 *   empty, '.' or '..' segment.
 *
 * The oracles here are written from the URL forms the README documents and share no code with
 * the parser.
 */
import fc from 'fast-check';
import { parseProxyUrl } from '../../src/actions/upload-logs/inputs';
import { ConfigurationError } from '../../src/config/configuration-error';
import { readStoreInput, readStoreInputs } from '../../src/runtime/store-inputs';
import { parseStoreSpec, type S3StoreSpec, type StoreSpecDefaults } from '../../src/storage/store-spec';
import { checkProperty } from '../helpers/property';
import { quietHost } from '../helpers/quiet-host';

const host = (inputs: Record<string, string>) => quietHost(inputs);
const defaults: StoreSpecDefaults = { credentials: { type: 'default' }, visibility: 'auto', region: 'us-east-1', cwd: '/srv/ws' };


/** The error `fn` throws (undefined when it returns), with every message along its cause chain. */
function thrown(fn: () => unknown): { error: unknown; text: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    const texts: string[] = [];
    for (let c: unknown = e; c instanceof Error; c = c.cause) texts.push(c.message);
    return { error: e, text: texts.join('\n') };
  }
}

// ---------------------------------------------------------------- userinfo

/** A mark no message could hold by chance, somewhere inside every generated secret. */
const MARK = 'Qx7kSeCr3t';
const SECRET_CHARS = ['a', 'Z', '0', '9', '/', '@', ':', '%', '%2F', '%40', '#', '?', ' ', '+', '=', '"', '\\', '\n', '\t', '.', '-', '~', '&', ';', ',', 'é', '名', '😀', '\u2028'];
const noise = fc.array(fc.constantFrom(...SECRET_CHARS), { maxLength: 10 }).map((a) => a.join(''));
const secretArb = fc.tuple(noise, noise).map(([a, b]) => `${a}${MARK}${b}`);
const accessKeyArb = fc.stringMatching(/^AKIA[A-Z2-7]{16}$/);

/** The forms a leak could take. */
function forms(user: string, secret: string): string[] {
  return [MARK, secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), `${user}:${secret}`, user];
}

const GENERIC_HOSTS = ['127.0.0.1:7480', 's3.example.com', 's3.openshift-storage.svc', '[::1]:9000'];
const bucketArb = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/);
const cleanSegment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/).filter((s) => s !== '.' && s !== '..'), fc.constantFrom('a%20b', '%C3%A9t%C3%A9', 'x%2By', 'caf%C3%A9'));
const prefixArb = fc.array(cleanSegment, { maxLength: 3 });

/** A store URL the README allows, what it must parse to, and where its authority starts. */
const validStoreArb = fc.oneof(
  fc.record({ scheme: fc.constantFrom('http', 'https'), host: fc.constantFrom(...GENERIC_HOSTS), bucket: bucketArb, prefix: prefixArb }).map((r) => ({
    scheme: r.scheme,
    rest: `${r.host}/${r.bucket}${r.prefix.map((p) => `/${p}`).join('')}/`,
    bucket: r.bucket,
    prefix: r.prefix,
  })),
  fc.record({ bucket: bucketArb, region: fc.constantFrom('us-east-1', 'eu-west-1'), prefix: prefixArb }).map((r) => ({
    scheme: 'https',
    rest: `${r.bucket}.s3.${r.region}.amazonaws.com/${r.prefix.join('/')}`,
    bucket: r.bucket,
    prefix: r.prefix,
  })),
  fc.record({ bucket: bucketArb, prefix: prefixArb }).map((r) => ({ scheme: 's3', rest: `${r.bucket}/${r.prefix.join('/')}`, bucket: r.bucket, prefix: r.prefix })),
);

/** How userinfo is put in front of the authority: with and without slashes (the URL parser accepts both for http(s)). */
const shapeArb = fc.constantFrom('//', '/', '', '///');
const userinfoArb = fc.tuple(accessKeyArb, secretArb, fc.constantFrom('user:secret', 'secret', 'user')).map(([user, secret, which]) => ({
  user,
  secret,
  text: which === 'user:secret' ? `${user}:${secret}` : which === 'secret' ? secret : user,
}));

test('credentials in a store, endpoint or proxy URL never reach a message; the URL without them parses', async () => {
  let refused = 0;
  await checkProperty(
    'userinfo never printed',
    fc.property(validStoreArb, userinfoArb, shapeArb, fc.constantFrom('', ' credentials=env:OLD', ' name=old visibility=acl'), (store, info, shape, options) => {
      const expectedPrefix = store.prefix.length === 0 ? '' : `${store.prefix.map((p) => decodeURIComponent(p)).join('/')}/`;
      // Valid without userinfo: as a store, an endpoint and a proxy address.
      const plain = `${store.scheme}://${store.rest}`;
      const spec = parseStoreSpec(`${plain}${options}`, defaults) as S3StoreSpec;
      expect([spec.bucket, spec.prefix]).toEqual([store.bucket, expectedPrefix]);
      const authority = store.rest.split('/')[0]!;
      if (store.scheme !== 's3') {
        expect(parseStoreSpec(`s3://${store.bucket} endpoint=${store.scheme}://${authority}`, defaults)).toMatchObject({ bucket: store.bucket });
        expect(parseProxyUrl(plain)).toBe(plain.replace(/\/+$/, ''));
      }

      // With userinfo: refused everywhere, and nothing of it in any message.
      const url = `${store.scheme}:${shape}${info.text}@${store.rest}`;
      const endpoint = `${store.scheme}:${shape}${info.text}@${authority}`;
      const attempts: [string, () => unknown][] = [
        ['store line', () => parseStoreSpec(`${url}${options}`, defaults)],
        ['endpoint=', () => parseStoreSpec(`s3://${store.bucket}/p endpoint=${endpoint}${options}`, defaults)],
        ['stores input', () => readStoreInputs(host({ stores: `http://127.0.0.1:7480/ok-bucket credentials=env:A\n${url}${options}` }))],
        ['source input', () => readStoreInput(host({ source: `${url}${options}` }), 'source')],
        ['proxy-url', () => parseProxyUrl(url)],
        ['proxy-url of an endpoint', () => parseProxyUrl(endpoint)],
      ];
      for (const [where, attempt] of attempts) {
        const t = thrown(attempt);
        expect([where, t?.error instanceof ConfigurationError]).toEqual([where, true]);
        for (const form of forms(info.user, info.secret)) {
          if (form.length > 0 && t!.text.includes(form)) throw new Error(`${where}: the message holds ${JSON.stringify(form)}: ${t!.text}`);
        }
        refused++;
      }
    }),
    400,
  );
  expect(refused).toBeGreaterThanOrEqual(400 * 6);
});

// ---------------------------------------------------------------- only ConfigurationError

const URLISH = ['http://', 'https://', 's3://', 'file://', 'file:///', 'S3://', 'HTTP:/', 'ftp://', 'http:', '', ' '];
const PIECES = ['%', '%2', '%2F', '%2f', '%2e', '%2E', '%25', '%ff', '%C3', '%C3%A9', '%00', '.', '..', '/', '//', '\\', '@', ':', '?', '#', '[', ']', ' ', '\t', '\n', 'a', 'bucket', 'h', '127.0.0.1', ':7480', 'é', '😀', '\uD800', '\u0000', '\u0001', '=', 'name=', 'endpoint=', 'region=', 'credentials=', 'visibility=', 'env:', 'key-dir:'];
const urlishArb = fc
  .tuple(fc.constantFrom(...URLISH), fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }))
  .map(([scheme, pieces]) => scheme + pieces.join(''));
const anyLineArb = fc.oneof(urlishArb, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }));

test('any string as a store line, an endpoint or a proxy address fails only as a ConfigurationError', async () => {
  const outcomes = { accepted: 0, refused: 0 };
  await checkProperty(
    'store text fails only as ConfigurationError',
    fc.property(anyLineArb, fc.array(anyLineArb, { maxLength: 3 }), (line, more) => {
      const attempts: (() => unknown)[] = [
        () => parseStoreSpec(line, defaults),
        () => parseStoreSpec(`s3://bucket endpoint=${line.replace(/\s/g, '')}`, defaults),
        () => readStoreInputs(host({ stores: [line, ...more].join('\n') })),
        () => parseProxyUrl(line.trim()),
      ];
      for (const attempt of attempts) {
        const t = thrown(attempt);
        if (t === undefined) outcomes.accepted++;
        else {
          if (!(t.error instanceof ConfigurationError)) throw new Error(`${JSON.stringify(line)} threw ${String(t.error)}`);
          outcomes.refused++;
        }
      }
    }),
    1500,
  );
  // The generator reaches both outcomes: a property that only ever refuses proves little.
  expect(outcomes.accepted).toBeGreaterThan(50);
  expect(outcomes.refused).toBeGreaterThan(50);
});

// ---------------------------------------------------------------- prefixes

const PREFIX_PIECES = ['a', 'b', 'é', '%C3%A9', '.', '..', '%2e', '%2E', '%2e%2E', '.%2e', '%2F', '%2f', '%252F', '%252e', '%25', '/', '//', 'x%20y', '~', '-'];
const writtenPrefixArb = fc.array(fc.constantFrom(...PREFIX_PIECES), { maxLength: 8 }).map((a) => a.join(''));
const STORES = ['http://127.0.0.1:7480/bucket/', 's3://bucket/', 'https://bucket.s3.us-east-1.amazonaws.com/', 'https://bucket.us-east-1.linodeobjects.com/'];

/**
 * The oracle: the prefix a user wrote, decoded once as a whole (RFC 3986: %2F is '/'), with one
 * trailing '/' dropped. `undefined` when it does not decode, or has an empty, '.' or '..' segment.
 */
function oracle(written: string): string | undefined {
  let text: string;
  try {
    text = decodeURIComponent(written.endsWith('/') ? written.slice(0, -1) : written);
  } catch {
    return undefined;
  }
  if (written === '') return '';
  if (text.split('/').some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return `${text}/`;
}

test('an accepted prefix is what was written, decoded once, with no empty, "." or ".." segment', async () => {
  const outcomes = { accepted: 0, refused: 0 };
  await checkProperty(
    'prefixes as written',
    fc.property(fc.constantFrom(...STORES), writtenPrefixArb, (store, written) => {
      const t = thrown(() => parseStoreSpec(`${store}${written}`, defaults));
      const want = oracle(written);
      if (t !== undefined) {
        expect(t.error).toBeInstanceOf(ConfigurationError);
        // Production may be stricter than the oracle, never laxer: here it must be exactly as strict.
        expect([written, want]).toEqual([written, undefined]);
        outcomes.refused++;
        return;
      }
      const spec = parseStoreSpec(`${store}${written}`, defaults) as S3StoreSpec;
      expect([written, spec.prefix]).toEqual([written, want]);
      if (spec.prefix !== '') {
        expect(spec.prefix.endsWith('/')).toBe(true);
        expect(spec.prefix.slice(0, -1).split('/').filter((s) => s === '' || s === '.' || s === '..')).toEqual([]);
      }
      outcomes.accepted++;
    }),
    800,
  );
  expect(outcomes.accepted).toBeGreaterThan(50);
  expect(outcomes.refused).toBeGreaterThan(50);
});
