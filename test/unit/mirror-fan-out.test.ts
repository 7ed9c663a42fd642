/**
 * The mirror to several destinations: the K-way march against the two-way march run once a
 * destination, the fan-out engine against the two-way engine run once a destination on a copy of
 * it (the reference: what each destination would get from a mirror of its own), each source object
 * read once, and the `require` and `destinations` inputs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ConfigurationError } from '../../src/config/configuration-error';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectInfo, ObjectStore } from '../../src/storage/object-store';
import { mirrorFanOut, type FanOutOptions } from '../../src/sync/fan-out';
import { march } from '../../src/sync/march';
import { marchMany } from '../../src/sync/march-many';
import { mirror, type MirrorReport } from '../../src/sync/mirror';
import { ManifestReader, ManifestWriter, type ManifestEntry, type ManifestIdentity } from '../../src/sync/manifest';
import { readMirrorBucketInputs } from '../../src/steps/mirror-bucket/inputs';
import { mirrorOptions } from '../helpers/mirror-options';
import { checkProperty } from '../helpers/property';
import { quietHost } from '../helpers/quiet-host';
import { storeContents } from '../helpers/store-contents';

const KEYS = ['A', 'a', 'ab', 'b', 'z', '~', 'é', 'ü', '日'];
const order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function* pages(keys: readonly string[], size: number, failAt?: number): AsyncIterable<readonly ObjectInfo[]> {
  for (let i = 0, p = 0; i < keys.length; i += size, p++) {
    if (p === failAt) throw new Error(`listing page ${p + 1}: connection reset`);
    yield keys.slice(i, i + size).map((key) => ({ key, size: 1 }));
    if (p === 0) yield [];
  }
  if (failAt !== undefined && failAt >= Math.ceil(keys.length / size)) throw new Error('listing cut after its last page');
}

const keySet = fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: KEYS.length }).map((k) => [...k].sort(order));

test('the K-way march gives each destination what the two-way march gives it; a failed destination listing is left out, the others unchanged', async () => {
  let lostSome = 0;
  await checkProperty(
    'K-way march equals the two-way march per destination',
    fc.asyncProperty(
      keySet,
      fc.array(fc.record({ keys: keySet, size: fc.integer({ min: 1, max: 4 }), failAt: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }) }) }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 4 }),
      async (src, dests, srcSize) => {
        const lost = new Map<number, string>();
        const seen: string[] = [];
        const got = dests.map(() => [] as string[]);
        for await (const batch of marchMany(pages(src, srcSize), dests.map((d) => pages(d.keys, d.size, d.failAt)), (i, e) => lost.set(i, String(e)))) {
          for (const p of batch) {
            seen.push(p.key);
            p.destinations.forEach((d, i) => {
              if (lost.has(i)) expect(d).toBeUndefined();
              if (p.source || d) got[i]!.push(`${p.source ? 's' : '-'}${d ? 'd' : '-'} ${p.key}`);
            });
          }
        }
        // Each key once, in order; every source key there.
        expect(seen).toEqual([...new Set(seen)].sort(order));
        expect(src.every((k) => seen.includes(k))).toBe(true);
        for (const [i, d] of dests.entries()) {
          const want: string[] = [];
          let failed = false;
          try {
            for await (const batch of march(pages(src, srcSize), pages(d.keys, d.size, d.failAt))) for (const p of batch) want.push(`${p.source ? 's' : '-'}${p.destination ? 'd' : '-'} ${p.key}`);
          } catch {
            failed = true;
          }
          expect(lost.has(i)).toBe(failed);
          if (!failed) expect(got[i]).toEqual(want);
          else {
            lostSome++;
            // What it held before its listing failed came out as its own, in order.
            const held = got[i]!.filter((l) => l[1] === 'd').map((l) => l.slice(3));
            expect(held).toEqual(d.keys.slice(0, held.length));
          }
        }
      },
    ),
    600,
  );
  expect(lostSome).toBeGreaterThan(50);
});

/** Every folder store of the file lives under one folder, removed at the end. */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fan-out-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let made = 0;
const tmp = () => fs.mkdirSync(path.join(root, String(made++)), { recursive: true })!;
const sha = (b: Buffer) => createHash('sha256').update(b).digest();

