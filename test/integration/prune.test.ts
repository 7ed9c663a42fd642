/**
 * `prune` end to end: the bundle under Node 24 over the two RGW clusters at once (the "old" and the
 * "new" provider, each with its own credentials), and the CLI; then both stores read from outside.
 * Copies uploaded later to the new store do not make an image newer: the keep set is decided over
 * both stores by the earliest upload of each key.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileMatch } from '../../src/prune/keep-rule';
import { prune } from '../../src/prune/prune';
import type { ObjectInfo, ObjectStore } from '../../src/storage/object-store';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { errors, runBundle, runCli } from '../helpers/bundle';
import { anonymousStatus, client, credentialEnv, listKeys, rgw, useBuckets, type ClusterId } from '../helpers/rgw';

const bucket = useBuckets();
const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const image = (v: number, arch = 'x86_64') => `fedora-42-${arch}-${hex(`${arch}${v}`)}.qcow2`;
const MATCH = '(?<group>fedora-\\d+-[a-z0-9_]+)-[0-9a-f]{64}\\.qcow2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function put(id: ClusterId, b: string, key: string): Promise<void> {
  await client(id).send(new PutObjectCommand({ Bucket: b, Key: `images/${key}`, Body: `content of ${key}`, ACL: 'public-read' }));
}

async function read(id: ClusterId, b: string, key: string): Promise<string> {
  const r = await client(id).send(new GetObjectCommand({ Bucket: b, Key: key }));
  return r.Body!.transformToString();
}

/** The image keys a store holds under images/, sorted. */
const held = async (id: ClusterId, b: string) => (await listKeys(id, b, 'images/')).map((k) => k.slice('images/'.length)).sort();

describe('prune over the old and the new provider', () => {
  let old: string;
  let neu: string;
  let dir: string;
  const stores = () => `${rgw('old').endpoint}/${old}/images/ credentials=env:OLD name=old\n${rgw('new').endpoint}/${neu}/images/ credentials=env:NEW name=new`;
  const run = (inputs: Record<string, string>) => runBundle('prune', { stores: stores(), match: MATCH, 'report-path': 'prune-report.txt', ...inputs }, { env: credentialEnv(), cwd: dir });
  const report = () => fs.readFileSync(path.join(dir, 'prune-report.txt'), 'utf8').trim().split('\n').slice(1).sort();

  beforeAll(async () => {
    ({ old, new: neu } = await bucket.pair('prune'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-'));
    // Uploaded one after the other to the old store (LastModified has whole seconds), v1 first.
    for (const v of [1, 2, 3, 4]) {
      await put('old', old, image(v));
      await sleep(1100);
    }
    await put('old', old, image(1, 'aarch64'));
    await put('old', old, 'README.txt');
    // The mirror copied v4, then v2 and v3, to the new store later (so there v2 and v3 look newer
    // than v4); v5 was uploaded there only, last of all.
    await put('new', neu, image(4));
    await sleep(1100);
    for (const v of [2, 3]) await put('new', neu, image(v));
    await sleep(1100);
    await put('new', neu, image(5));
  }, 60_000);

  test('the default is a dry run: the plan, per store, and nothing deleted', async () => {
    const r = await run({ 'keep-newest': '2' });
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    // Kept: v5 and v4 (x86_64), v1 (aarch64): v4 was first uploaded after v2 and v3, whatever the new store's copies say.
    expect(r.outputs).toMatchObject({ planned: '5', deleted: '0', kept: '3', drift: '2', unmatched: '1', failed: '0' });
    expect(JSON.parse(r.outputs.stores!)).toEqual([
      { store: 'old', listed: 6, unmatched: 1, kept: 2, drift: 1, planned: 3, deleted: 0, failed: 0 },
      { store: 'new', listed: 4, unmatched: 0, kept: 2, drift: 1, planned: 2, deleted: 0, failed: 0 },
    ]);
    expect(report()).toEqual(
      [`- old ${image(1)}`, `- old ${image(2)}`, `- old ${image(3)}`, `- new ${image(2)}`, `- new ${image(3)}`, `? old ${image(5)}`, `? new ${image(1, 'aarch64')}`].sort(),
    );
    expect(await held('old', old)).toHaveLength(6);
    expect(await held('new', neu)).toHaveLength(4);
    expect(r.summary).toContain('dry run');
  });

  test('more due than max-delete: the run fails and nothing is deleted in either store', async () => {
    const r = await run({ 'keep-newest': '2', 'dry-run': 'false', 'max-delete': '4' });
    expect(r.code).toBe(1);
    expect(errors(r)).toEqual(['no object deleted: 5 deletion(s) are due, more than max-delete (4)']);
    expect(await held('old', old)).toHaveLength(6);
    expect(await held('new', neu)).toHaveLength(4);
  });

  test('a store that refuses the credentials: nothing deleted in any store', async () => {
    const r = await runBundle(
      'prune',
      { stores: `${stores()}\n${rgw('old').endpoint}/${old}/elsewhere/ credentials=env:BROKEN name=broken`, match: MATCH, 'keep-newest': '2', 'dry-run': 'false' },
      { env: { ...credentialEnv(), BROKEN_ACCESS_KEY_ID: 'AKIANOTAKEY', BROKEN_SECRET_ACCESS_KEY: 'not-a-secret' }, cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(errors(r)[0]).toMatch(/^input "stores": broken: .*Nothing was deleted\.$/);
    expect(await held('old', old)).toHaveLength(6);
    expect(await held('new', neu)).toHaveLength(4);
  });

  test('deletes outside the keep set in both stores, each backed up privately first; a re-run has nothing to do', async () => {
    const r = await run({ 'keep-newest': '2', 'dry-run': 'false', 'backup-prefix': 'pruned/1/' });
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ planned: '5', deleted: '5', kept: '3', failed: '0' });
    expect(await held('old', old)).toEqual([image(1, 'aarch64'), image(4), 'README.txt', `pruned/1/${image(1)}`, `pruned/1/${image(2)}`, `pruned/1/${image(3)}`].sort());
    expect(await held('new', neu)).toEqual([image(4), image(5), `pruned/1/${image(2)}`, `pruned/1/${image(3)}`].sort());
    expect(await read('old', old, `images/pruned/1/${image(2)}`)).toBe(`content of ${image(2)}`);
    expect(await anonymousStatus('old', old, `images/pruned/1/${image(2)}`)).toBe(403);
    expect(await anonymousStatus('new', neu, `images/pruned/1/${image(3)}`)).toBe(403);
    expect(await anonymousStatus('new', neu, `images/${image(5)}`)).toBe(200);

    const again = await run({ 'keep-newest': '2', 'dry-run': 'false', 'backup-prefix': 'pruned/1/' });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ planned: '0', deleted: '0', kept: '3', unmatched: '6' });
  });

  test('the CLI with a keep list: deletes what the list does not name among the matched keys', async () => {
    fs.writeFileSync(path.join(dir, 'keep.txt'), `# referenced by a branch\n${image(5)}\nfedora-42-aarch64-*.qcow2\n`);
    const args = ['prune', '--stores', stores().split('\n')[0]!, '--stores', stores().split('\n')[1]!, '--match', '[^/]+\\.qcow2', '--keep-list', 'keep.txt', '--dry-run', 'false'];
    const out = await runCli(args, { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...credentialEnv() } });
    expect(out.stderr).not.toMatch(/^(error|ci-stores:)/m);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('deleted=2\n');
    expect(out.stdout).toContain('drift=2\n');
    // image(4) goes from both; the backups and the README are not .qcow2 files at the top.
    expect(await held('old', old)).toEqual([image(1, 'aarch64'), 'README.txt', `pruned/1/${image(1)}`, `pruned/1/${image(2)}`, `pruned/1/${image(3)}`].sort());
    expect(await held('new', neu)).toEqual([image(5), `pruned/1/${image(2)}`, `pruned/1/${image(3)}`].sort());
  });
});

