/**
 * A hostile server: well-framed HTTP answers whose listing bodies are cut, carry an `<Error>` after
 * or inside data, hide an entry in a comment, come back empty, or are written in odd but valid ways
 * (case, attributes, comments, CDATA). A sync of 1,040 keys (two listing pages, awkward keys among
 * them) runs through the mirror-bucket bundle against each, on both wire paths, with extra objects in
 * the destination that a sync trusting a short listing would delete alongside real ones.
 *
 * Whatever the server says: a damaged answer fails the run and nothing is deleted; a valid answer
 * written oddly gives exactly the result of a clean run.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { AWKWARD_KEYS } from '../helpers/awkward-keys';
import { errors, runBundle } from '../helpers/bundle';
import { startFaultProxy, type FaultProxy, type RequestInfo } from '../helpers/fault-proxy';
import { client, credentialEnv, listKeys, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const makeBucket = useBuckets();
const proxies: FaultProxy[] = [];
let src: string;
let dst: string;
let sourceKeys: string[];

/** Every key of the source, relative to the mirrored prefix: more than one page, awkward keys included. */
const KEYS = [...Array.from({ length: 1000 }, (_, i) => `k/${String(i).padStart(4, '0')}.log`), ...AWKWARD_KEYS.filter((k) => !k.startsWith('/'))];
const EXTRAS = ['only-here-1.txt', 'zz/only-here-2.txt'];