async function folder(files: Record<string, string>, dir = tmp()): Promise<LocalStore> {
  const s = new LocalStore(dir);
  for (const [k, v] of Object.entries(files)) await s.put(k, Buffer.from(v), sha(Buffer.from(v)), { visibility: 'public' });
  return s;
}

const contents = storeContents;

/** A store whose PUTs and multipart starts of the given keys fail, as a bucket that refuses them would. */
function refusing(s: LocalStore, keys: ReadonlySet<string>): ObjectStore {
  return Object.assign(Object.create(s) as ObjectStore, {
    put: async (...args: Parameters<LocalStore['put']>) => {
      if (keys.has(args[0])) throw new Error(`PUT ${args[0]}: 403 AccessDenied`);
      return s.put(...args);
    },
    startMultipart: async (...args: Parameters<LocalStore['startMultipart']>) => {
      if (keys.has(args[0])) throw new Error(`CreateMultipartUpload ${args[0]}: 403 AccessDenied`);
      return s.startMultipart(...args);
    },
  });
}

/** Counts the interrupt handlers a run registers and has not taken back: none may be left at its end. */
function interruptLedger(): { onInterrupt: (abort: () => Promise<void>) => () => void; open: () => number } {
  let open = 0;
  return {
    onInterrupt: () => {
      open++;
      let done = false;
      return () => void (done ? undefined : ((done = true), open--));
    },
    open: () => open,
  };
}

/** A store whose listing fails after `after` entries. */
function failingList(s: ObjectStore, after: number): ObjectStore {
  return Object.assign(Object.create(s) as ObjectStore, {
    async *listPages(prefix?: string): AsyncIterable<readonly ObjectInfo[]> {
      let n = 0;
      for await (const o of s.list(prefix)) {
        if (n++ === after) throw new Error('listing page 2: connection reset');
        yield [o];
      }
      if (n === after) throw new Error('listing cut after its last page');
    },
  });
}

const tree = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom('x', 'y', 'xy', 'yx', 'long content'), { maxKeys: 6 });
/** Sometimes (one time in four) a listing that fails after some entries. */
const sometimes = (max: number) => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max }) });
const destination = fc.record({ files: tree, refuse: fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 2 }), failListAfter: sometimes(6) });

const countsOf = (r: MirrorReport) => ({ ...r.counts, withheld: r.deletionsWithheld !== undefined, complete: r.complete, listing: r.listingError !== undefined });

/** Parts of 4 bytes: the longer contents are written in parts, through the multipart fan-out writer. */
const PART = 4;

