import { randomBytes } from 'node:crypto';
import { MIN_SECRET_LENGTH, REDACTED, Redactor } from '../../src/logs/redact';

const SECRET = 'hunter2-s3cr3t-value';

describe('secret redaction', () => {
  test('every occurrence is replaced and counted; the input buffer is not changed', () => {
    const r = new Redactor([SECRET]);
    const input = Buffer.from(`token=${SECRET}\nagain ${SECRET}${SECRET} end`);
    const copy = Buffer.from(input);
    const out = r.redact(input);
    expect(out.count).toBe(3);
    expect(out.body.toString()).toBe(`token=${REDACTED}\nagain ${REDACTED}${REDACTED} end`);
    expect(input.equals(copy)).toBe(true);
  });

  test('nothing found: the same buffer comes back, count 0', () => {
    const r = new Redactor([SECRET]);
    const input = Buffer.from('nothing to see');
    const out = r.redact(input);
    expect(out).toEqual({ body: input, count: 0 });
    expect(out.body).toBe(input);
  });

  test('JSON-escaped and percent-encoded forms are found too', () => {
    const secret = 'p@ss "word"/+x';
    const r = new Redactor([secret]);
    const text = `{"password":${JSON.stringify(secret)}} url=https://h/?p=${encodeURIComponent(secret)} raw=${secret}`;
    const out = r.redact(Buffer.from(text));
    expect(out.count).toBe(3);
    expect(out.body.toString()).not.toContain('ss "word"');
    expect(out.body.toString()).not.toContain('word%22');
  });

  test('each line of a multi-line secret (a key file) is redacted on its own', () => {
    const key = '-----BEGIN KEY-----\nAAAAbbbbCCCCdddd\nEEEEffffGGGGhhhh\n-----END KEY-----';
    const r = new Redactor([key]);
    const out = r.redact(Buffer.from('the key line EEEEffffGGGGhhhh was printed'));
    expect(out.count).toBe(1);
    expect(out.body.toString()).toBe(`the key line ${REDACTED} was printed`);
  });

  test('overlapping secrets: the earliest wins, and of two at the same place the longer', () => {
    const r = new Redactor(['abcdef', 'abcdefghij', 'efghijkl']);
    expect(r.redact(Buffer.from('xxabcdefghijkl')).body.toString()).toBe(`xx${REDACTED}kl`);
    expect(r.redact(Buffer.from('xxabcdefZ')).body.toString()).toBe(`xx${REDACTED}Z`);
  });

  test('values too short to redact are ignored and counted, never shown', () => {
    const r = new Redactor(['abc', '', SECRET]);
    expect(r.ignored).toBe(1);
    expect(r.active).toBe(true);
    expect(new Redactor(['x'.repeat(MIN_SECRET_LENGTH - 1)]).active).toBe(false);
  });

  test('non-ASCII secrets are matched as UTF-8 bytes', () => {
    const r = new Redactor(['pässwörd-日本']);
    expect(r.redact(Buffer.from('a pässwörd-日本 b')).body.toString()).toBe(`a ${REDACTED} b`);
  });

  test('streaming finds a secret split across chunks at every position, and gives the same bytes as a whole redaction', () => {
    const r = new Redactor([SECRET, 'another-secret-123']);
    const text = Buffer.concat([randomBytes(50), Buffer.from(SECRET), randomBytes(37), Buffer.from('another-secret-123'), Buffer.from(SECRET), randomBytes(9)]);
    const whole = r.redact(text);
    for (let size = 1; size <= 64; size++) {
      const s = r.stream();
      const parts: Buffer[] = [];
      for (let i = 0; i < text.length; i += size) parts.push(s.push(text.subarray(i, i + size)));
      parts.push(s.end());
      expect(Buffer.concat(parts).equals(whole.body)).toBe(true);
      expect(s.count).toBe(3);
    }
  });

  test('streaming copies what it holds back: the caller may reuse its read buffer', () => {
    const r = new Redactor([SECRET]);
    const s = r.stream();
    const buf = Buffer.from(`aaaa${SECRET.slice(0, 5)}`);
    const out1 = s.push(buf);
    buf.fill(0x7a);
    const out2 = s.push(Buffer.from(`${SECRET.slice(5)}bbbb`));
    expect(Buffer.concat([out1, out2, s.end()]).toString()).toBe(`aaaa${REDACTED}bbbb`);
  });
});
