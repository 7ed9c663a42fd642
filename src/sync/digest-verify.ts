/**
 * Content-addressed verification in the mirror (`digest-in-key`): a key that names the sha256 of
 * its content is held to it. A copy hashes every byte it reads and writes nothing that does not
 * match; check mode proves a pair by reading the destination alone; a source whose content does
 * not match its own name is corrupt: reported, never copied, and the run fails with nothing deleted.
 */
import type { ObjectInfo } from '../storage/object-store';
import { contentSha256 } from '../operations/copy-object';
import type { Verdict } from './compare';
import type { Pair } from './march';
import type { Ctx } from './mirror-context';
import type { MirrorOptions, MirrorReport } from './mirror-types';

const MAX_KEPT = 100;

export interface DigestCounts {
  /** Objects copied whose bytes hashed to the digest their key names. */
  verified: number;
  /** Pairs proven by reading the destination: it hashed to the digest its key names. */
  proven: number;
  /** Source objects whose content does not hash to the digest their key names: not copied. */
  corrupt: number;
  /** Keys of the layout's shape that break it (such as a blob under the wrong shard folder): not copied. */
  malformed: number;
  /** Source keys the rule does not address: copied and compared as without the rule. */
  unaddressed: number;
  /** The first corrupt and malformed keys, with what was found. */
  readonly found: { key: string; kind: 'corrupt' | 'malformed'; reason: string }[];
}

export function newDigestCounts(): DigestCounts {
  return { verified: 0, proven: 0, corrupt: 0, malformed: 0, unaddressed: 0, found: [] };
}

/** The sha256 `key` names under the run's rule; `undefined` without a rule or for a key it does not address. */
export function digestNamed(o: MirrorOptions, key: string): string | undefined {
  const d = o.digest?.digestOf(key);
  return d?.kind === 'sha256' ? d.sha256 : undefined;
}

/**
 * Looks at a pair's source key first: counts a key the rule does not address, and settles a
 * malformed one (reported, never copied nor compared). True when it settled the pair.
 */
export function screenDigest(ctx: Ctx, pair: Pair): boolean {
  const counts = ctx.report.digest;
  if (!counts || !pair.source) return false;
  const d = ctx.o.digest!.digestOf(pair.key, pair.source.size);
  if (d.kind === 'none') counts.unaddressed++;
  if (d.kind !== 'malformed') return false;
  counts.malformed++;
  keep(counts, pair.key, 'malformed', d.reason);
  ctx.o.events.line('!', pair.key, `malformed content-addressed key (${d.reason}): not ${ctx.o.mode === 'check' ? 'checked' : 'copied'}`);
  return true;
}

/**
 * Decides a same-size pair by the digest its key names: the destination is read, and proves the
 * pair when it hashes to the digest. Otherwise check mode reads the source too: one that does not
 * hash to the digest is corrupt (`corrupt` says so); copy and sync copy it again, which verifies it.
 */
export async function digestVerdict(ctx: Ctx, src: ObjectInfo, dst: ObjectInfo, sha256: string): Promise<Verdict> {
  if (src.size !== dst.size) return { same: false, method: 'size' };
  if ((await contentSha256(ctx.o.destination, dst.key)) === sha256) {
    ctx.report.digest!.proven++;
    return { same: true, method: 'digest' };
  }
  if (ctx.o.mode !== 'check') return { same: false, method: 'digest' };
  const got = await contentSha256(ctx.o.source, src.key);
  return got === sha256 ? { same: false, method: 'digest' } : { same: false, method: 'digest', corrupt: `the content has sha256 ${got}, the key names ${sha256}` };
}

/** Reports a source object whose content does not match its name. */
export function recordCorrupt(ctx: Ctx, key: string, reason: string): void {
  const counts = ctx.report.digest!;
  counts.corrupt++;
  keep(counts, key, 'corrupt', reason);
  ctx.o.events.line('#', key, `corrupt in the source (${reason}): not copied`);
}

/** Why the run is not complete and may delete nothing on account of the digests; `undefined` when nothing was found. */
export function digestWithheld(report: MirrorReport): string | undefined {
  const d = report.digest;
  if (!d || d.corrupt + d.malformed === 0) return undefined;
  return `${d.corrupt} corrupt source object(s) and ${d.malformed} malformed content-addressed key(s)`;
}

function keep(counts: DigestCounts, key: string, kind: 'corrupt' | 'malformed', reason: string): void {
  if (counts.found.length < MAX_KEPT) counts.found.push({ key, kind, reason });
}