test('the fan-out engine leaves each destination as a mirror of its own would, reading each source object once', async () => {
  const tally = { refusals: 0, listingFailures: 0, deleted: 0, sharedReads: 0 };
  await checkProperty(
    'fan-out engine equals one two-way mirror a destination',
    fc.asyncProperty(tree, fc.array(destination, { minLength: 1, maxLength: 3 }), fc.constantFrom('copy', 'sync') as fc.Arbitrary<'copy' | 'sync'>, fc.boolean(), fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), async (srcFiles, dests, mode, dryRun, maxDelete) => {
      const first = made;
      try {
        await fanOutCase(srcFiles, dests, mode, dryRun, maxDelete);
      } finally {
        // The case's folders go at once: the machine's disk is shared.
        for (let i = first; i < made; i++) fs.rmSync(path.join(root, String(i)), { recursive: true, force: true });
      }
    }),
    250,
  );
  async function fanOutCase(srcFiles: Record<string, string>, dests: { files: Record<string, string>; refuse: string[]; failListAfter: number | undefined }[], mode: 'copy' | 'sync', dryRun: boolean, maxDelete: number | undefined): Promise<void> {
      const source = await folder(srcFiles);
      const reads: string[] = [];
      const counted = Object.assign(Object.create(source) as ObjectStore, { read: (k: string) => (reads.push(k), source.read(k)) });
      const wrap = (s: LocalStore, d: (typeof dests)[number]) => {
        const r = refusing(s, new Set(d.refuse));
        return d.failListAfter === undefined ? r : failingList(r, d.failListAfter);
      };
      // The reference: each destination's copy mirrored on its own.
      const expected = [];
      for (const d of dests) {
        const own = await folder(d.files);
        const ledger = interruptLedger();
        const { o } = mirrorOptions(source, wrap(own, d), { mode, dryRun, maxDelete, transfers: 2, checkers: 2, partSize: PART, onInterrupt: ledger.onInterrupt });
        const r = await mirror(o);
        expect(ledger.open()).toBe(0);
        expected.push({ counts: countsOf(r), after: await contents(own) });
      }
      const stores = await Promise.all(dests.map((d) => folder(d.files)));
      const ledger = interruptLedger();
      const { o: base } = mirrorOptions(counted, stores[0]!, { mode, dryRun, maxDelete, transfers: 2, checkers: 2, partSize: PART, onInterrupt: ledger.onInterrupt });
      const { destination: _d, compare: _c, events, ...rest } = base;
      const o: FanOutOptions = { ...rest, mode, destinations: stores.map((s, i) => wrap(s, dests[i]!)), events: () => events, run: { info: () => undefined, warning: () => undefined } };
      const r = await mirrorFanOut(o);
      // Every multipart write took its interrupt handler back, however it ended (a refused start included).
      expect(ledger.open()).toBe(0);
      for (const [i, s] of stores.entries()) {
        const d = dests[i]!;
        const after = await contents(s);
        if (d.failListAfter !== undefined && r.destinations[i]!.listingError !== undefined) {
          tally.listingFailures++;
          // Nothing deleted where the listing failed, whatever was written before.
          for (const k of Object.keys(d.files)) expect(after).toHaveProperty([k]);
          expect(r.destinations[i]!.counts.deleted).toBe(0);
          expect(r.destinations[i]!.complete).toBe(false);
          continue;
        }
        expect({ i, counts: countsOf(r.destinations[i]!), after }).toEqual({ i, ...expected[i]! });
        if (r.destinations[i]!.counts.failed > 0) tally.refusals++;
        tally.deleted += r.destinations[i]!.counts.deleted;
      }
      // One GET an object, whatever the number of destinations that needed it.
      expect(reads.length).toBe(new Set(reads).size);
      expect(r.sourceReads).toBe(reads.length);
      if (dryRun) expect(reads).toEqual([]);
      const written = r.destinations.reduce((n, d) => n + d.counts.copied + d.counts.updated, 0);
      if (!dryRun && written > reads.length) tally.sharedReads++;
  }
  console.log(`[property] fan-out engine tally: ${JSON.stringify(tally)}`);
  expect(tally.refusals).toBeGreaterThan(20);
  expect(tally.listingFailures).toBeGreaterThan(20);
  expect(tally.deleted).toBeGreaterThan(20);
  expect(tally.sharedReads).toBeGreaterThan(20);
}, 300_000);

