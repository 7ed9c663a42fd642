import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStore } from '../../src/storage/local-store';
import { RateLimiter } from '../../src/storage/rate-limit';
import { RateLimitedStore, unwrapStore } from '../../src/storage/rate-limited-store';
import { describeStoreContract } from '../helpers/store-contract';

const sha = (b: Buffer) => createHash('sha256').update(b).digest();
const folder = () => new LocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'rl-')));

// A capped store is still a store: the whole contract holds through the wrapper.
describeStoreContract('rate-limited folder', async () => new RateLimitedStore(folder(), new RateLimiter({ rate: 0 })));

test('every request takes a token first, at the cap given', async () => {
  let clock = 0;
  const slept: number[] = [];
  const limiter = new RateLimiter({
    rate: 10,
    burst: 1,
    now: () => clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
  });
  const store = new RateLimitedStore(folder(), limiter);
  const body = Buffer.from('x');
  await store.preflight();
  await store.put('a', body, sha(body), { visibility: 'private' });
  await store.head('a');
  await store.get('a');
  const w = await store.startMultipart('b', { visibility: 'private' });
  await w.writePart(1, body, sha(body));
  await w.complete();
  for await (const page of store.listPages()) void page;
  await store.delete('a');
  // 10 requests at 10/s with a burst of 1: the first goes at once, each later one waits 100 ms.
  expect(slept.length).toBe(9);
  expect(clock).toBe(900);
});

test('the store underneath is what server-side copies compare', () => {
  const inner = folder();
  const capped = new RateLimitedStore(new RateLimitedStore(inner, new RateLimiter({ rate: 0 })), new RateLimiter({ rate: 0 }));
  expect(unwrapStore(capped)).toBe(inner);
  expect(unwrapStore(inner)).toBe(inner);
});
