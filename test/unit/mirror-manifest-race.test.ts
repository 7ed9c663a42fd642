/**
 * A manifest entry records the listing's ETags, while the pair was proven equal from HEADs (or
 * content) read later. When the source changes in between, the entry ties the OLD source ETag to
 * the destination's, and a later run in which the source is back at the old content is "proven"
 * equal to a destination that differs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseVisibilityRules, DEFAULT_RULES_TEXT } from '../../src/acl/visibility';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectInfo, ObjectStore } from '../../src/storage/object-store';
import type { KeyRange } from '../../src/storage/key-range';
import { ManifestReader, ManifestWriter } from '../../src/sync/manifest';
import { mirror, type MirrorOptions } from '../../src/sync/mirror';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mrace-'));
const A = Buffer.from('AAAA-version-one');
const B = Buffer.from('BBBB-version-two');
const put = (s: LocalStore, b: Buffer) => s.put('fedora.qcow2', b, sha(b), { visibility: 'public', metadata: { sha256: sha(b).toString('hex') } });

/** Listings give opaque ETags (as with KMS or another provider), so only the manifest or HEADs prove a pair. */
function opaque(s: LocalStore, tag: string, beforeHead?: () => Promise<void>): ObjectStore {
  let hooked = false;
  return Object.assign(Object.create(s) as ObjectStore, {
    async *listPages(prefix?: string, range?: KeyRange): AsyncIterable<readonly ObjectInfo[]> {
      for await (const o of s.list(prefix, range)) yield [{ ...o, etag: `${tag}-${o.etag}` }];
    },
    async head(key: string) {
      if (beforeHead && !hooked) {
        hooked = true;
        await beforeHead();
      }
      return s.head(key);
    },
  });
}

function options(source: ObjectStore, destination: ObjectStore, extra: Partial<MirrorOptions>): MirrorOptions {
  return {
    source, destination, mode: 'sync', dryRun: false, filter: () => true, range: {},
    rules: parseVisibilityRules(DEFAULT_RULES_TEXT), compare: 'checksum', transfers: 2, checkers: 2,
    partSize: 5 * 1024 * 1024, partsInFlight: 2, memory: 64 * 1024 * 1024, verifyVisibility: 'none',
    probe: async () => ({ access: 'denied', status: 403 }),
    events: { info: () => undefined, debug: () => undefined, warning: () => undefined, line: () => undefined },
    ...extra,
  };
}

test('a source changed between the listing and the HEAD must not leave an entry for its old ETag', async () => {
  const src = new LocalStore(tmp());
  const dst = new LocalStore(tmp());
  await put(src, A);
  await put(dst, B);
  const file = path.join(tmp(), 'm.gz');
  const id = { source: 'S', destination: 'D' };

  // Night 1: listed while the source holds A; a new upload puts B in the source before the HEADs.
  const out1 = new ManifestWriter(file, id);
  await mirror(options(opaque(src, 's', () => put(src, B).then(() => undefined)), opaque(dst, 'd'), { manifestOut: out1 }));
  await out1.close();

  // Night 2: the source is rolled back to A (same bytes, same ETag as night 1's listing).
  await put(src, A);
  const { reader } = await ManifestReader.open(file, id);
  const out2 = new ManifestWriter(file + '.2', id);
  const r = await mirror(options(opaque(src, 's'), opaque(dst, 'd'), { manifest: reader, manifestOut: out2 }));
  await out2.close();

  const after = await dst.head('fedora.qcow2');
  // What must hold: the destination ends up with the source's content (A), not proven "same".
  expect({ method: r.methods, dstSha256: after!.metadata.sha256 }).toEqual({ method: expect.objectContaining({ manifest: 0 }), dstSha256: sha(A).toString('hex') });
});