async function putAll(id: ClusterId, bucket: string, keys: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await client(id).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${key.slice(key.indexOf('/') + 1)}\n`, ContentType: 'text/plain' }));
      }
    }),
  );
}

beforeAll(async () => {
  src = await makeBucket('old', 'hostile-src');
  dst = await makeBucket('new', 'hostile-dst');
  // The same bodies on both sides: the sync proves every pair by its ETag and has nothing to copy.
  await putAll('old', src, KEYS.map((k) => `src/${k}`));
  await putAll('new', dst, KEYS.map((k) => `src/${k}`));
  sourceKeys = (await listKeys('old', src)).map((k) => k.slice('src/'.length));
  expect(sourceKeys).toHaveLength(KEYS.length);
}, 300_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
});

type Page = 'first page' | 'second page';
const onPage = (page: Page) => (r: RequestInfo) => r.op === 'ListObjectsV2' && r.query.has('continuation-token') === (page === 'second page');

/** The offset just after the `n`th `<Contents>` start tag (0-based), wherever that is. */
function entryStart(xml: string, n: number): number {
  let at = -1;
  for (let i = 0; i <= n; i++) at = xml.indexOf('<Contents', at + 1);
  if (at < 0) throw new Error(`the page has no entry ${n}`);
  return at;
}

interface Variant {
  readonly name: string;
  readonly page: Page;
  readonly rewrite: (xml: string) => string;
  /** `fails`: the answer is damaged; `same`: a valid answer written oddly. */
  readonly outcome: 'fails' | 'same';
}

const VARIANTS: readonly Variant[] = [
  { name: 'cut in the middle of an entry', page: 'first page', outcome: 'fails', rewrite: (x) => x.slice(0, entryStart(x, 500) + 25) },
  { name: 'cut after an entry, the root never closed', page: 'first page', outcome: 'fails', rewrite: (x) => x.slice(0, entryStart(x, 500)) },
  { name: 'cut, then closed again (KeyCount still counts the lost entries)', page: 'first page', outcome: 'fails', rewrite: (x) => `${x.slice(0, entryStart(x, 500))}</ListBucketResult>` },
  { name: 'an <Error> after the listing', page: 'first page', outcome: 'fails', rewrite: (x) => `${x}<Error><Code>InternalError</Code><Message>after data</Message></Error>` },
  { name: 'an <Error> inside the listing', page: 'second page', outcome: 'fails', rewrite: (x) => `${x.slice(0, entryStart(x, 10))}<Error><Code>InternalError</Code></Error>${x.slice(entryStart(x, 10))}` },
  {
    name: 'an entry hidden in a comment',
    page: 'first page',
    outcome: 'fails',
    rewrite: (x) => {
      const i = entryStart(x, 300);
      const j = x.indexOf('</Contents>', i) + '</Contents>'.length;
      return `${x.slice(0, i)}<!--${x.slice(i, j).replace(/--/g, '')}-->${x.slice(j)}`;
    },
  },
  { name: 'an empty body', page: 'second page', outcome: 'fails', rewrite: () => '' },
  { name: 'the second page cut short', page: 'second page', outcome: 'fails', rewrite: (x) => x.slice(0, Math.floor(x.length / 2)) },
  { name: 'IsTruncated written True', page: 'first page', outcome: 'same', rewrite: (x) => x.replace('<IsTruncated>true</IsTruncated>', '<IsTruncated>True</IsTruncated>') },
  { name: 'attributes on every entry and key', page: 'first page', outcome: 'same', rewrite: (x) => x.replace(/<Contents>/g, '<Contents x="1">').replace(/<Key>/g, "<Key a='&amp;'>") },
  {
    name: 'comments holding ghost entries',
    page: 'first page',
    outcome: 'same',
    rewrite: (x) => x.replace(/<\/Contents>/g, '</Contents><!-- <Contents><Key>ghost</Key><Size>1</Size></Contents> -->'),
  },
  { name: 'keys in CDATA sections', page: 'second page', outcome: 'same', rewrite: (x) => x.replace(/<Key>([^<]*)<\/Key>/g, '<Key><![CDATA[$1]]></Key>') },
];

const counts = { runs: 0, failed: 0, same: 0 };
afterAll(() => console.log(`[hostile] ${counts.runs} sync runs against rewritten listings: ${counts.failed} failed with nothing deleted, ${counts.same} gave a clean run's result`));

describe.each(['lean', 'sdk'] as const)('a sync against a hostile server, %s wire', (wire) => {
  const cases = [
    ...VARIANTS.map((v) => ({ ...v, side: 'source' as const })),
    // The destination's listing lies too: a sync must not act on a short one either.
    ...VARIANTS.filter((v) => v.outcome === 'fails' && v.page === 'first page').slice(0, 2).map((v) => ({ ...v, side: 'destination' as const })),
  ];
  test.each(cases)('$side listing, $page: $name', async ({ side, page, rewrite, outcome }) => {
    // Objects only the destination holds: a clean sync deletes them, a failed one must not.
    await putAll('new', dst, EXTRAS.map((k) => `src/${k}`));
    const hostile = await startFaultProxy({ upstream: rgw(side === 'source' ? 'old' : 'new').endpoint, rules: [{ kind: 'rewrite', match: onPage(page), rewrite }] });
    const counting = await startFaultProxy({ upstream: rgw(side === 'source' ? 'new' : 'old').endpoint });
    proxies.push(hostile, counting);
    const dstProxy = side === 'source' ? counting : hostile;
    const srcUrl = side === 'source' ? hostile.url : counting.url;
    const run = await runBundle(
      'mirror-bucket',
      {
        source: `${srcUrl}/${src}/src/ credentials=env:OLD`,
        destination: `${dstProxy.url}/${dst}/src/ credentials=env:NEW`,
        mode: 'sync',
      },
      { env: { ...credentialEnv(), CI_STORES_WIRE: wire } },
    );
    counts.runs++;
    expect(hostile.injected.rewrite).toBeGreaterThanOrEqual(1);
    const after = (await listKeys('new', dst)).map((k) => k.slice('src/'.length));
    if (outcome === 'fails') {
      expect({ code: run.code, error: errors(run).join('\n') }).toMatchObject({ code: 1, error: expect.stringMatching(/ListObjectsV2/) });
      expect(dstProxy.seen.DeleteObject ?? 0).toBe(0);
      expect(dstProxy.seen.DeleteObjects ?? 0).toBe(0);
      expect(after.sort()).toEqual([...sourceKeys, ...EXTRAS].sort());
      counts.failed++;
    } else {
      expect({ code: run.code, errors: errors(run) }).toEqual({ code: 0, errors: [] });
      expect(run.outputs.deleted).toBe(String(EXTRAS.length));
      expect(run.outputs.copied ?? '0').toBe('0');
      expect(after.sort()).toEqual([...sourceKeys].sort());
      counts.same++;
    }
  });
});
