/**
 * The check after a write, fail-closed: only a denial shows a private object private, only a 200
 * shows a public one readable, and a 404 for an object just written is settled by a signed HEAD.
 */
import { checkWritten, type AnonymousProbe } from '../../src/operations/verify-visibility';
import type { ObjectStore } from '../../src/storage/object-store';
import type { PublicAddress } from '../../src/storage/anonymous';

function fake(present: boolean | Error, address: boolean = true): ObjectStore {
  return {
    anonymousAddress: (key: string): PublicAddress | undefined => (address ? { protocol: 'https:', hostname: 'h.example', host: 'h.example', path: `/b/${key}` } : undefined),
    head: async (key: string) => {
      if (present instanceof Error) throw present;
      return present ? { key, size: 1, metadata: {} } : undefined;
    },
  } as unknown as ObjectStore;
}
const answer = (a: Awaited<ReturnType<AnonymousProbe>>): AnonymousProbe => async () => a;
const DENIED = answer({ access: 'denied', status: 403 });
const READABLE = answer({ access: 'readable', status: 200 });
const MISSING = answer({ access: 'missing', status: 404 });
const READABLE_MARKED = answer({ access: 'readable', status: 200, markedPrivate: true });
const FAILED = answer({ access: 'error', reason: 'ECONNRESET' });

test.each([
  ['private', DENIED, true, 'ok', undefined],
  ['private', READABLE, true, 'exposed', /^EXPOSED: private object is readable anonymously at https:\/\/h\.example\/b\/\.\/k$/],
  ['private', MISSING, true, 'unverified', /answered HTTP 404, yet a signed HEAD finds the object: its public address \(https:\/\/h\.example\/b\/\.\/k\) does not reach it, so it is not shown private/],
  ['private', MISSING, false, 'gone', /gone right after it was written/],
  ['private', MISSING, new Error('HTTP 500'), 'unverified', /a signed HEAD failed \(HTTP 500\): not shown private/],
  ['private', FAILED, true, 'unverified', /anonymous check failed \(ECONNRESET\): not shown private/],
  ['public', READABLE, true, 'ok', undefined],
  ['public', READABLE_MARKED, true, 'exposed', /^EXPOSED: readable anonymously at https:\/\/h\.example\/b\/\.\/k, yet it carries x-amz-meta-visibility: private \(it was written private\)$/],
  ['private', READABLE_MARKED, true, 'exposed', /^EXPOSED: private object/],
  ['public', DENIED, true, 'not-readable', /public object is not readable anonymously \(HTTP 403\)/],
  ['public', MISSING, true, 'unverified', /not shown readable/],
  ['public', FAILED, true, 'not-readable', /\(ECONNRESET\)/],
] as const)('%s, probe %#: %s', async (visibility, probe, present, verdict, reason) => {
  const r = await checkWritten(fake(present), './k', visibility, probe);
  expect(r.verdict).toBe(verdict);
  if (reason === undefined) expect(r).not.toHaveProperty('reason');
  else expect((r as { reason: string }).reason).toMatch(reason);
});

test('a store without an anonymous address (a folder) has nothing to check', async () => {
  expect(await checkWritten(fake(true, false), 'k', 'private', READABLE)).toEqual({ verdict: 'ok', access: 'n/a' });
});
