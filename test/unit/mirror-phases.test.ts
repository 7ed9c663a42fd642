/**
 * Ordered publication: which phase a key belongs to (held to a glob reader written here), the
 * engine's order of writes and deletions over folder stores (generated trees with failures at any
 * key), dry run, check mode, the manifest entries of late phases, the delete delay, and the inputs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectStore } from '../../src/storage/object-store';
import { ManifestReader, ManifestWriter } from '../../src/sync/manifest';
import { mirror } from '../../src/sync/mirror';
import { phaseOf, type Publication } from '../../src/sync/phases';
import { parsePublishLast, readPublicationInputs } from '../../src/steps/mirror-bucket/publication-inputs';
import { parseDuration } from '../../src/config/duration';
import { ConfigurationError } from '../../src/config/configuration-error';
import { checkProperty } from '../helpers/property';
import { mirrorOptions } from '../helpers/mirror-options';
import { quietHost } from '../helpers/quiet-host';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'phases-'));

// ---- The reference: a glob read by backtracking over the key, written apart from src/acl/glob ----

/** Whether `glob` (`**`, `*`, `?` and literal characters only) matches all of `key`. */
function globMatches(glob: string, key: string): boolean {
  if (glob === '') return key === '';
  if (glob.startsWith('**/')) {
    const rest = glob.slice(3);
    // No folder at all, or any run of folders: try after every '/'.
    if (globMatches(rest, key)) return true;
    for (let i = 0; i < key.length; i++) if (key[i] === '/' && globMatches(rest, key.slice(i + 1))) return true;
    return false;
  }
  if (glob.startsWith('**')) {
    for (let i = 0; i <= key.length; i++) if (globMatches(glob.slice(2), key.slice(i))) return true;
    return false;
  }
  if (glob[0] === '*') {
    for (let i = 0; i <= key.length; i++) {
      if (globMatches(glob.slice(1), key.slice(i))) return true;
      if (key[i] === '/') return false;
    }
    return false;
  }
  if (glob[0] === '?') return key !== '' && key[0] !== '/' && globMatches(glob.slice(1), key.slice(1));
  return key[0] === glob[0] && globMatches(glob.slice(1), key.slice(1));
}

/** The phase as the input's documentation says it: the last line matching, 0 for none. */
function referencePhase(globs: readonly string[], key: string): number {
  let phase = 0;
  globs.forEach((g, i) => {
    if (globMatches(g, key)) phase = i + 1;
  });
  return phase;
}

const SEGMENTS = ['repodata', 'repomd.xml', 'primary.xml.gz', 'a.rpm', 'b-1.rpm', 'Packages', 'x', 'os', 'r'];
const keyArb = fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
const PIECES = ['**/', '**', '*', '?', '/', 'repodata', 'repomd.xml', '*.rpm', '.xml', 'x', 'r', 'Packages/', 'a'];
const WHOLE = ['**', '**/repodata/**', '**/repomd.xml', '**/*.rpm', '*/repodata/*', 'repodata/**', '**/r/**', 'x/**', '**/Packages/*', '**/*.xml*'];
// Whole globs a user would write (so that keys often match several lines), and generated ones.
const globArb = fc.oneof(fc.constantFrom(...WHOLE), fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 5 }).map((p) => p.join('')));

test('a key goes to the last publish-last line that matches it, 0 when none does (held to a reference glob reader)', async () => {
  let nonZero = 0;
  let several = 0;
  await checkProperty(
    'publish-last phase of a key',
    fc.property(fc.uniqueArray(globArb, { minLength: 0, maxLength: 5 }), fc.array(keyArb, { minLength: 1, maxLength: 20 }), (globs, keys) => {
      const parsed = parsePublishLast(globs.join('\n'));
      expect(parsed.map((p) => p.glob)).toEqual(globs);
      for (const key of keys) {
        const want = referencePhase(globs, key);
        if (want > 0) nonZero++;
        if (globs.filter((g) => globMatches(g, key)).length > 1) several++;
        expect([key, phaseOf(parsed, key)]).toEqual([key, want]);
      }
    }),
    1000,
  );
  // The cases must reach both branches: keys in a later phase, and keys matching several lines.
  console.log(`[property] publish-last phase of a key: ${nonZero} keys in a later phase, ${several} matching several lines`);
  expect(nonZero).toBeGreaterThan(500);
  expect(several).toBeGreaterThan(100);
});