describe('manifests of verified copies, one a destination', () => {
  /** Writes `files` into `s`: in parts of `part` bytes (a multipart ETag of that part size) when given, else whole. */
  async function seed(s: LocalStore, files: Record<string, string>, part?: number): Promise<void> {
    for (const [k, v] of Object.entries(files)) {
      const body = Buffer.from(v);
      if (part === undefined || body.length <= part) {
        await s.put(k, body, sha(body), { visibility: 'public' });
        continue;
      }
      const w = await s.startMultipart(k, { visibility: 'public' });
      for (let at = 0, n = 1; at < body.length; at += part, n++) await w.writePart(n, body.subarray(at, at + part), sha(body.subarray(at, at + part)));
      await w.complete();
    }
  }
  async function listing(s: ObjectStore): Promise<Map<string, ObjectInfo>> {
    const out = new Map<string, ObjectInfo>();
    for await (const o of s.list()) out.set(o.key, o);
    return out;
  }
  async function entriesOf(file: string, identity: ManifestIdentity): Promise<ManifestEntry[]> {
    const { reader, reason } = await ManifestReader.open(file, identity);
    if (!reader) throw new Error(`no manifest at ${file}: ${reason}`);
    const out: ManifestEntry[] = [];
    for (let e = await reader.peek(); e !== undefined; e = await reader.peek()) {
      out.push(e);
      reader.take();
    }
    return out;
  }
  async function writeManifest(file: string, identity: ManifestIdentity, entries: readonly ManifestEntry[]): Promise<void> {
    const w = new ManifestWriter(file, identity);
    for (const e of entries) await w.add(e);
    await w.close();
  }
  /** Opens a pair's manifest as the glue does: read it, and (unless a dry run) write the next one. */
  async function open(file: string, identity: ManifestIdentity, dryRun: boolean) {
    const { reader } = await ManifestReader.open(file, identity);
    return { reader, writer: dryRun ? undefined : new ManifestWriter(file, identity) };
  }
  /** Keeps a pair's manifest as the glue does: the new one when the listings were read whole, else the old one. */
  async function keep(writer: ManifestWriter | undefined, r: MirrorReport): Promise<void> {
    if (!writer) return;
    if (r.listingError !== undefined) await writer.discard();
    else await writer.close();
  }

  const manifestDest = fc.record({
    files: tree,
    parts: fc.boolean(),
    refuse: fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 1 }),
    failListAfter: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }) }),
    /** Keys given an entry in the manifest before the run (undefined: no manifest yet), and of them those whose entry is stale. */
    proven: fc.option(fc.uniqueArray(fc.constantFrom(...KEYS)), { nil: undefined }),
    stale: fc.uniqueArray(fc.constantFrom(...KEYS), { maxLength: 2 }),
  });
  type ManifestDest = typeof manifestDest extends fc.Arbitrary<infer T> ? T : never;

  test('with manifests, the fan-out leaves each destination and its manifest as a mirror of its own with that manifest would; a second run over unchanged stores copies nothing', async () => {
    const tally = { manifestProofs: 0, secondRunProofs: 0, entriesWritten: 0, secondRuns: 0, keptOnFailedListing: 0, multipartPairs: 0 };
    await checkProperty(
      'fan-out with manifests equals one two-way mirror with its manifest a destination',
      fc.asyncProperty(tree, fc.boolean(), fc.array(manifestDest, { minLength: 1, maxLength: 3 }), fc.constantFrom('copy', 'sync') as fc.Arbitrary<'copy' | 'sync'>, fc.boolean(), async (srcFiles, srcParts, dests, mode, dryRun) => {
        const first = made;
        try {
          await manifestCase(srcFiles, srcParts, dests, mode, dryRun);
        } finally {
          for (let i = first; i < made; i++) fs.rmSync(path.join(root, String(i)), { recursive: true, force: true });
        }
      }),
      120,
    );
    async function manifestCase(srcFiles: Record<string, string>, srcParts: boolean, dests: ManifestDest[], mode: 'copy' | 'sync', dryRun: boolean): Promise<void> {
      // The source written in parts of 3 bytes, the copies in parts of 4: multipart ETags that differ by store, and no sha256 recorded.
      const source = new LocalStore(tmp());
      await seed(source, srcFiles, srcParts ? 3 : undefined);
      const reads: string[] = [];
      const counted = Object.assign(Object.create(source) as ObjectStore, { read: (k: string) => (reads.push(k), source.read(k)) });
      const srcList = await listing(source);
      const wrap = (s: LocalStore, d: ManifestDest) => {
        const r = refusing(s, new Set(d.refuse));
        return d.failListAfter === undefined ? r : failingList(r, d.failListAfter);
      };
      /** Each destination's store, its manifest file and the manifest's identity, set up alike for the reference and the fan-out. */
      const setUp = async (d: ManifestDest) => {
        const store = new LocalStore(tmp());
        await seed(store, d.files, d.parts ? 5 : undefined);
        const identity = { source: source.display, destination: store.display };
        const file = path.join(tmp(), 'manifest.gz');
        if (d.proven !== undefined) {
          const dstList = await listing(store);
          const keys = d.proven.filter((k) => srcList.has(k) && dstList.has(k)).sort(order);
          await writeManifest(file, identity, keys.map((key) => ({ key, sourceEtag: srcList.get(key)!.etag!, size: srcList.get(key)!.size, destinationEtag: d.stale.includes(key) ? 'stale' : dstList.get(key)!.etag! })));
        }
        return { store, identity, file, before: fs.existsSync(file) ? fs.readFileSync(file) : undefined };
      };
      const options = (destination: ObjectStore, extra: Partial<Parameters<typeof mirrorOptions>[2]> = {}) => mirrorOptions(source, destination, { mode, dryRun, transfers: 2, checkers: 2, partSize: PART, ...extra }).o;
      // The reference: each destination mirrored on its own, with its own manifest.
      const expected = [];
      for (const d of dests) {
        const own = await setUp(d);
        const m = await open(own.file, own.identity, dryRun);
        const r = await mirror({ ...options(wrap(own.store, d)), manifest: m.reader, manifestOut: m.writer });
        await keep(m.writer, r);
        expected.push({ counts: countsOf(r), after: await contents(own.store), entries: fs.existsSync(own.file) ? await entriesOf(own.file, own.identity) : undefined });
      }
      const set = await Promise.all(dests.map(setUp));
      const opened = await Promise.all(set.map((x) => open(x.file, x.identity, dryRun)));
      const { destination: _d, compare: _c, events, ...rest } = options(set[0]!.store);
      const fan = (stores: readonly ObjectStore[], manifests: FanOutOptions['manifests']) => mirrorFanOut({ ...rest, source: counted, mode, destinations: stores, events: () => events, run: { info: () => undefined, warning: () => undefined }, manifests });
      const r = await fan(set.map((x, i) => wrap(x.store, dests[i]!)), opened);
      await Promise.all(opened.map((m, i) => keep(m.writer, r.destinations[i]!)));
      for (const [i, x] of set.entries()) {
        const dr = r.destinations[i]!;
        tally.manifestProofs += dr.methods.manifest;
        if (dests[i]!.failListAfter !== undefined && dr.listingError !== undefined) {
          // The old manifest kept as it was (or none made), whatever the others did.
          expect(fs.existsSync(x.file) ? fs.readFileSync(x.file) : undefined).toEqual(x.before);
          if (x.before !== undefined) tally.keptOnFailedListing++;
          continue;
        }
        const entries = fs.existsSync(x.file) ? await entriesOf(x.file, x.identity) : undefined;
        expect({ i, counts: countsOf(dr), after: await contents(x.store), entries }).toEqual({ i, ...expected[i]! });
        tally.entriesWritten += dryRun ? 0 : (entries?.length ?? 0);
      }
      const dstLists = await Promise.all(set.map((x) => listing(x.store)));
      for (const l of dstLists) for (const [k, o] of l) if (srcList.get(k)?.etag !== o.etag && srcList.get(k)?.size === o.size) tally.multipartPairs++;
      // Once every destination ended right, a second run over the unchanged stores copies and reads nothing.
      if (dryRun || r.destinations.some((d) => !d.complete)) return;
      tally.secondRuns++;
      reads.length = 0;
      const again = await Promise.all(set.map((x) => open(x.file, x.identity, false)));
      const r2 = await fan(set.map((x, i) => refusing(x.store, new Set(dests[i]!.refuse))), again);
      await Promise.all(again.map((m, i) => keep(m.writer, r2.destinations[i]!)));
      expect(r2.destinations.map((d) => [d.counts.copied, d.counts.updated, d.counts.failed, d.methods.none])).toEqual(set.map(() => [0, 0, 0, 0]));
      expect(reads).toEqual([]);
      expect(r2.sourceReads).toBe(0);
      tally.secondRunProofs += r2.destinations.reduce((n, d) => n + d.methods.manifest, 0);
    }
    console.log(`[property] fan-out manifest tally: ${JSON.stringify(tally)}`);
    expect(tally.manifestProofs).toBeGreaterThan(10);
    expect(tally.secondRunProofs).toBeGreaterThan(30);
    expect(tally.entriesWritten).toBeGreaterThan(50);
    expect(tally.secondRuns).toBeGreaterThan(20);
    expect(tally.keptOnFailedListing).toBeGreaterThan(5);
    expect(tally.multipartPairs).toBeGreaterThan(50);
  }, 300_000);
});

