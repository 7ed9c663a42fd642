/**
 * The ListObjectsV2 reader as it was before the listing reader stopped building a tree: a strict
 * XML reader that builds every element, and the page read from that tree. Kept here, unchanged in
 * what it accepts and how it fails, as the reference `test/unit/list-page.test.ts` holds the
 * streaming reader to: on any input both must read the same page or fail with the same message.
 */
/** One element: its name, its child elements, and its character data (for a leaf). */
interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  /** The character data, entities and CDATA resolved. Whitespace between child elements is dropped. */
  text: string;
  /** True when the character data held a raw carriage return, which XML reads as a line feed. */
  rawCr: boolean;
}

/** Thrown for a document that is not well-formed: `offset` is where reading stopped. */
class XmlError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at character ${offset})`);
    this.name = 'XmlError';
  }
}

// ASCII element and attribute names only: every S3 document uses them, and a stricter reader is safe.
const ATTRIBUTE = /\s+([A-Za-z_][A-Za-z0-9._:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
// Raw characters XML 1.0 does not allow in a document (tab, LF and CR are allowed).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
// A Map, not an object: `&constructor;` must be no entity.
const ENTITIES: ReadonlyMap<string, string> = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);
const MAX_DEPTH = 32;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const GT = 0x3e;

/** The end of the element or attribute name that starts at `at` (`at` itself when there is none). */
function nameEnd(s: string, at: number): number {
  let i = at;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
    if (letter || (i > at && ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x3a || c === 0x2d))) continue;
    break;
  }
  return i;
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

/** Reads a whole document and returns its root element. Throws {@link XmlError} unless it is well-formed. */
function readXml(input: string): XmlElement {
  let s = input;
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  const forbidden = FORBIDDEN.exec(s);
  if (forbidden) throw new XmlError(`a raw U+${forbidden[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} character`, forbidden.index);
  let i = 0;
  if (s.startsWith('<?xml', 0) && isSpace(s.charCodeAt(5))) i = skipPi(s, 0);
  let root: XmlElement | undefined;
  const stack: XmlElement[] = [];
  let top: XmlElement | undefined;

  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const end = lt < 0 ? s.length : lt;
    if (end > i) {
      const text = s.slice(i, end);
      if (top === undefined) {
        if (/\S/.test(text)) fail(root ? 'text after the root element' : 'text before the root element', i);
      } else {
        if (text.includes(']]>')) fail("']]>' in character data", i + text.indexOf(']]>'));
        const decoded = text.includes('&') ? decodeText(text, i) : text;
        top.text = top.text === '' ? decoded : top.text + decoded;
        if (text.includes('\r')) top.rawCr = true;
      }
      i = end;
    }
    if (lt < 0) break;

    const next = s.charCodeAt(i + 1);
    if (next === SLASH) {
      const open = stack.pop();
      if (open === undefined) fail('an end tag that closes no element', i);
      let j = i + 2;
      if (!s.startsWith(open!.name, j)) fail(`an end tag that does not close <${open!.name}>`, i);
      j += open!.name.length;
      // What follows the name must end it: '>' or blanks (a longer name is another element).
      while (isSpace(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== GT) fail(`a malformed end tag </${open!.name}>`, i);
      if (open!.children.length > 0) {
        if (/\S/.test(open!.text)) fail(`<${open!.name}> mixes text and elements`, i);
        open!.text = '';
      }
      i = j + 1;
      top = stack[stack.length - 1];
      if (top === undefined) root = open;
    } else if (next === BANG) {
      if (s.startsWith('<!--', i)) {
        const close = s.indexOf('-->', i + 4);
        if (close < 0) fail('a comment without its end', i);
        if (s.slice(i + 4, close).includes('--') || s.charCodeAt(close - 1) === 0x2d) fail("'--' inside a comment", i);
        i = close + 3;
      } else if (s.startsWith('<![CDATA[', i)) {
        if (top === undefined) fail('a CDATA section outside the root element', i);
        const close = s.indexOf(']]>', i + 9);
        if (close < 0) fail('a CDATA section without its end', i);
        const data = s.slice(i + 9, close);
        top!.text += data;
        if (data.includes('\r')) top!.rawCr = true;
        i = close + 3;
      } else fail('a DOCTYPE or other declaration, which S3 answers never hold', i);
    } else if (next === QUESTION) {
      if (/^<\?xml(?:\s|\?)/i.test(s.slice(i, i + 6))) fail('an XML declaration that is not at the start', i);
      i = skipPi(s, i);
    } else {
      if (root !== undefined) fail('a second root element', i);
      const nameAt = i + 1;
      let j = nameEnd(s, nameAt);
      if (j === nameAt) fail('a malformed start tag', i);
      const element: XmlElement = { name: s.slice(nameAt, j), children: [], text: '', rawCr: false };
      let selfClosing: boolean;
      const c = s.charCodeAt(j);
      if (c === GT) {
        selfClosing = false;
        j++;
      } else if (c === SLASH && s.charCodeAt(j + 1) === GT) {
        selfClosing = true;
        j += 2;
      } else {
        let seen: Set<string> | undefined;
        for (;;) {
          ATTRIBUTE.lastIndex = j;
          const a = ATTRIBUTE.exec(s);
          if (!a) break;
          seen ??= new Set();
          if (seen.has(a[1]!)) fail(`attribute ${a[1]} given twice`, j);
          seen.add(a[1]!);
          const value = a[2] ?? a[3] ?? '';
          if (value.includes('&')) decodeText(value, j);
          j = ATTRIBUTE.lastIndex;
        }
        TAG_END.lastIndex = j;
        const t = TAG_END.exec(s);
        if (!t) fail(`a malformed start tag <${element.name}>`, j);
        selfClosing = t![1] === '/';
        j = TAG_END.lastIndex;
      }
      if (top) top.children.push(element);
      i = j;
      if (selfClosing) {
        if (!top) root = element;
      } else {
        if (stack.length >= MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`, i);
        stack.push(element);
        top = element;
      }
    }
  }
  if (stack.length > 0) fail(`the document ends inside <${stack[stack.length - 1]!.name}>`, i);
  if (root === undefined) fail('no root element', i);
  return root!;
}

