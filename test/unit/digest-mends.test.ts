/**
 * Content-addressed keys in the mirror, the smaller cases: a `regex:` rule read across line breaks
 * and refused when it can backtrack without bound, a registry's folder marker, two equally corrupt
 * copies under `compare: content`, the phase a corrupt object stopped, and the one reading of why
 * deletions are withheld.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError } from '../../src/config/configuration-error';
import { LocalStore } from '../../src/storage/local-store';
import { parseDigestInKey } from '../../src/storage/digest-in-key';
import { mirror } from '../../src/sync/mirror';
import * as digestVerify from '../../src/sync/digest-verify';
import { deleteExtra } from '../../src/sync/delete-extra';
import type { Ctx } from '../../src/sync/mirror-context';
import { parsePublishLast } from '../../src/steps/mirror-bucket/publication-inputs';
import { writePhasesSummary } from '../../src/steps/mirror-bucket/phases-summary';
import type { Summary } from '../../src/runtime/summary';
import { mirrorOptions } from '../helpers/mirror-options';

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const quay = parseDigestInKey('quay')!;
const blobKey = (digest: string) => `registry/sha256/${digest.slice(0, 2)}/${digest}`;

async function store(objects: Record<string, Buffer>): Promise<LocalStore> {
  const s = new LocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'digest-mends-')));
  for (const [k, v] of Object.entries(objects)) await s.put(k, v, createHash('sha256').update(v).digest(), { visibility: 'public' });
  return s;
}

describe('regex: rules', () => {
  const digest = hex(Buffer.from('x'));

  test('a line break in a key does not take it out of an anchored pattern: `.` matches it too', () => {
    const rule = parseDigestInKey('regex:^images/.*-(?<sha256>[0-9a-f]{64})\\.qcow2$')!;
    expect(rule.digestOf(`images/a-${digest}.qcow2`)).toEqual({ kind: 'sha256', sha256: digest });
    // Without the s flag `.` stops at the line break, the key is not claimed, and it is copied unverified.
    expect(rule.digestOf(`images/a\nb-${digest}.qcow2`)).toEqual({ kind: 'sha256', sha256: digest });
    expect(rule.digestOf(`images/a\r\u2028-${digest}.qcow2`)).toEqual({ kind: 'sha256', sha256: digest });
  });

  test('a pattern that repeats a group holding a repetition (backtracking without bound) is refused, naming it', () => {
    const group = '(?<sha256>[0-9a-f]{64})';
    for (const nested of [`^(a+)+${group}$`, `^(?:[a-z]+/)*${group}$`, `^((x|y)*z)+${group}$`, `^(?:\\w{1,9}-)+${group}$`, `^(?:(?:a)*b){2,}${group}$`, `^(?:.*/)*${group}$`]) {
      let error: unknown;
      try {
        parseDigestInKey(`regex:${nested}`);
      } catch (e) {
        error = e;
      }
      expect([nested, error instanceof ConfigurationError]).toEqual([nested, true]);
      expect((error as Error).message).toMatch(/repeats a group that itself repeats/);
    }
    // Repetition inside a group that is not repeated, a fixed count, a class, an escaped paren: allowed.
    for (const fine of [`^(?:blobs/${group}|legacy/[a-z]+)\\.bin$`, `^(?:[a-z]/)*${group}$`, `^(?:ab{2})+${group}$`, `^[(+]*\\(a+\\)*${group}$`, `^(?:x)?${group}(?:\\.[a-z]+)?$`]) {
      expect([fine, parseDigestInKey(`regex:${fine}`)?.name]).toEqual([fine, `regex:${fine}`]);
    }
  });
});

test('a pattern with more than three unbounded repetitions is refused, naming how many; three are allowed', () => {
  const group = '(?<sha256>[0-9a-f]{64})';
  expect(() => parseDigestInKey(`regex:^.*.*.*.*-${group}$`)).toThrow(/has 4 unbounded repetitions \(\*, \+ or \{n,\}\), .* at most 3 are allowed/);
  expect(() => parseDigestInKey(`regex:^[a-z]+-x{2,}-\\d+-.*/${group}$`)).toThrow(/has 4 unbounded repetitions/);
  const fine = `regex:^(?<os>.*)-(?<ver>.*)-(?<arch>[^/]{1,64}?)-x{2,}-\\d{1,9}${group}$`;
  expect(parseDigestInKey(fine)?.name).toBe(fine);
});

describe('the quay preset', () => {
  test('a folder marker (a key ending in / of size 0) under sha256/ab/ is not malformed: it is copied as any other key', () => {
    expect(quay.digestOf('registry/sha256/ab/', 0)).toEqual({ kind: 'none' });
    // With content it is no marker: still malformed.
    expect(quay.digestOf('registry/sha256/ab/', 5)).toMatchObject({ kind: 'malformed' });
    const counts = digestVerify.newDigestCounts();
    const lines: string[] = [];
    const ctx = { report: { digest: counts }, o: { digest: quay, mode: 'copy', events: { line: (_m: string, k: string) => lines.push(k) } } } as unknown as Ctx;
    expect(digestVerify.screenDigest(ctx, { key: 'registry/sha256/ab/', source: { key: 'registry/sha256/ab/', size: 0 } })).toBe(false);
    expect(counts).toMatchObject({ malformed: 0, unaddressed: 1 });
    expect(digestVerify.screenDigest(ctx, { key: 'registry/sha256/cd/', source: { key: 'registry/sha256/cd/', size: 3 } })).toBe(true);
    expect(counts).toMatchObject({ malformed: 1 });
  });
});

describe('the mirror', () => {
  test('compare: content with digest-in-key: two equally corrupt copies are not in sync; the source is reported corrupt and nothing is deleted', async () => {
    const bad = randomBytes(500);
    const key = blobKey(hex(randomBytes(7)));
    const source = await store({ [key]: bad });
    const destination = await store({ [key]: bad, 'registry/extra': Buffer.from('x') });
    const { o } = mirrorOptions(source, destination, { digest: quay, compare: 'content' });
    const r = await mirror(o);
    expect(r.counts.matched).toBe(0);
    expect(r.digest).toMatchObject({ corrupt: 1 });
    expect(r.digest!.found).toEqual([expect.objectContaining({ key, kind: 'corrupt' })]);
    expect(r.deletionsWithheld).toMatch(/1 corrupt source object/);
    expect(r.complete).toBe(false);
  });

  test('a phase that met a corrupt object says so, not "interrupted", in the report and the summary', async () => {
    const good = randomBytes(300);
    const bad = randomBytes(200);
    const corrupt = blobKey(hex(randomBytes(5)));
    const source = await store({ [blobKey(hex(good))]: good, [corrupt]: bad, 'registry/index': Buffer.from('i') });
    const destination = await store({});
    const publication = { last: parsePublishLast('registry/sha256/**\nregistry/index'), deleteDelayMs: 0 };
    const { o } = mirrorOptions(source, destination, { digest: quay, mode: 'copy', publication });
    const r = await mirror(o);
    const rows = r.phases!.rows;
    expect(rows[1]).toMatchObject({ phase: 1, due: 2, written: 1, failed: 0, corrupt: 1, state: 'corrupt source' });
    expect(rows[2]).toMatchObject({ phase: 2, state: 'not started' });
    const cells: string[][] = [];
    const summary = { heading: () => undefined, paragraph: () => undefined, table: (_h: string[], rs: string[][]) => void cells.push(...rs) } as unknown as Summary;
    writePhasesSummary(summary, r.phases, false);
    expect(cells[1]![6]).toBe('corrupt source (1 not written)');
    expect(cells.map((c) => c[6]).join(' ')).not.toMatch(/interrupted/);
  });

  test('why deletions are withheld on account of the digests is read once', async () => {
    const spy = jest.spyOn(digestVerify, 'digestWithheld');
    try {
      const report = { listingError: undefined, counts: { failed: 0, skipped: 0 }, digest: { ...digestVerify.newDigestCounts(), corrupt: 1 }, complete: true };
      const o = { events: { line: () => undefined, warning: () => undefined }, dryRun: false, transfers: 1 };
      await deleteExtra({ o, report, deletions: [{ key: 'a', size: 1 }] } as unknown as Ctx, false);
      expect(spy).toHaveBeenCalledTimes(1);
      expect((report as { deletionsWithheld?: string }).deletionsWithheld).toBe('no object deleted: 1 corrupt source object(s) and 0 malformed content-addressed key(s)');
    } finally {
      spy.mockRestore();
    }
  });
});

