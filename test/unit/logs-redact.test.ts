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

  test('JSON as Python writes it (non-ASCII as \\uXXXX) and with escaped slashes', () => {
    const r = new Redactor(['pässwörd/😀']);
    for (const form of ['p\\u00e4ssw\\u00f6rd/\\ud83d\\ude00', 'pässwörd\\/😀']) {
      expect(r.redact(Buffer.from(`{"p": "${form}"}`)).body.toString()).toBe(`{"p": "${REDACTED}"}`);
    }
  });

  test('each line of a multi-line secret (a key file) is redacted on its own', () => {
    const key = '-----BEGIN KEY-----\nAAAAbbbbCCCCdddd\nEEEEffffGGGGhhhh\n-----END KEY-----';
    const r = new Redactor([key]);
    const out = r.redact(Buffer.from('the key line EEEEffffGGGGhhhh was printed'));
    expect(out.count).toBe(1);
    expect(out.body.toString()).toBe(`the key line ${REDACTED} was printed`);
  });

  test('overlapping secrets: the whole stretch they cover goes, leaving no tail of either', () => {
    const r = new Redactor(['abcdef', 'abcdefghij', 'efghijkl']);
    // Once `abcdefghij` was replaced, `kl` (the tail of `efghijkl`) used to be left.
    expect(r.redact(Buffer.from('xxabcdefghijklyy')).body.toString()).toBe(`xx${REDACTED}yy`);
    expect(r.redact(Buffer.from('xxabcdefZ')).body.toString()).toBe(`xx${REDACTED}Z`);
    // One secret inside another, and the same secret overlapping itself.
    const nested = new Redactor(['token', 'my-token-value']);
    expect(nested.redact(Buffer.from('a my-token-value b token c')).body.toString()).toBe(`a ${REDACTED} b ${REDACTED} c`);
    expect(new Redactor(['abab']).redact(Buffer.from('xabababy')).body.toString()).toBe(`x${REDACTED}y`);
    // Two secrets that only touch are two redactions.
    expect(new Redactor(['abcd', 'efgh']).redact(Buffer.from('abcdefgh'))).toMatchObject({ count: 2 });
  });

  test('overlapping secrets split across chunks: the stretch goes on past the chunk, with no tail', () => {
    const r = new Redactor(['abcdefgh', 'fghijklmnopq']);
    const text = Buffer.from('xx abcdefghijklmnopq yy');
    expect(r.redact(text).body.toString()).toBe(`xx ${REDACTED} yy`);
    for (let cut = 0; cut <= text.length; cut++) {
      for (const mode of ['text', 'bytes'] as const) {
        const s = r.stream(mode);
        const out = Buffer.concat([s.push(text.subarray(0, cut)), s.push(text.subarray(cut)), s.end()]);
        expect(out.equals(r.redact(text, mode).body)).toBe(true);
        expect(s.count).toBe(1);
      }
    }
  });

  test.each([
    ['a trailing newline', 'pasted-secret-value\n'],
    ['a trailing CRLF', 'pasted-secret-value\r\n'],
    ['spaces around it', '  pasted-secret-value  '],
    ['a tab in front', '\tpasted-secret-value'],
  ])('a secret given with %s is redacted trimmed too', (_, secret) => {
    const r = new Redactor([secret]);
    expect(r.redact(Buffer.from('key=pasted-secret-value;')).body.toString()).toBe(`key=${REDACTED};`);
    expect(r.redact(Buffer.from(`raw=${secret}.`)).body.toString()).toBe(`raw=${REDACTED}.`);
  });

  test('URL forms: form-encoding (+ for space), %XX in upper- and lowercase hex, RFC 3986 and encodeURIComponent', () => {
    const secret = "p@ss w0rd/+:!'*(x)";
    const r = new Redactor([secret]);
    const upper = encodeURIComponent(secret);
    const forms = {
      upper,
      lower: upper.replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase()),
      form: new URLSearchParams([['p', secret]]).toString().slice(2),
      rfc3986: upper.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    };
    expect(forms.form).toContain('+');
    expect(forms.lower).toContain('%2f');
    // The secret holds a `*`, so the marker is another byte.
    expect(r.marker).toBe('#');
    for (const [name, form] of Object.entries(forms)) {
      expect([name, r.redact(Buffer.from(`GET /?q=${form}&next=1`)).body.toString()]).toEqual([name, 'GET /?q=###&next=1']);
    }
  });

  test('hex forms in both cases', () => {
    const secret = 'hex-me-secret';
    const r = new Redactor([secret]);
    const hex = Buffer.from(secret).toString('hex');
    for (const form of [hex, hex.toUpperCase()]) expect(r.redact(Buffer.from(`dump: ${form} end`)).body.toString()).toBe(`dump: ${REDACTED} end`);
  });

  test.each([0, 1, 2, 3, 4, 5])('base64 and base64url forms at any alignment (%i bytes in front)', (k) => {
    const secret = 'b64-secret?value>~~~';
    const r = new Redactor([secret]);
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = Buffer.concat([Buffer.from('user:'.slice(0, k)), Buffer.from(secret), Buffer.from('!')]).toString(encoding);
      const out = r.redact(Buffer.from(`Authorization: Basic ${encoded}\n`)).body.toString();
      // What is left is the characters that also carry bits of the neighbours: at most 3 on each side.
      expect(out).toMatch(new RegExp(`^Authorization: Basic [A-Za-z0-9+/_=-]{0,${Math.ceil((8 * k) / 6)}}\\*\\*\\*[A-Za-z0-9+/_=-]{0,4}\\n$`));
    }
  });

  test('a secret that holds the marker: another marker is used, so that no redaction spells a secret', () => {
    // `***word` would hold the second secret if `*` were the marker.
    const r = new Redactor(['token-1234', '**word']);
    expect(r.marker).not.toBe('*');
    const out = r.redact(Buffer.from('token-1234word and **word')).body.toString();
    expect(out).toBe(`${r.marker.repeat(3)}word and ${r.marker.repeat(3)}`);
    expect(out).not.toContain('**word');
  });

  test('bytes mode keeps the length: each redacted byte becomes the marker', () => {
    const r = new Redactor([SECRET, 'abcdefgh', 'fghijklm']);
    const data = Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(SECRET), Buffer.from([0xff, 0]), Buffer.from('abcdefghijklm'), Buffer.from([7])]);
    const out = r.redact(data, 'bytes');
    expect(out.count).toBe(2);
    expect(out.body).toEqual(Buffer.concat([Buffer.from([0, 1, 2]), Buffer.alloc(SECRET.length, '*'), Buffer.from([0xff, 0]), Buffer.alloc(13, '*'), Buffer.from([7])]));
  });

  test('a NUL byte changes nothing: content is searched as bytes', () => {
    const r = new Redactor([SECRET]);
    expect(r.redact(Buffer.from(`\0serial console\0 ${SECRET}\0`)).body).toEqual(Buffer.from(`\0serial console\0 ${REDACTED}\0`));
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
