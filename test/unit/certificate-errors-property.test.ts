/**
 * Which failures are refused certificates (src/s3/errors.ts), over generated errors: chains of
 * causes (some cyclic), TLS codes, near misses of them, other network codes, codes that are
 * object keys (`toString`, `__proto__`), codes in the wrong field or only in the text, and server
 * answers (with an HTTP status) carrying a TLS code. The oracle is written apart from the code: its
 * own list of Node's certificate verification codes, and the rule "the first of the first five
 * links that has one of them as its `code` and is no server answer".
 */
import fc from 'fast-check';
import { toStoreError } from '../../src/s3/errors';
import { checkProperty } from '../helpers/property';

/** Node's codes for a server certificate its TLS refused (OpenSSL's X509 verify errors Node reports, and its own name check). */
const TLS_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_REVOKED',
  'INVALID_CA',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface Link {
  code?: unknown;
  Code?: unknown;
  name?: string;
  message?: string;
  host?: unknown;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** Where the property's chain ends: nothing, or a cycle back to link `n`. */
type End = { kind: 'none' } | { kind: 'cycle'; to: number };

const code = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TLS_CODES) },
  { weight: 2, arbitrary: fc.constantFrom('ECONNRESET', 'ETIMEDOUT', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT', 'ProxyRefused', 'NoSuchKey', 'AccessDenied') },
  { weight: 2, arbitrary: fc.constantFrom(...TLS_CODES).chain((c) => fc.constantFrom(c.toLowerCase(), ` ${c}`, `${c}_X`, c.slice(1), `ERR_${c}`)) },
  { weight: 1, arbitrary: fc.constantFrom('toString', '__proto__', 'constructor', 'hasOwnProperty', '') },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, 42, null, { toString: () => 'CERT_HAS_EXPIRED' }, ['CERT_HAS_EXPIRED']) },
);

const link = fc.record(
  {
    code,
    // A TLS code in a field the classification does not read: Code, name, the text.
    elsewhere: fc.option(fc.constantFrom(...TLS_CODES), { nil: undefined }),
    where: fc.constantFrom('Code', 'name', 'message'),
    status: fc.option(fc.constantFrom(200, 400, 403, 495, 500, 526), { nil: undefined }),
    host: fc.option(fc.constantFrom('s3.test', 'bucket.s3.test'), { nil: undefined }),
    asError: fc.boolean(),
  },
  { requiredKeys: ['code', 'where', 'asError'] },
);

type LinkSpec = typeof link extends fc.Arbitrary<infer T> ? T : never;

const chain = fc.record({
  links: fc.array(link, { minLength: 1, maxLength: 8 }),
  end: fc.oneof(fc.constant<End>({ kind: 'none' }), fc.nat(7).map((to): End => ({ kind: 'cycle', to }))),
});

function build(c: { links: LinkSpec[]; end: End }): Link[] {
  const links = c.links.map((l) => {
    const e: Link = l.asError ? (new Error('a failure') as Link) : { message: 'a failure' };
    if (l.code !== undefined) e.code = l.code;
    if (l.elsewhere !== undefined) {
      if (l.where === 'Code') e.Code = l.elsewhere;
      else if (l.where === 'name') e.name = l.elsewhere;
      else e.message = `socket failed: ${l.elsewhere}`;
    }
    if (l.status !== undefined) e.$metadata = { httpStatusCode: l.status };
    if (l.host !== undefined) e.host = l.host;
    return e;
  });
  links.forEach((e, i) => {
    if (i + 1 < links.length) e.cause = links[i + 1];
  });
  if (c.end.kind === 'cycle') links[links.length - 1].cause = links[c.end.to % links.length];
  return links;
}

/** The oracle: the first link, following causes up to five links, with a TLS code as `code` and no HTTP status. */
function expected(first: Link): Link | undefined {
  let e: Link | undefined = first;
  for (let seen = 0; e !== undefined && seen < 5; seen++, e = e.cause as Link | undefined) {
    if (typeof e.code === 'string' && TLS_CODES.has(e.code) && e.$metadata?.httpStatusCode === undefined) return e;
  }
  return undefined;
}

test('an error is a refused certificate exactly when a TLS code is the code of one of its first five links, not a server answer', async () => {
  const tally = { certificate: 0, other: 0, beyondFive: 0 };
  await checkProperty(
    'certificate errors = a TLS code in the cause chain',
    fc.property(chain, (c) => {
      const links = build(c);
      const hit = expected(links[0]);
      const err = toStoreError(links[0], 'PUT s3://bkt key "k"');
      if (hit === undefined) {
        expect(err.kind).not.toBe('certificate');
        tally.other++;
        if (links.some((l, i) => i >= 5 && typeof l.code === 'string' && TLS_CODES.has(l.code))) tally.beyondFive++;
      } else {
        expect(err.kind).toBe('certificate');
        expect(err.code).toBe(hit.code);
        expect(err.message.startsWith('PUT s3://bkt key "k": the server\'s TLS certificate')).toBe(true);
        expect(err.message).toContain(`(${String(hit.code)})`);
        if (typeof hit.host === 'string') expect(err.message).toContain(` of ${hit.host} was refused`);
        expect(err.cause).toBe(links[0]);
        tally.certificate++;
      }
    }),
    1000,
  );
  console.log(`[property] certificate errors: ${tally.certificate} certificate, ${tally.other} other (${tally.beyondFive} with a TLS code only past the fifth link)`);
  expect(tally.certificate).toBeGreaterThan(200);
  expect(tally.other).toBeGreaterThan(200);
});