describe('one slow key does not hold the others back', () => {
  /** A destination whose writes of `slow` wait for `gate`; counts the other keys written. */
  function gated(s: LocalStore, slow: string, gate: Promise<void>, written: { n: number }): ObjectStore {
    return Object.assign(Object.create(s) as ObjectStore, {
      put: async (...args: Parameters<LocalStore['put']>) => {
        if (args[0] === slow) await gate;
        else written.n++;
        return s.put(...args);
      },
      canCopyFrom: () => false,
    });
  }
  const SMALL = 4400;

  /** Writes `0slow` and SMALL small keys into a new source folder. */
  async function slowSource(): Promise<LocalStore> {
    const src = new LocalStore(tmp());
    const body = Buffer.from('x');
    await src.put('0slow', body, sha(body), { visibility: 'public' });
    for (let i = 0; i < SMALL; i++) await src.put(`k${String(i).padStart(5, '0')}`, body, sha(body), { visibility: 'public' });
    return src;
  }

  /** Starts `run` with `0slow` held; the small writes seen once they stop moving (or are all done), then its result. */
  async function whileHeld<T>(expected: number, run: (gate: Promise<void>, written: { n: number }) => Promise<T>) {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const written = { n: 0 };
    const running = run(gate, written);
    for (let last = -1; written.n !== last && written.n < expected; ) {
      last = written.n;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seen = written.n;
    open();
    return { whileHeld: seen, r: await running };
  }

  /** Runs the fan-out of `0slow` and SMALL small keys to two destinations; the small writes seen while `0slow` is held, then the report. */
  async function heldRun(manifests: boolean) {
    const src = await slowSource();
    const stores = [new LocalStore(tmp()), new LocalStore(tmp())];
    const { o: base } = mirrorOptions(src, stores[0]!, { mode: 'copy', transfers: 4, checkers: 4 });
    const { destination: _d, compare: _c, events, ...rest } = base;
    const identity = (i: number): ManifestIdentity => ({ source: 'src', destination: `d${i}` }) as ManifestIdentity;
    const writers = manifests ? stores.map((_, i) => new ManifestWriter(path.join(tmp(), 'm.gz'), identity(i))) : undefined;
    const held = await whileHeld(2 * SMALL, (gate, written) =>
      mirrorFanOut({
        ...rest,
        mode: 'copy',
        destinations: stores.map((s) => gated(s, '0slow', gate, written)),
        events: () => events,
        run: { info: () => undefined, warning: () => undefined },
        ...(writers ? { manifests: writers.map((writer) => ({ writer })) } : {}),
      }),
    );
    for (const w of writers ?? []) await w.close();
    return held;
  }

  /** The same for the two-way mirror, to one destination. */
  async function heldMirror(manifest: boolean) {
    const src = await slowSource();
    const dst = new LocalStore(tmp());
    const writer = manifest ? new ManifestWriter(path.join(tmp(), 'm.gz'), { source: 'src', destination: 'd' } as ManifestIdentity) : undefined;
    const held = await whileHeld(SMALL, (gate, written) => {
      const { o } = mirrorOptions(src, gated(dst, '0slow', gate, written), { mode: 'copy', transfers: 4, checkers: 4 });
      return mirror({ ...o, ...(writer ? { manifestOut: writer } : {}) });
    });
    await writer?.close();
    return held;
  }

  test('without a manifest, every other key is written while one is held', async () => {
    const { whileHeld, r } = await heldRun(false);
    expect(whileHeld).toBe(2 * SMALL);
    expect(r.destinations.map((d) => d.counts.copied)).toEqual([SMALL + 1, SMALL + 1]);
  }, 120_000);

  test('with a manifest a destination, thousands of keys past the held one are written too (the window holds them)', async () => {
    const { whileHeld, r } = await heldRun(true);
    expect(whileHeld).toBe(2 * SMALL);
    expect(r.destinations.map((d) => d.counts.copied)).toEqual([SMALL + 1, SMALL + 1]);
  }, 120_000);

  test.each([false, true])('the two-way mirror too (a manifest: %s)', async (manifest) => {
    const { whileHeld: seen, r } = await heldMirror(manifest);
    expect(seen).toBe(SMALL);
    expect(r.counts.copied).toBe(SMALL + 1);
  }, 120_000);
});

test('a manifest that cannot be written fails the fan-out run with its error: no hang, not called a listing failure', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[`k${String(i).padStart(2, '0')}`] = 'long content';
  const src = await folder(files);
  const stores = [await folder({}), await folder({})];
  const { o: base } = mirrorOptions(src, stores[0]!, { mode: 'copy', transfers: 2, checkers: 2, partSize: PART });
  const { destination: _d, compare: _c, events, ...rest } = base;
  const warnings: string[] = [];
  let adds = 0;
  // A writer whose file filled up: its third entry fails.
  const full = {
    add: async () => {
      if (adds++ === 2) throw new Error('ENOSPC: no space left on device, write');
    },
  } as unknown as ManifestWriter;
  const o: FanOutOptions = {
    ...rest,
    mode: 'copy',
    destinations: stores,
    events: () => events,
    run: { info: () => undefined, warning: (m) => void warnings.push(m) },
    manifests: [{ writer: full }, undefined],
  };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 20_000)));
  const outcome = await Promise.race([mirrorFanOut(o).then(() => 'resolved', (e: unknown) => e), hung]);
  clearTimeout(timer);
  // Nothing was handed to the manifest after its failure.
  expect(adds).toBe(3);
  expect(String(outcome)).toMatch(/ENOSPC/);
  expect(warnings.filter((w) => /listing/.test(w))).toEqual([]);
}, 60_000);

