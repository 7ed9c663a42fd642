/**
 * The NO_PROXY matcher and the proxy variables (src/s3/proxy-env.ts).
 *
 * Property: generated NO_PROXY lists, built from entries described as data (kind, labels, port,
 * case, blanks), decide for generated hosts exactly as a reference that reads the description,
 * never the text, decides: an entry of labels L matches a host whose labels end with L (equal or
 * longer for `name`, strictly longer for `.name` and `*.name`), on its port when one is given;
 * `*` matches all; loopback is always direct. A second property holds the matcher to
 * `@actions/http-client`'s own (the GitHub API and the Actions cache use it) on the entries both read.
 */
import fc from 'fast-check';
import { checkBypass } from '@actions/http-client/lib/proxy';
import { bypassesProxy, proxyFor, proxyLabel, proxySecrets, proxySettings } from '../../src/s3/proxy-env';
import { openStore } from '../../src/storage/open-store';
import { parseStoreSpec } from '../../src/storage/store-spec';
import { ConfigurationError } from '../../src/config/configuration-error';
import { checkProperty } from '../helpers/property';

type Kind = 'name' | 'dot' | 'star-dot' | 'all';
interface Entry {
  readonly kind: Kind;
  readonly labels: readonly string[];
  readonly port?: number;
  readonly upper: readonly boolean[];
  readonly pad: string;
}

const LABELS = ['a', 'b', 'ab', 's3', 'test', 'x-1', 'eu'];
const PORTS = [80, 443, 7712];

const label = fc.constantFrom(...LABELS);
const hostArb = fc.record({ labels: fc.array(label, { minLength: 1, maxLength: 4 }), port: fc.constantFrom(...PORTS), trailingDot: fc.boolean(), upper: fc.boolean() });

function entryArb(hostLabels: readonly string[]): fc.Arbitrary<Entry> {
  // Half the entries are suffixes of the host, so that matches are common.
  const suffix = fc.integer({ min: 1, max: hostLabels.length }).map((n) => hostLabels.slice(hostLabels.length - n));
  return fc.record({
    kind: fc.constantFrom<Kind>('name', 'name', 'dot', 'star-dot', 'all'),
    labels: fc.oneof(suffix, fc.array(label, { minLength: 1, maxLength: 3 })),
    port: fc.option(fc.constantFrom(...PORTS), { nil: undefined }),
    upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    pad: fc.constantFrom('', ' ', '  ', '\t'),
  });
}

function render(e: Entry): string {
  if (e.kind === 'all') return `${e.pad}*${e.pad}`;
  const name = e.labels.map((l, i) => (e.upper[i % e.upper.length] ? l.toUpperCase() : l)).join('.');
  const prefix = e.kind === 'dot' ? '.' : e.kind === 'star-dot' ? '*.' : '';
  return `${e.pad}${prefix}${name}${e.port === undefined ? '' : `:${e.port}`}${e.pad}`;
}

/** The reference: reads the entries' description, not their text. */
function reference(entries: readonly Entry[], hostLabels: readonly string[], port: number): boolean {
  if (hostLabels.join('.') === 'localhost') return true;
  return entries.some((e) => {
    if (e.kind === 'all') return true;
    if (e.port !== undefined && e.port !== port) return false;
    const n = e.labels.length;
    if (hostLabels.length < n) return false;
    const tailMatches = hostLabels.slice(hostLabels.length - n).every((l, i) => l === e.labels[i]);
    return tailMatches && (e.kind === 'name' || hostLabels.length > n);
  });
}