test('the package-mirror lines put repodata after the packages and repomd.xml after the rest of repodata', () => {
  const last = parsePublishLast('**/repodata/**\n**/repomd.xml\n');
  expect(phaseOf(last, 'f42/x86_64/os/Packages/a/a-1.rpm')).toBe(0);
  expect(phaseOf(last, 'f42/x86_64/os/repodata/abc-primary.xml.gz')).toBe(1);
  expect(phaseOf(last, 'f42/x86_64/os/repodata/repomd.xml')).toBe(2);
  expect(phaseOf(last, 'repodata/repomd.xml')).toBe(2);
});

// ---- The engine over folder stores ----

interface Event {
  readonly what: 'start' | 'end' | 'delete';
  readonly key: string;
}

/** A folder store that records when each write starts and ends and each deletion, in one sequence. */
function recording(s: ObjectStore, events: Event[]): ObjectStore {
  return Object.assign(Object.create(s) as ObjectStore, {
    canCopyFrom: () => false,
    put: async (...args: Parameters<ObjectStore['put']>) => {
      events.push({ what: 'start', key: args[0] });
      // A write takes a while, so that writes of one phase overlap.
      await new Promise((r) => setTimeout(r, 1));
      const r = await s.put(...args);
      events.push({ what: 'end', key: args[0] });
      return r;
    },
    delete: async (key: string) => {
      events.push({ what: 'delete', key });
      return s.delete(key);
    },
  });
}

/** A source whose reads of `failing` keys fail. */
function failingReads(s: ObjectStore, failing: ReadonlySet<string>): ObjectStore {
  return Object.assign(Object.create(s) as ObjectStore, {
    read: async (key: string) => {
      if (failing.has(key)) throw new Error(`GET ${key}: 500 InternalError`);
      return s.read(key);
    },
  });
}

async function store(files: Record<string, string>): Promise<LocalStore> {
  const s = new LocalStore(tmp());
  for (const [k, v] of Object.entries(files)) await s.put(k, Buffer.from(v), sha(Buffer.from(v)), { visibility: 'public' });
  return s;
}

const PUBLICATION: Publication = { last: parsePublishLast('**/repodata/**\n**/repomd.xml'), deleteDelayMs: 0 };

test('the engine writes each phase after every write of the phases before it, and a failure stops the later phases and every deletion', async () => {
  let failedCases = 0;
  let stoppedBeforeALaterPhase = 0;
  let deletedCases = 0;
  const tree = fc.uniqueArray(fc.constantFrom<string>('Packages/a.rpm', 'Packages/b.rpm', 'Packages/c.rpm', 'x/repodata/p.xml', 'x/repodata/repomd.xml', 'repodata/f.xml', 'repodata/repomd.xml', 'z.txt', 'repodata/old.xml'), { maxLength: 9 });
  await checkProperty(
    'ordered publication over folder stores',
    fc.asyncProperty(tree, tree, fc.array(fc.nat(8), { maxLength: 2 }), fc.constantFrom<'copy' | 'sync'>('copy', 'sync'), async (srcKeys, dstKeys, failAt, mode) => {
      const source = await store(Object.fromEntries(srcKeys.map((k) => [k, `new ${k}`])));
      const destination = await store(Object.fromEntries(dstKeys.map((k) => [k, `old ${k}`])));
      const failing = new Set(failAt.map((i) => srcKeys[i]).filter((k): k is string => k !== undefined));
      const events: Event[] = [];
      const { o } = mirrorOptions(failingReads(source, failing), recording(destination, events), { mode, transfers: 3, publication: PUBLICATION });
      const r = await mirror(o);
      const phase = (k: string) => phaseOf(PUBLICATION.last, k);
      // Ends of each phase's writes come before any start of a later phase's.
      const lastEnd = new Map<number, number>();
      events.forEach((e, i) => e.what === 'end' && lastEnd.set(phase(e.key), i));
      events.forEach((e, i) => {
        if (e.what !== 'start') return;
        for (const [p, at] of lastEnd) if (p < phase(e.key)) expect([e.key, i > at]).toEqual([e.key, true]);
      });
      // What must have been written: every source key, unless a failure stopped its phase.
      const failedPhases = [...failing].map(phase);
      const firstFailed = failedPhases.length === 0 ? Infinity : Math.min(...failedPhases);
      const started = new Set(events.filter((e) => e.what === 'start').map((e) => e.key));
      for (const k of srcKeys) {
        // A failing key fails at its read, before its write starts.
        const due = phase(k) <= firstFailed && !failing.has(k);
        expect([k, started.has(k)]).toEqual([k, due]);
      }
      const deleted = events.filter((e) => e.what === 'delete');
      if (failing.size > 0) {
        failedCases++;
        expect(deleted).toEqual([]);
        expect(r.complete).toBe(false);
        if (srcKeys.some((k) => phase(k) > firstFailed)) {
          stoppedBeforeALaterPhase++;
          expect(r.phases?.stopped?.phase).toBeGreaterThan(firstFailed);
          expect(r.phases?.stopped?.reason).toMatch(new RegExp(`^phase ${firstFailed} had \\d+ failure`));
        }
      } else {
        expect(r.complete).toBe(true);
        const extra = dstKeys.filter((k) => !srcKeys.includes(k));
        expect(deleted.map((e) => e.key).sort()).toEqual(mode === 'sync' ? extra.sort() : []);
        if (deleted.length > 0) deletedCases++;
        // Deletions come after every write.
        const lastWrite = events.map((e) => e.what).lastIndexOf('end');
        for (const e of deleted) expect(events.indexOf(e)).toBeGreaterThan(lastWrite);
      }
    }),
    150,
  );
  expect(failedCases).toBeGreaterThan(40);
  expect(stoppedBeforeALaterPhase).toBeGreaterThan(20);
  expect(deletedCases).toBeGreaterThan(20);
});