describe('prune against a store written to during the run (the engine, on RGW)', () => {
  test('a key written again between the listing and the deletion is kept; the others are deleted', async () => {
    const b = await bucket('old', 'prune-race');
    for (const v of [1, 2, 3]) {
      await put('old', b, image(v));
      await sleep(1100);
    }
    const e = rgw('old');
    const spec = parseStoreSpec(`${e.endpoint}/${b}/images/`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
    const store = new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: e.secretKey }, { concurrency: 4 });
    // A new image is uploaded under the key of v1 once the prune has listed the store (RGW ignores
    // If-Match on DeleteObject, so only the check before the deletion can keep it).
    const racing = Object.assign(Object.create(store) as ObjectStore, {
      async *listPages(): AsyncIterable<readonly ObjectInfo[]> {
        yield* store.listPages();
        await client('old').send(new PutObjectCommand({ Bucket: b, Key: `images/${image(1)}`, Body: 'a new image under the same key' }));
      },
    });
    const lines: string[] = [];
    try {
      const report = await prune({
        targets: [{ name: 'old', store: racing }],
        match: compileMatch(MATCH),
        rule: { kind: 'newest', count: 1 },
        dryRun: false,
        concurrency: 2,
        partSize: 8 * 1024 * 1024,
        events: { info: () => undefined, debug: () => undefined, warning: () => undefined, line: (_s, m, k, d) => void lines.push(`${m} ${k}: ${d}`), progress: () => undefined },
      });
      expect(report.stores[0]).toMatchObject({ due: 2, deleted: 1, changed: 1, failed: 0 });
    } finally {
      store.close();
    }
    expect(await held('old', b)).toEqual([image(1), image(3)].sort());
    expect(await read('old', b, `images/${image(1)}`)).toBe('a new image under the same key');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^= ${image(1)}: outside the keep set, but changed during the run \\(ETag [0-9a-f]+, listed [0-9a-f]+\\): kept, not deleted$`)));
  }, 60_000);
});