describe('NO_PROXY', () => {
  test('generated lists decide as the reference does (host, .domain, *.domain, *, ports, case, blanks, empty entries)', async () => {
    const arb = hostArb.chain((h) => fc.tuple(fc.constant(h), fc.array(entryArb(h.labels), { maxLength: 5 }), fc.array(fc.constantFrom(',', ',,', ', ,'), { minLength: 5, maxLength: 5 })));
    await checkProperty(
      'NO_PROXY matcher against the reference',
      fc.property(arb, ([h, entries, seps]) => {
        const text = entries.map((e, i) => `${render(e)}${i < entries.length - 1 ? seps[i] : ''}`).join('');
        const hostname = `${h.labels.join('.')}${h.trailingDot ? '.' : ''}`;
        const asked = h.upper ? hostname.toUpperCase() : hostname;
        expect(bypassesProxy(text, asked, h.port)).toBe(reference(entries, h.labels, h.port));
      }),
      1000,
    );
  });

  test('agrees with @actions/http-client (used by the GitHub API and the Actions cache) on the entries it reads', async () => {
    // http-client reads `name`, `.name`, `*` and ports; it has no `*.name`, and no trailing dots.
    const arb = hostArb.chain((h) => fc.tuple(fc.constant(h), fc.array(entryArb(h.labels).filter((e) => e.kind !== 'star-dot'), { maxLength: 5 })));
    const saved = { no_proxy: process.env.no_proxy, NO_PROXY: process.env.NO_PROXY };
    try {
      await checkProperty(
        'NO_PROXY matcher against @actions/http-client',
        fc.property(arb, ([h, entries]) => {
          const text = entries.map(render).join(',');
          delete process.env.no_proxy;
          process.env.NO_PROXY = text;
          const host = h.labels.join('.');
          for (const scheme of ['http', 'https'] as const) {
            const port = scheme === 'https' ? 443 : 80;
            expect(bypassesProxy(text, host, port)).toBe(checkBypass(new URL(`${scheme}://${host}/`)));
            expect(bypassesProxy(text, host, h.port)).toBe(checkBypass(new URL(`${scheme}://${host}:${h.port}/`)));
          }
        }),
        500,
      );
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test.each([
    ['', 's3.test', 443, false],
    ['*', 'anything.example', 443, true],
    ['s3.test', 's3.test', 443, true],
    ['s3.test', 'bucket.s3.test', 443, true],
    ['s3.test', 'xs3.test', 443, false],
    ['.s3.test', 's3.test', 443, false],
    ['.s3.test', 'bucket.s3.test', 443, true],
    ['*.s3.test', 'bucket.s3.test', 443, true],
    ['s3.test:7712', 's3.test', 7712, true],
    ['s3.test:7712', 's3.test', 7713, false],
    ['10.0.0.7', '10.0.0.7', 443, true],
    ['10.0.0.7', '10.0.0.70', 443, false],
    ['[fd00::1]:443', '[fd00::1]', 443, true],
    ['fd00::1', 'fd00::1', 443, true],
    [' , example.com ,', 'EXAMPLE.com.', 443, true],
    ['', 'localhost', 443, true],
    ['', '127.0.0.1', 443, true],
    ['', '::1', 443, true],
  ])('%j for %s:%d: direct %s', (noProxy, host, port, direct) => {
    expect(bypassesProxy(noProxy, host, port)).toBe(direct);
  });
});

describe('the proxy variables', () => {
  test('lower case first, then upper case; https origins read HTTPS_PROXY, http ones HTTP_PROXY; no scheme means http://', () => {
    const s = proxySettings({ https_proxy: 'http://lower:3128', HTTPS_PROXY: 'http://upper:3128', HTTP_PROXY: 'plain:8080', NO_PROXY: '.internal' });
    expect(proxyFor(s, 'https:', 's3.test', 443)?.host).toBe('lower:3128');
    expect(proxyFor(s, 'http:', 's3.test', 80)?.href).toBe('http://plain:8080/');
    expect(proxyFor(s, 'https:', 'a.internal', 443)).toBeUndefined();
    expect(proxyFor(proxySettings({ HTTP_PROXY: 'http://p:1' }), 'https:', 's3.test', 443)).toBeUndefined();
    expect(proxyFor(proxySettings({ HTTPS_PROXY: '  ' }), 'https:', 's3.test', 443)).toBeUndefined();
  });

  test('a proxy is named by scheme, host and port only', () => {
    expect(proxyLabel(new URL('http://user:pa%24%24word@proxy.test:3128'))).toBe('http://proxy.test:3128');
  });

  test.each([
    ['socks5://user:s3cr3t-pw@proxy:1080', /HTTPS_PROXY: a proxy of scheme socks5: is not supported/],
    ['http://user:s3cr3t-pw@[bad', /HTTPS_PROXY is not a URL \(its value is not shown/],
  ])('%s is refused as configuration, without the password', (value, message) => {
    let caught: unknown;
    try {
      proxySettings({ HTTPS_PROXY: value });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain('s3cr3t-pw');
  });
});

describe('the proxy password is a secret', () => {
  test('proxySecrets gives it as written and decoded, from each variable; none without userinfo', () => {
    expect(proxySecrets({ HTTPS_PROXY: 'http://u:p%24ss@proxy:3128', http_proxy: 'https://v:plain@proxy' }).sort()).toEqual(['p$ss', 'p%24ss', 'plain']);
    expect(proxySecrets({ HTTPS_PROXY: 'proxy.internal:3128', HTTP_PROXY: 'http://proxy:3128/' })).toEqual([]);
  });

  test('opening a store hands it to onSecret (masked on the runner, redacted from uploaded logs)', () => {
    const seen: string[] = [];
    const spec = parseStoreSpec('https://s3.test/bucket/ credentials=env:K', { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' });
    const env = { K_ACCESS_KEY_ID: 'AKIDEXAMPLE', K_SECRET_ACCESS_KEY: 'secret-example', HTTPS_PROXY: 'http://ci:pr0xy-S3cret@proxy.test:3128' };
    openStore(spec, { env, onSecret: (v) => seen.push(v), concurrency: 1 }).close();
    expect(seen).toContain('pr0xy-S3cret');
  });
});