function fail(message: string, at: number): never {
  throw new XmlError(message, at);
}

/** Skips a processing instruction (or the XML declaration) starting at `at`. */
function skipPi(s: string, at: number): number {
  const close = s.indexOf('?>', at + 2);
  if (close < 0) throw new XmlError('a processing instruction without its end', at);
  return close + 2;
}

/** Resolves entity and character references; throws on a bare '&' or an unknown entity. */
function decodeText(text: string, at: number): string {
  let out = '';
  let i = 0;
  for (let amp = text.indexOf('&'); amp >= 0; amp = text.indexOf('&', i)) {
    out += text.slice(i, amp);
    const semi = text.indexOf(';', amp);
    const ref = semi < 0 ? '' : text.slice(amp + 1, semi);
    let value: string | undefined = ref.charCodeAt(0) === 0x23 ? undefined : ENTITIES.get(ref);
    const num = value === undefined ? /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref) : null;
    if (num) {
      const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2]!, 10);
      if (cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) value = String.fromCodePoint(cp);
    }
    if (value === undefined) throw new XmlError(`'&${ref.slice(0, 16)}${semi < 0 ? '' : ';'}' is no entity or character reference`, at + amp);
    out += value;
    i = semi + 1;
  }
  return out + text.slice(i);
}
/** One parsed ListObjectsV2 page. */
export interface TreeListPage {
  readonly contents: { key: string; size: number; etag?: string; lastModified?: Date }[];
  readonly nextContinuationToken?: string;
}

/** Elements of the answer that may appear once at most; a second one makes the page ambiguous. */
const SINGLE = ['Name', 'Prefix', 'KeyCount', 'MaxKeys', 'Delimiter', 'IsTruncated', 'ContinuationToken', 'NextContinuationToken', 'StartAfter', 'EncodingType'];

/** A listing answer that cannot be read exactly; the listing, and so the run, must fail. */
class ListPageError extends Error {
  constructor(message: string) {
    super(`ListObjectsV2 answered ${message}`);
    this.name = 'ListPageError';
  }
}

/**
 * Reads a ListObjectsV2 answer body. Keys are URL-decoded when the answer says
 * `<EncodingType>url</EncodingType>` (as it does when the request asked for it, which every listing
 * here does). Throws on anything that is not one well-formed, complete and self-consistent page:
 * a cut or malformed document, an `<Error>` anywhere, an entry without one Key and one Size, a
 * `KeyCount` that does not match the entries, common prefixes (no listing here asks for them),
 * `IsTruncated` that is not true or false, a truncated page without a next token.
 */