test('a failure in phase 0 writes nothing of phase 1 or 2, deletes nothing, and the report says which phase stopped', async () => {
  const source = await store({ 'Packages/a.rpm': 'a', 'Packages/b.rpm': 'b', 'repodata/p.xml': 'p', 'repodata/repomd.xml': 'm' });
  const destination = await store({ 'Packages/old.rpm': 'old', 'repodata/repomd.xml': 'old index' });
  const events: Event[] = [];
  const { o, lines } = mirrorOptions(failingReads(source, new Set(['Packages/b.rpm'])), recording(destination, events), { publication: PUBLICATION });
  const r = await mirror(o);
  expect(events.filter((e) => e.what === 'start').map((e) => e.key)).toEqual(['Packages/a.rpm']);
  expect(r.phases?.stopped).toEqual({ phase: 1, reason: expect.stringMatching(/^phase 0 had 1 failure\(s\) \(first: Packages\/b\.rpm: copy: GET Packages\/b\.rpm: 500 InternalError\)$/) });
  expect(r.phases?.rows.map((row) => [row.phase, row.due, row.written, row.failed, row.state])).toEqual([
    [0, 2, 1, 1, 'failed'],
    [1, 1, 0, 0, 'not started'],
    [2, 1, 0, 0, 'not started'],
  ]);
  expect(r.deletionsWithheld).toMatch(/object\(s\) failed/);
  expect(lines).toContainEqual(['*', 'repodata/repomd.xml']);
  expect(fs.readFileSync(path.join(destination.root, 'repodata/repomd.xml'), 'utf8')).toBe('old index');
  expect(fs.existsSync(path.join(destination.root, 'Packages/old.rpm'))).toBe(true);
});

test('an interrupt during a phase starts no later phase and deletes nothing', async () => {
  const source = await store({ 'Packages/a.rpm': 'a', 'repodata/p.xml': 'p', 'repodata/repomd.xml': 'm' });
  const destination = await store({ 'Packages/old.rpm': 'old' });
  const events: Event[] = [];
  let interrupted = false;
  const rec = recording(destination, events);
  const interrupting = Object.assign(Object.create(rec) as ObjectStore, {
    put: async (...a: Parameters<ObjectStore['put']>) => {
      if (a[0] === 'repodata/p.xml') interrupted = true;
      return rec.put(...a);
    },
  });
  const { o } = mirrorOptions(source, interrupting, { publication: PUBLICATION, stopped: () => interrupted });
  const r = await mirror(o);
  expect(events.filter((e) => e.what === 'start').map((e) => e.key)).toEqual(['Packages/a.rpm', 'repodata/p.xml']);
  expect(r.phases?.stopped).toEqual({ phase: 2, reason: 'the run was interrupted' });
  expect(r.counts.deleted).toBe(0);
  expect(r.complete).toBe(false);
});

