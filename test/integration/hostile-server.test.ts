/**
 * A hostile server: well-framed HTTP answers whose listing bodies are cut, carry an `<Error>` after
 * or inside data, hide an entry in a comment, come back empty, or are written in odd but valid ways
 * (case, attributes, comments, CDATA). A sync of 1,040 keys (two listing pages, awkward keys among
 * them) runs through the mirror-bucket bundle against each, on both wire paths, with extra objects in
 * the destination that a sync trusting a short listing would delete alongside real ones.
 *
 * Whatever the server says: a damaged answer fails the run and nothing is deleted; a valid answer
 * written oddly gives exactly the result of a clean run.
 *
 * Then the same listings from one of three destinations of a sync (the others healthy): nothing is
 * deleted in the hostile one, and the healthy ones are synced all the same.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
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

/** Two healthy destinations holding the source's objects under `m/`: a bucket on the old cluster (copied inside it) and one on the new; made once for both wires. */
let healthyDestinations: Promise<{ id: ClusterId; bucket: string }[]> | undefined;
async function makeHealthy(): Promise<{ id: ClusterId; bucket: string }[]> {
  const out = [];
  for (const id of ['old', 'new'] as const) {
    const bucket = await makeBucket(id, 'hostile-ok');
    await putAll(id, bucket, KEYS.map((k) => `m/${k}`));
    out.push({ id, bucket });
  }
  return out;
}

describe.each(['lean', 'sdk'] as const)('a sync to three destinations, one of them hostile, %s wire', (wire) => {
  let healthy: { id: ClusterId; bucket: string }[];
  const MISSING = 'k/0500.log';
  beforeAll(async () => {
    healthy = await (healthyDestinations ??= makeHealthy());
  }, 300_000);
  const picked = ['cut in the middle of an entry', 'an <Error> after the listing', 'the second page cut short', 'IsTruncated written True'];
  test.each(VARIANTS.filter((v) => picked.includes(v.name)))('hostile destination, $page: $name', async ({ page, rewrite, outcome }) => {
    // Each destination holds extras a clean sync deletes; each healthy one lacks an object to copy.
    await putAll('new', dst, EXTRAS.map((k) => `src/${k}`));
    for (const h of healthy) {
      await putAll(h.id, h.bucket, EXTRAS.map((k) => `m/${k}`));
      await client(h.id).send(new DeleteObjectCommand({ Bucket: h.bucket, Key: `m/${MISSING}` }));
    }
    const hostile = await startFaultProxy({ upstream: rgw('new').endpoint, rules: [{ kind: 'rewrite', match: onPage(page), rewrite }] });
    proxies.push(hostile);
    const run = await runBundle(
      'mirror-bucket',
      {
        source: `${rgw('old').endpoint}/${src}/src/ credentials=env:OLD`,
        destinations: [`${rgw('old').endpoint}/${healthy[0]!.bucket}/m/ credentials=env:OLD name=ok-old`, `${hostile.url}/${dst}/src/ credentials=env:NEW name=hostile`, `${rgw('new').endpoint}/${healthy[1]!.bucket}/m/ credentials=env:NEW name=ok-new`].join('\n'),
        mode: 'sync',
      },
      { env: { ...credentialEnv(), CI_STORES_WIRE: wire } },
    );
    counts.runs++;
    expect(hostile.injected.rewrite).toBeGreaterThanOrEqual(1);
    const rows = JSON.parse(run.outputs.destinations ?? '[]') as { name: string; ok: boolean; copied: number; deleted: number; listingError?: string }[];
    // The healthy destinations are synced whatever the hostile one says.
    expect([rows[0], rows[2]].map((r) => [r?.name, r?.ok, r?.copied, r?.deleted])).toEqual([['ok-old', true, 1, EXTRAS.length], ['ok-new', true, 1, EXTRAS.length]]);
    for (const h of healthy) expect((await listKeys(h.id, h.bucket)).map((k) => k.slice('m/'.length)).sort()).toEqual([...sourceKeys].sort());
    const after = (await listKeys('new', dst)).map((k) => k.slice('src/'.length));
    if (outcome === 'fails') {
      expect({ code: run.code, errors: errors(run) }).toEqual({ code: 1, errors: [expect.stringMatching(/^2 of 3 destination\(s\) ended right, 3 required \(input "require"\): 2 hostile: .*ListObjectsV2/)] });
      expect([rows[1]?.name, rows[1]?.ok, rows[1]?.deleted, rows[1]?.listingError]).toEqual(['hostile', false, 0, expect.stringMatching(/ListObjectsV2/)]);
      expect(hostile.seen.DeleteObject ?? 0).toBe(0);
      expect(hostile.seen.DeleteObjects ?? 0).toBe(0);
      expect(after.sort()).toEqual([...sourceKeys, ...EXTRAS].sort());
      counts.failed++;
    } else {
      expect({ code: run.code, errors: errors(run) }).toEqual({ code: 0, errors: [] });
      expect([rows[1]?.name, rows[1]?.ok, rows[1]?.copied, rows[1]?.deleted]).toEqual(['hostile', true, 0, EXTRAS.length]);
      expect(after.sort()).toEqual([...sourceKeys].sort());
      counts.same++;
    }
  });
});
