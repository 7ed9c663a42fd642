// The operations layer: the multipart fan-out writer (bound on parts in flight, a failing store
// aborted while the others complete, nothing left open whatever happens, the interrupt cleanup),
// the stale-upload abort and the guarded private write, against small fake stores.
import fc from 'fast-check';
import { checkProperty } from '../helpers/property';
import { MultipartFanOut } from '../../src/operations/multipart-fan-out';
import { abortStaleUploads } from '../../src/operations/abort-stale';
import { PrivateWriteGuard } from '../../src/operations/private-write-guard';
import type { MultipartWrite, ObjectStore, WriteOptions } from '../../src/storage/object-store';

const tick = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const options: WriteOptions = { visibility: 'public' };

/** A store that records its multipart calls; `failPart` fails that part number, `failStart` the start. */
class FakeStore {
  started = 0;
  parts: number[] = [];
  inFlight = 0;
  peak = 0;
  completed = 0;
  aborted = 0;
  abortedWhileInFlight = 0;
  constructor(readonly opts: { failPart?: number; failStart?: boolean; failComplete?: boolean; failAbort?: boolean; delay?: (n: number) => number } = {}) {}
  asStore(): ObjectStore {
    return { startMultipart: (key: string, o: WriteOptions) => this.start(key, o) } as unknown as ObjectStore;
  }
  async start(_key: string, _o: WriteOptions): Promise<MultipartWrite> {
    await tick(1);
    if (this.opts.failStart) throw new Error('start refused');
    this.started++;
    return {
      writePart: async (n: number) => {
        this.inFlight++;
        this.peak = Math.max(this.peak, this.inFlight);
        await tick(this.opts.delay?.(n) ?? 1);
        this.inFlight--;
        if (n === this.opts.failPart) throw new Error(`part ${n} lost`);
        this.parts.push(n);
      },
      complete: async () => {
        if (this.opts.failComplete) throw new Error('complete refused');
        this.completed++;
        return { etag: `"etag-${this.parts.length}"` };
      },
      abort: async () => {
        if (this.inFlight > 0) this.abortedWhileInFlight++;
        this.aborted++;
        if (this.opts.failAbort) throw new Error('abort refused');
      },
    };
  }
}

async function writeAll(fan: MultipartFanOut<FakeStore>, parts: number): Promise<void> {
  for (let n = 1; n <= parts; n++) {
    if (!fan.live) break;
    await fan.send(n, Buffer.alloc(4, n), Buffer.alloc(32, n));
  }
  await fan.complete();
}

describe('MultipartFanOut', () => {
  test('property: parts in flight stay under the bound on every store; each store ends completed (every part once) or aborted, never both, never neither', async () => {
    await checkProperty(
      'fan-out bound and end state',
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ failPart: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }), failStart: fc.boolean(), failComplete: fc.boolean() }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(3), { minLength: 12, maxLength: 12 }),
        async (parts, bound, specs, delays) => {
          const stores = specs.map((s) => new FakeStore({ ...s, delay: (n) => delays[n - 1]! }));
          const fan = await MultipartFanOut.start(stores, (s) => s.asStore(), 'k', options, { partsInFlight: bound });
          try {
            await writeAll(fan, parts);
          } finally {
            await fan.close();
          }
          for (const [i, s] of stores.entries()) {
            const spec = specs[i]!;
            const w = fan.writes[i]!;
            expect(s.peak).toBeLessThanOrEqual(bound);
            expect(s.abortedWhileInFlight).toBe(0);
            if (spec.failStart) {
              expect(s.started + s.completed + s.aborted).toBe(0);
              expect(w.error).toBeDefined();
              continue;
            }
            const lost = spec.failPart !== undefined && spec.failPart <= parts;
            const good = !lost && !spec.failComplete;
            expect(s.completed).toBe(good ? 1 : 0);
            expect(s.aborted).toBe(good ? 0 : 1);
            expect(w.completed !== undefined).toBe(good);
            if (good) expect([...s.parts].sort((a, b) => a - b)).toEqual(Array.from({ length: parts }, (_, j) => j + 1));
          }
        },
      ),
      200,
    );
  });

  test('the interrupt cleanup is registered before any upload exists, aborts without waiting for parts, and is unregistered at the end', async () => {
    const store = new FakeStore({ delay: () => 50 });
    let cleanup: (() => Promise<void>) | undefined;
    let unregistered = false;
    const onInterrupt = (c: () => Promise<void>) => {
      expect(store.started).toBe(0);
      cleanup = c;
      return () => void (unregistered = true);
    };
    const fan = await MultipartFanOut.start([store], (s) => s.asStore(), 'k', options, { partsInFlight: 2, onInterrupt });
    expect(cleanup).toBeDefined();
    await fan.send(1, Buffer.alloc(1), Buffer.alloc(32));
    await cleanup!();
    expect(store.aborted).toBe(1);
    expect(store.abortedWhileInFlight).toBe(1);
    await fan.close();
    expect(store.aborted).toBe(1);
    expect(unregistered).toBe(true);
  });

  test('close() after a failure mid-way (the reader broke) waits for the parts in flight, then aborts', async () => {
    const store = new FakeStore({ delay: () => 30 });
    const fan = await MultipartFanOut.start([store], (s) => s.asStore(), 'k', options, { partsInFlight: 3 });
    await fan.send(1, Buffer.alloc(1), Buffer.alloc(32));
    await fan.send(2, Buffer.alloc(1), Buffer.alloc(32));
    expect(await fan.close()).toEqual([]);
    expect([store.aborted, store.abortedWhileInFlight, store.completed, store.inFlight]).toEqual([1, 0, 0, 0]);
  });

  test('a digest that fails fails every store; an abort that fails is reported, once', async () => {
    const a = new FakeStore({ failAbort: true });
    const b = new FakeStore();
    const fan = await MultipartFanOut.start([a, b], (s) => s.asStore(), 'k', options, { partsInFlight: 1 });
    await fan.send(1, Buffer.alloc(1), Promise.reject(new Error('hash broke')));
    await fan.drain();
    expect(fan.live).toBe(false);
    expect(fan.writes.map((w) => (w.error as Error).message)).toEqual(['hash broke', 'hash broke']);
    const failures = await fan.close();
    expect(failures.map((f) => [f.target, (f.error as Error).message])).toEqual([[a, 'abort refused']]);
    expect(await fan.close()).toEqual([]);
    expect([a.aborted, b.aborted, a.parts.length, b.parts.length]).toEqual([1, 1, 0, 0]);
  });

  test('reserve holds a place before the part exists; cancel gives it back', async () => {
    const store = new FakeStore({ delay: () => 20 });
    const fan = await MultipartFanOut.start([store], (s) => s.asStore(), 'k', options, { partsInFlight: 1 });
    const first = await fan.reserve();
    let second = false;
    const waiting = fan.reserve().then((p) => {
      second = true;
      return p;
    });
    await tick(5);
    expect(second).toBe(false);
    first.cancel();
    (await waiting).send(1, Buffer.alloc(1), Buffer.alloc(32));
    expect(second).toBe(true);
    await fan.complete();
    await fan.close();
    expect([store.parts, store.completed, store.aborted]).toEqual([[1], 1, 0]);
  });
});