test('a dry run shows each object with its phase and writes nothing; check mode ignores the phases', async () => {
  const source = await store({ 'Packages/a.rpm': 'a', 'repodata/p.xml': 'p', 'repodata/repomd.xml': 'm' });
  const destination = await store({ 'Packages/old.rpm': 'old' });
  const details: string[] = [];
  const info: string[] = [];
  const events = { info: (m: string) => info.push(m), debug: () => undefined, warning: () => undefined, line: (m: string, k: string, d: string) => details.push(`${m} ${k}: ${d}`) };
  const { o } = mirrorOptions(source, destination, { dryRun: true, publication: PUBLICATION, events });
  const r = await mirror(o);
  expect(details).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^\+ Packages\/a\.rpm: only in the source: would be copied \(dry run\)/),
      expect.stringMatching(/^\+ repodata\/p\.xml: only in the source: would be copied \(dry run\).* \[phase 1\]$/),
      expect.stringMatching(/^\+ repodata\/repomd\.xml: only in the source: would be copied \(dry run\).* \[phase 2\]$/),
      expect.stringMatching(/^- Packages\/old\.rpm: only in the destination: would be deleted \(dry run\)$/),
    ]),
  );
  expect(info).toEqual(expect.arrayContaining([expect.stringMatching(/^phase 1 \(\*\*\/repodata\/\*\*\): 1 object\(s\) to write \(dry run/)]));
  expect(r.phases?.rows.map((row) => [row.phase, row.written, row.state])).toEqual([
    [0, 1, 'done'],
    [1, 1, 'done'],
    [2, 1, 'done'],
  ]);
  expect((await destination.head('repodata/repomd.xml')) ?? null).toBeNull();

  const checkInfo: string[] = [];
  const check = mirrorOptions(source, destination, { mode: 'check', publication: PUBLICATION, events: { ...events, info: (m: string) => checkInfo.push(m) } });
  const c = await mirror(check.o);
  expect(c.phases).toBeUndefined();
  expect(c.counts.missing).toBe(3);
  expect(checkInfo).toContain('check mode writes nothing: the publish-last phases change nothing here');
});

test('manifest entries of objects written in later phases are merged into the manifest in key order, and prove the pairs next time', async () => {
  const dir = tmp();
  const file = path.join(dir, 'manifest.gz');
  const big = Buffer.alloc(6 * 1024 * 1024, 7);
  // Multipart copies get ETags that differ from the source's: only the manifest proves them equal.
  const source = new LocalStore(tmp());
  const keys = ['a.rpm', 'repodata/p.xml', 'repodata/repomd.xml', 'z.rpm'];
  for (const k of keys) await source.put(k, Buffer.concat([big, Buffer.from(k)]), sha(Buffer.concat([big, Buffer.from(k)])), { visibility: 'public', metadata: {} });
  const destination = new LocalStore(tmp());
  const identity = { source: 'src', destination: 'dst' };
  const writer = new ManifestWriter(file, identity);
  const { o } = mirrorOptions(source, destination, { mode: 'copy', publication: PUBLICATION, manifestOut: writer, partSize: 5 * 1024 * 1024 });
  const r = await mirror(o);
  expect(r.counts.copied).toBe(4);
  await writer.close();
  const opened = await ManifestReader.open(file, identity);
  const found: string[] = [];
  for (let e = await opened.reader!.peek(); e; e = await opened.reader!.peek()) {
    found.push(e.key);
    opened.reader!.take();
  }
  // Whatever the stores' ETags, the file is in key order with no key twice.
  expect(found).toEqual(keys);
  const again = await ManifestReader.open(file, identity);
  const next = mirrorOptions(source, destination, { mode: 'copy', publication: PUBLICATION, manifest: again.reader });
  const r2 = await mirror(next.o);
  expect(r2.counts.copied + r2.counts.updated).toBe(0);
  expect(r2.counts.matched).toBe(4);
  expect(r2.methods.manifest).toBe(4);
});