describe('inputs', () => {
  const base = { source: 's3://src-bkt/p', transfers: '', mode: '' };
  const read = (inputs: Record<string, string>) => readMirrorBucketInputs(quietHost({ ...base, ...inputs }));

  test('destination or destinations, never both nor neither', () => {
    expect(read({ destination: 's3://aaa/p' }).destinations.map((d) => d.url)).toEqual(['s3://aaa/p']);
    const two = read({ destinations: 's3://aaa/p\ns3://bbb/p name=bee' });
    expect(two.destinations.map((d) => d.name)).toEqual(['s3://aaa/p', 'bee']);
    expect(two.destination.url).toBe('s3://aaa/p');
    expect(() => read({ destination: 's3://aaa/p', destinations: 's3://bbb/p' })).toThrow(/^inputs "destination" and "destinations": both are given/);
    expect(() => read({})).toThrow(/^inputs "destination" and "destinations": neither is given/);
    expect(() => read({ destinations: 's3://aaa/p\ns3://aaa/p/q' })).toThrow(/^input "destinations": lines 1 and 2: /);
    expect(() => read({ destinations: 's3://aaa/p\ns3://src-bkt/p/q' })).toThrow(/^inputs "source" and "destinations": /);
  });

  test('manifest with several destinations: cache, or one file a destination in their order; one file for several, a count that does not match or a file twice refused naming input, value and what is allowed', () => {
    const three = 's3://aaa/p\ns3://bbb/p\ns3://ccc/p';
    const cwd = quietHost({}).cwd;
    expect(read({ destinations: three, manifest: 'm/a.gz\nm/b.gz\nm/c.gz' }).manifest).toEqual({ kind: 'file', paths: ['a', 'b', 'c'].map((n) => path.resolve(cwd, `m/${n}.gz`)) });
    expect(read({ destination: 's3://aaa/p', manifest: 'm/a.gz' }).manifest).toEqual({ kind: 'file', paths: [path.resolve(cwd, 'm/a.gz')] });
    const allowed = 'allowed: none, cache, or 3 file paths, one a line, one a destination in the order of input "destinations"';
    const refused = (manifest: string, destinations = three) => {
      try {
        read({ destinations, manifest });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigurationError);
        return (e as Error).message;
      }
      throw new Error(`manifest ${JSON.stringify(manifest)} was accepted`);
    };
    expect(refused('m/all.gz')).toBe(`input "manifest": "m/all.gz" is one file for 3 destination(s), and a manifest records one pair of stores; ${allowed}`);
    expect(refused('m/a.gz\nm/b.gz')).toMatch(/^input "manifest": "m\/a\.gz\\nm\/b\.gz" is 2 lines for 3 destination\(s\), .*; allowed: none, cache, or 3 file paths/);
    // A keyword among paths is named as such, whatever the count.
    expect(refused('m/a.gz\ncache\nm/c.gz')).toBe(`input "manifest": "m/a.gz\\ncache\\nm/c.gz": line 2 is "cache", which stands alone as the whole value, not among file paths; ${allowed}`);
    expect(refused('none\nm/b.gz')).toMatch(/^input "manifest": .*: line 1 is "none", which stands alone .*; allowed: none, cache, or 3 file paths/);
    expect(refused('m/a.gz\nm/b.gz\n./m/a.gz')).toMatch(/^input "manifest": .*: line 3 names the file of line 1 again, .*, each a different file$/);
    // Line numbers are those of the value as given: comment and blank lines count.
    expect(refused('m/a.gz\n# the second\nm/b.gz\n\nm/a.gz')).toMatch(/^input "manifest": .*: line 5 names the file of line 1 again, /);
    // One destination's temporary file is no other's manifest.
    expect(refused('m/a.gz\nm/b.gz\nm/a.gz.tmp')).toBe(`input "manifest": "m/a.gz\\nm/b.gz\\nm/a.gz.tmp": line 3 names the temporary file of line 1 (its path plus ".tmp", written while the run lasts); ${allowed}, none another's path plus ".tmp"`);
    expect(() => read({ destination: 's3://aaa/p', manifest: 'm/a.gz\nm/b.gz' })).toThrow(/^input "manifest": .* is 2 lines for 1 destination\(s\), .*; allowed: none, cache, or one file path$/);
  });

  test('require is read as upload-image reads it, against the number of destinations', () => {
    expect(read({ destinations: 's3://aaa/p\ns3://bbb/p\ns3://ccc/p' }).require).toEqual({ kind: 'all' });
    expect(read({ destinations: 's3://aaa/p\ns3://bbb/p\ns3://ccc/p', require: 'any' }).require).toEqual({ kind: 'any' });
    expect(read({ destinations: 's3://aaa/p\ns3://bbb/p\ns3://ccc/p', require: '2' }).require).toEqual({ kind: 'count', count: 2 });
    for (const bad of ['4', '0', 'most', '-1']) {
      const e = (() => {
        try {
          read({ destinations: 's3://aaa/p\ns3://bbb/p\ns3://ccc/p', require: bad });
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(ConfigurationError);
      expect((e as Error).message).toMatch(new RegExp(`^input "require": "${bad}" is (out of range|not allowed); allowed: all, any, or a number from 1 to 3`));
    }
    expect(() => read({ destination: 's3://aaa/p', require: '2' })).toThrow(/^input "require": "2" is out of range; allowed: all, any, or a number from 1 to 1/);
  });

  test('a feature not carried to several destinations is refused by name; with one destination it stays', () => {
    const two = 's3://aaa/p\ns3://bbb/p';
    for (const [input, value] of [['mode', 'check'], ['compare', 'content'], ['digest-in-key', 'quay'], ['publish-last', '**/repomd.xml'], ['delete-delay', '1m']] as const) {
      const extra: Record<string, string> = input === 'delete-delay' ? { mode: 'sync' } : {};
      expect(() => read({ destinations: two, [input]: value, ...extra })).toThrow(new RegExp(`^input "${input}": "${value.replace(/[*./]/g, '\\$&')}" is given with input "destinations" \\(2 stores\\), but .*; allowed with several destinations: modes copy and sync`));
      expect(() => read({ destination: 's3://aaa/p', [input]: value, ...extra })).not.toThrow();
    }
    expect(read({ destinations: two, mode: 'plan-shards' }).mode).toBe('plan-shards');
    expect(read({ destinations: two, manifest: 'cache' }).manifest).toEqual({ kind: 'cache' });
    expect(read({ destinations: two, manifest: 'none' }).manifest).toEqual({ kind: 'none' });
    expect(read({ destinations: two, mode: 'sync', shard: '2/4', 'backup-prefix': 'deleted/', 'max-delete': '5' }).shard.index).toBe(2);
  });
});
