import { RateLimiter } from '../../src/storage/rate-limit';

/** A limiter on a fake clock whose sleeps advance the clock. */
function fake(rate: number, burst?: number) {
  let now = 0;
  const sleeps: number[] = [];
  const limiter = new RateLimiter({
    rate,
    burst,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { limiter, sleeps, advance: (ms: number) => (now += ms) };
}

test('no cap: never waits', async () => {
  const { limiter, sleeps } = fake(0);
  for (let i = 0; i < 100; i++) await limiter.take();
  expect(sleeps).toEqual([]);
  expect(limiter.unlimited).toBe(true);
});

test('a burst goes at once, then each request waits its turn: 100/s is one every 10 ms', async () => {
  const { limiter, sleeps } = fake(100, 5);
  await Promise.all(Array.from({ length: 10 }, () => limiter.take()));
  // Five from the burst, then five more spaced 10 ms apart, all waiting from the same instant.
  expect(sleeps.map((s) => Math.round(s))).toEqual([10, 20, 30, 40, 50]);
});

test('the average holds over time: 1,000 requests at 200/s take 5 s of clock', async () => {
  let now = 0;
  const limiter = new RateLimiter({ rate: 200, now: () => now, sleep: async (ms) => void (now += ms) });
  for (let i = 0; i < 1000; i++) await limiter.take();
  expect(now / 1000).toBeGreaterThan(4.8);
  expect(now / 1000).toBeLessThan(5.01);
});

test('tokens come back while idle, up to the burst only', async () => {
  const { limiter, sleeps, advance } = fake(10, 2);
  await limiter.take();
  await limiter.take();
  advance(10_000);
  await limiter.take();
  await limiter.take();
  expect(sleeps).toEqual([]);
  await limiter.take();
  expect(sleeps.map(Math.round)).toEqual([100]);
});