test('delete-delay waits between the last write and the first deletion; an interrupt during it withholds every deletion', async () => {
  const source = await store({ 'repodata/repomd.xml': 'new' });
  const mk = () => store({ 'repodata/repomd.xml': 'old', 'Packages/gone.rpm': 'x' });
  const destination = await mk();
  const events: Event[] = [];
  const at: number[] = [];
  const rec = recording(destination, events);
  const timed = Object.assign(Object.create(rec) as ObjectStore, {
    put: async (...a: Parameters<ObjectStore['put']>) => {
      const r = await rec.put(...a);
      at.push(Date.now());
      return r;
    },
    delete: async (k: string) => {
      at.push(Date.now());
      return rec.delete(k);
    },
  });
  const { o } = mirrorOptions(source, timed, { publication: { ...PUBLICATION, deleteDelayMs: 600 } });
  const r = await mirror(o);
  expect(r.counts).toMatchObject({ updated: 1, deleted: 1 });
  expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(590);

  const other = await mk();
  let interrupted = false;
  setTimeout(() => (interrupted = true), 200);
  const stopped = mirrorOptions(source, other, { publication: { ...PUBLICATION, deleteDelayMs: 5000 }, stopped: () => interrupted });
  const started = Date.now();
  const s = await mirror(stopped.o);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(s.counts.deleted).toBe(0);
  expect(s.complete).toBe(false);
  expect(s.deletionsWithheld).toMatch(/interrupted during the delete delay/);
  expect(fs.existsSync(path.join(other.root, 'Packages/gone.rpm'))).toBe(true);
});

// ---- Inputs ----

test('publish-last and delete-delay are parsed strictly, each error naming the input, the value and what is allowed', () => {
  const read = (inputs: Record<string, string>, mode = 'sync', shards = 1) => () => readPublicationInputs(quietHost(inputs), mode, shards);
  expect(read({})()).toBeUndefined();
  expect(read({ 'publish-last': '**/repodata/**\n# comment\n\n**/repomd.xml' })()?.last.map((g) => g.glob)).toEqual(['**/repodata/**', '**/repomd.xml']);
  expect(read({ 'delete-delay': '10m' })()).toEqual({ last: [], deleteDelayMs: 600_000 });
  const bad: [Record<string, string>, RegExp, string?, number?][] = [
    [{ 'publish-last': '[abc' }, /^input "publish-last": glob "\[abc": glob "\[abc" has a '\[' without its '\]'$/],
    [{ 'publish-last': '**/repomd.xml\n**/repomd.xml' }, /^input "publish-last": glob "\*\*\/repomd\.xml" is given twice; allowed: each glob once/],
    [{ 'publish-last': Array.from({ length: 21 }, (_, i) => `p${i}/**`).join('\n') }, /^input "publish-last": 21 lines given; allowed: at most 20 globs/],
    [{ 'delete-delay': '30' }, /^input "delete-delay": "30" is not a duration; allowed: 0, or a whole number of seconds, minutes or hours with its unit \(s, m, h\), such as 90s or 10m, up to 21600 s$/],
    [{ 'delete-delay': '1.5h' }, /^input "delete-delay": "1\.5h" is not a duration/],
    [{ 'delete-delay': '7h' }, /^input "delete-delay": "7h" is too long; allowed: /],
    [{ 'delete-delay': '-5s' }, /^input "delete-delay": "-5s" is not a duration/],
    [{ 'delete-delay': '5m' }, /^input "delete-delay": "5m" is given in copy mode, which deletes nothing; allowed: 0, or a delay with mode: sync$/, 'copy'],
    // Each shard would publish and delete its own range only: another's index could land first.
    [{ 'publish-last': '**/repomd.xml' }, /^input "publish-last": "\*\*\/repomd\.xml" is given with input "shard" \(4 shards\), but ordered publication holds only within one run over the whole tree; allowed: /, 'sync', 4],
    [{ 'delete-delay': '10m' }, /^input "delete-delay": "10m" is given with input "shard" \(2 shards\)/, 'sync', 2],
  ];
  for (const [inputs, message, mode, shards] of bad) {
    let error: unknown;
    try {
      read(inputs, mode, shards)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  }
  expect(parseDuration('0')).toBe(0);
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('6h')).toBe(21_600_000);
});

test('the manifest takes the late entries of a first sync whose later phases wrote hundreds of thousands of objects', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'late-'));
  const identity = { source: 'src', destination: 'dst' };
  const writer = new ManifestWriter(path.join(dir, 'manifest.gz'), identity);
  const late = Array.from({ length: 300_000 }, (_, i) => ({ key: `dists/${String(i).padStart(6, '0')}`, sourceEtag: 's', size: 1, destinationEtag: 'd' }));
  expect(() => writer.addLate(late)).not.toThrow();
  await writer.close();
  const opened = await ManifestReader.open(path.join(dir, 'manifest.gz'), identity);
  let n = 0;
  for (let e = await opened.reader!.peek(); e; e = await opened.reader!.peek(), n++) opened.reader!.take();
  expect(n).toBe(300_000);
});
