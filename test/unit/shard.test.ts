import { compareKeys, fixedShard, inRange, listStartAfter, MAX_SHARDS, parseShard, shardToJson } from '../../src/storage/key-range';
import { ShardPlanner } from '../../src/sync/shard';
import { ConfigurationError } from '../../src/config/configuration-error';

const utf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const sign = (n: number) => Math.sign(n);

describe('compareKeys', () => {
  test('orders like UTF-8 bytes, including astral characters against U+E000..U+FFFF', () => {
    const keys = ['', 'a', 'a/', 'a/b', 'ab', 'Z', '\u00e9', '\uE000', '\uFFFD', '\u{1F600}', '\u{10000}', 'a\u{1F600}', 'a\uFFFF', '~', '\u0000', '\u007f'];
    for (const a of keys) for (const b of keys) expect([a, b, sign(compareKeys(a, b))]).toEqual([a, b, sign(utf8(a, b))]);
  });

  test('a listing start-after sorts before every key of the range', () => {
    for (const from of ['b', 'ab/c', 'x\u{1F600}', '\u{1F600}']) {
      const after = listStartAfter({ from });
      if (after !== undefined) expect(compareKeys(after, from)).toBeLessThan(0);
    }
    expect(listStartAfter({})).toBeUndefined();
    expect(listStartAfter({ from: 'a' })).toBeUndefined();
    expect(listStartAfter({ from: 'x\u{1F600}' })).toBe('x');
  });
});

describe('parseShard', () => {
  test('empty means every key', () => {
    expect(parseShard('')).toEqual({ index: 1, count: 1, range: {} });
  });

  test('I/N gives fixed ranges that cover every key exactly once', () => {
    const sample = ['', '\u0001', ' ', '!', '0', '09', 'A', 'a', 'a/b', 'fedora-42.qcow2', 'rhel-9.qcow2', 'zzz', '~~~', '\u007f', '\u00e9', '\u{1F600}'];
    for (const count of [1, 2, 5, 16, 95, 200, MAX_SHARDS]) {
      const shards = Array.from({ length: count }, (_, i) => parseShard(`${i + 1}/${count}`));
      for (const key of sample) expect([key, count, shards.filter((s) => inRange(key, s.range)).length]).toEqual([key, count, 1]);
    }
    expect(parseShard(' 2 / 4 ')).toEqual(fixedShard(2, 4));
  });

  test.each([['0/4'], ['5/4'], ['1/0'], ['1/1001'], ['a/b'], ['2'], ['-1/2'], ['{"index":2}'], ['{nope'], ['[1,2]'], ['{"index":1,"count":2,"from":"k","to":"m"}'], ['{"index":2,"count":2,"from":"m","to":"k"}'], ['{"index":1,"count":2,"to":5}']])(
    'refuses %j with a ConfigurationError that shows the value',
    (value) => {
      expect(() => parseShard(value)).toThrow(ConfigurationError);
      expect(() => parseShard(value)).toThrow(JSON.stringify(value.trim()));
    },
  );

  test('reads back what the planner writes', () => {
    const p = new ShardPlanner();
    for (let i = 0; i < 1000; i++) p.add(`k${String(i).padStart(4, '0')}`);
    for (const s of p.shards(4)) expect(parseShard(shardToJson(s))).toEqual(s);
  });
});

describe('ShardPlanner', () => {
  test('balanced ranges over 100,000 keys cover each key once, with a bounded sample', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `images/${String(i * 7).padStart(8, '0')}.qcow2`).sort(utf8);
    const p = new ShardPlanner(1024);
    for (const k of keys) p.add(k);
    expect(p.keys).toBe(100_000);
    const shards = p.shards(8);
    const counts = shards.map((s) => keys.filter((k) => inRange(k, s.range)).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100_000);
    for (const c of counts) expect(Math.abs(c - 12_500)).toBeLessThan(400);
  });

  test('more shards than keys: the extra ranges are empty, nothing is covered twice', () => {
    for (const n of [0, 1, 2, 3]) {
      const keys = ['a', 'b', 'c'].slice(0, n);
      const p = new ShardPlanner();
      for (const k of keys) p.add(k);
      const shards = p.shards(6);
      for (const k of [...keys, '', 'zz']) expect(shards.filter((s) => inRange(k, s.range)).length).toBe(1);
      for (const s of shards) expect(parseShard(shardToJson(s))).toEqual(s);
    }
  });

  test('refuses keys out of order', () => {
    const p = new ShardPlanner();
    p.add('b');
    expect(() => p.add('a')).toThrow(/out of order/);
  });
});
