/**
 * The streamed copy's own bookkeeping: the interrupt handler it registers for a multipart write is
 * gone again however the write ends, also when no store could start an upload at all.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ByteBudget } from '../../src/flow/byte-budget';
import { streamCopy } from '../../src/operations/stream-copy';
import { LocalStore } from '../../src/storage/local-store';
import type { ObjectStore } from '../../src/storage/object-store';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'stream-copy-'));

function refusingStarts(s: LocalStore): ObjectStore {
  return Object.assign(Object.create(s) as ObjectStore, { startMultipart: async () => Promise.reject(new Error('AccessDenied')) });
}

test.each([
  ['every store refuses to start', 2],
  ['one store refuses to start', 1],
])('a multipart write where %s leaves no interrupt handler behind', async (_, refusing) => {
  const source = new LocalStore(tmp());
  const body = Buffer.alloc(4096, 7);
  await source.put('big', body, createHash('sha256').update(body).digest(), { visibility: 'public' });
  const stores = [0, 1].map((i) => (i < refusing ? refusingStarts(new LocalStore(tmp())) : new LocalStore(tmp())));
  let registered = 0;
  const onInterrupt = () => {
    registered++;
    return () => void registered--;
  };
  const r = await streamCopy(source, stores, 'big', 'big', 'public', body.length, { partSize: 1024, budget: new ByteBudget(8192), partsInFlight: 2, onInterrupt });
  expect(r.outcomes.map((o) => o.ok)).toEqual([0, 1].map((i) => i >= refusing));
  expect(registered).toBe(0);
});