describe('abortStaleUploads', () => {
  const initiated = new Date('2026-01-02T03:04:05Z');
  test('tells what it aborted, with the label first when given; a failure to look only warns; a store without the capability is left alone', async () => {
    const lines: string[] = [];
    const events = { info: (m: string) => lines.push(`info ${m}`), warning: (m: string) => lines.push(`warning ${m}`) };
    const calls: [string, Date][] = [];
    const store = {
      abortStaleUploads: async (key: string, before: Date) => {
        calls.push([key, before]);
        return [{ uploadId: 'u1', initiated }];
      },
    } as unknown as ObjectStore;
    const before = new Date('2026-02-01T00:00:00Z');
    await abortStaleUploads(store, 'a/b.qcow2', before, events, 'old');
    await abortStaleUploads(store, 'a/b.qcow2', before, events);
    const broken = { abortStaleUploads: async () => Promise.reject(new Error('AccessDenied')) } as unknown as ObjectStore;
    await abortStaleUploads(broken, 'c', before, events, 'new');
    await abortStaleUploads({} as ObjectStore, 'd', before, events);
    expect(calls).toEqual([['a/b.qcow2', before], ['a/b.qcow2', before]]);
    expect(lines).toEqual([
      'info old: a/b.qcow2: aborted 1 multipart upload(s) left open by an earlier run (initiated 2026-01-02T03:04:05.000Z)',
      'info a/b.qcow2: aborted 1 multipart upload(s) left open by an earlier run (initiated 2026-01-02T03:04:05.000Z)',
      'warning new: c: could not look for multipart uploads left open by an earlier run: AccessDenied',
    ]);
  });
});

describe('PrivateWriteGuard', () => {
  const storeWith = (policy: { kind: string; text?: string; reason?: string }) =>
    ({ locate: (key: string) => ({ bucket: 'b', key }), policy: async () => policy }) as unknown as ObjectStore;

  test('refuses a key strangers may read, warns once per store whose policy cannot be read, lets the rest through', async () => {
    const warnings: string[] = [];
    const guard = new PrivateWriteGuard((m) => warnings.push(m), 'upload');
    const open = storeWith({ kind: 'document', text: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }) });
    expect(await guard.refusal(open, 'rhel-9.qcow2', 'old')).toMatch(/^not written: the bucket policy .* lets anyone read rhel-9\.qcow2/);
    const unknown = storeWith({ kind: 'unknown', reason: 'AccessDenied' });
    expect(await guard.refusal(unknown, 'x', 'new')).toBeUndefined();
    expect(await guard.refusal(unknown, 'y', 'new')).toBeUndefined();
    expect(await guard.refusal(storeWith({ kind: 'none' }), 'x', 'third')).toBeUndefined();
    expect(warnings).toEqual(['new: cannot read the bucket policy (AccessDenied); private objects are checked with an anonymous request after upload']);
  });

  test('with no anonymous check after the write, a policy that cannot be read refuses the private write, naming what to change', async () => {
    const warnings: string[] = [];
    const guard = new PrivateWriteGuard((m) => warnings.push(m), 'writing', { because: 'verify-visibility is none', change: 'set input "verify-visibility" to private or all' });
    expect(await guard.refusal(storeWith({ kind: 'unknown', reason: 'AccessDenied' }), 'rhel-9.qcow2', 'new')).toBe(
      'not written: cannot read the bucket policy (AccessDenied) and verify-visibility is none, so nothing would show this private object is not readable by strangers; set input "verify-visibility" to private or all, or let these credentials read the bucket policy (s3:GetBucketPolicy)',
    );
    expect(await guard.refusal(storeWith({ kind: 'none' }), 'rhel-9.qcow2', 'new')).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