export function treeParseListPage(body: string | Buffer): TreeListPage {
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  let root: XmlElement;
  try {
    root = readXml(text);
  } catch (e) {
    throw new ListPageError(`a document that is not well-formed XML: ${(e as Error).message}`);
  }
  if (root.name === 'Error') throw new ListPageError(`an error document (${leafText(root, 'Code') ?? 'no code'}) with a success status, not a ListBucketResult`);
  if (root.name !== 'ListBucketResult') throw new ListPageError(`<${root.name}>, not a ListBucketResult`);

  const single = new Map<string, string>();
  const entries: XmlElement[] = [];
  let commonPrefixes = 0;
  for (const child of root.children) {
    if (child.name === 'Contents') entries.push(child);
    else if (child.name === 'CommonPrefixes') commonPrefixes++;
    else if (child.name === 'Error') throw new ListPageError('an <Error> inside the listing');
    else if (SINGLE.includes(child.name)) {
      if (single.has(child.name)) throw new ListPageError(`<${child.name}> twice`);
      single.set(child.name, leaf(child));
    }
  }
  if (commonPrefixes > 0) throw new ListPageError('common prefixes to a listing that asked for none: their keys would be missing');

  const encoding = single.get('EncodingType');
  if (encoding !== undefined && encoding !== 'url') throw new ListPageError(`EncodingType ${JSON.stringify(encoding)}; this reader knows url`);
  const key = encoding === 'url' ? urlDecode : (k: string) => k;

  const contents = entries.map((entry) => readEntry(entry, key));

  const keyCount = single.get('KeyCount');
  if (keyCount !== undefined && (!/^\d+$/.test(keyCount) || Number(keyCount) !== contents.length)) {
    throw new ListPageError(`KeyCount ${JSON.stringify(keyCount.slice(0, 40))} with ${contents.length} entries`);
  }
  const truncated = single.get('IsTruncated');
  if (truncated === undefined) throw new ListPageError('no IsTruncated');
  const flag = truncated.trim().toLowerCase();
  if (flag !== 'true' && flag !== 'false') throw new ListPageError(`IsTruncated ${JSON.stringify(truncated.slice(0, 40))}`);
  const token = single.get('NextContinuationToken');
  if (flag === 'true' && !token) throw new ListPageError('a truncated page without NextContinuationToken');
  return { contents, nextContinuationToken: flag === 'true' ? token : undefined };
}

/** One `<Contents>` entry: its key (decoded by `key`), size, ETag and LastModified. */
function readEntry(entry: XmlElement, key: (raw: string) => string): TreeListPage['contents'][number] {
  let raw: string | undefined;
  let size: string | undefined;
  let etag: string | undefined;
  let modified: string | undefined;
  for (const child of entry.children) {
    switch (child.name) {
      case 'Key':
        raw = once(raw, child);
        break;
      case 'Size':
        size = once(size, child);
        break;
      case 'ETag':
        etag = once(etag, child);
        break;
      case 'LastModified':
        modified = once(modified, child);
        break;
      case 'Error':
        throw new ListPageError('an <Error> inside an entry');
    }
  }
  if (raw === undefined || size === undefined) throw new ListPageError('an entry without Key or Size');
  const k = key(raw);
  if (k === '') throw new ListPageError('an entry with an empty key');
  if (!/^\d{1,16}$/.test(size) || Number(size) > Number.MAX_SAFE_INTEGER) throw new ListPageError(`size ${JSON.stringify(size.slice(0, 40))} for key ${JSON.stringify(k)}`);
  const lastModified = modified ? new Date(modified) : undefined;
  if (lastModified !== undefined && Number.isNaN(lastModified.getTime())) throw new ListPageError(`LastModified ${JSON.stringify(modified!.slice(0, 40))} for key ${JSON.stringify(k)}`);
  return { key: detached(k), size: Number(size), etag: etag === undefined ? undefined : detached(etag), lastModified };
}

/**
 * A copy of `s` that holds no reference to the page it was read from. A key read out of an answer
 * is, for the JavaScript engine, a view into the whole answer's text (V8 keeps a substring as an
 * offset into its parent): every key kept past its page (a deletion waiting for the end of the
 * listing, a pair still being compared) would keep that page's 200 KB of XML alive. Joining a
 * character in front makes the engine build a new string, and slicing it off again leaves a view
 * into that copy only. The value is the same string.
 */
function detached(s: string): string {
  return (' ' + s).slice(1);
}

/** The value of a field of an entry, which may appear once: `seen` is the value already read, if any. */
function once(seen: string | undefined, e: XmlElement): string {
  if (seen !== undefined) throw new ListPageError(`an entry with <${e.name}> twice`);
  return leaf(e);
}

/** The character data of a leaf element; throws for an element with children or a raw CR (XML would read it as LF). */
function leaf(e: XmlElement): string {
  if (e.children.length > 0) throw new ListPageError(`<${e.name}> holding elements where a value belongs`);
  if (e.rawCr) throw new ListPageError(`<${e.name}> holding a raw carriage return, which XML reads as a line feed`);
  return e.text;
}

function leafText(root: XmlElement, name: string): string | undefined {
  const e = root.children.find((c) => c.name === name);
  return e && e.children.length === 0 ? e.text.slice(0, 64) : undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw new ListPageError('a body that is not valid UTF-8');
  }
}

/**
 * Decodes a key S3 wrote with `encoding-type=url`: form encoding, so `+` is a space (AWS writes a
 * space so; a literal `+` arrives as `%2B`), then percent-escapes of UTF-8 bytes.
 */
function urlDecode(encoded: string): string {
  const spaced = encoded.includes('+') ? encoded.replace(/\+/g, ' ') : encoded;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new ListPageError(`a key that is not valid URL encoding: ${JSON.stringify(encoded.slice(0, 80))}`);
  }
}
