/**
 * A strict reader for the small XML documents S3 answers with. It accepts well-formed XML 1.0
 * documents only and throws on anything else: a document cut short, a second root element (an
 * `<Error>` after a listing), a mismatched or unclosed tag, an unknown entity, a DOCTYPE, raw control
 * characters, text outside the root, an element that mixes text and elements. Lax readers guess on
 * such input; a listing read by a guess can come out short, and a short listing leads a sync to
 * delete what it did not see.
 *
 * It builds nothing: it tells a {@link XmlVisitor} what it reads, in document order, so that a
 * reader keeps only what it needs (a listing page of 1,000 entries would otherwise be a tree of some
 * 8,000 elements, made and dropped for every page). A visitor sees a document that later turns
 * out not to be well-formed: whatever it concludes must wait until `scanXml` returns.
 *
 * Comments and processing instructions are skipped; CDATA sections and character references are
 * read; attributes are checked for form and otherwise ignored (S3 documents carry data in elements).
 * Character references to any Unicode scalar value but NUL are accepted, as S3 servers write
 * control characters in keys that way (XML 1.1 style).
 */

/** What a reader is told of a document, in document order. */
export interface XmlVisitor {
  /** A start tag (or an empty-element tag) of `name` at `depth`: 1 for the root element. */
  open(name: string, depth: number): void;
  /**
   * Character data of the innermost open element, entities and CDATA resolved; an element's data
   * may come in several pieces. `rawCr`: the piece held a raw carriage return, which XML reads as
   * a line feed. Whitespace between child elements comes here too.
   */
  text(data: string, rawCr: boolean): void;
  /** The end of the element opened last (at once for an empty-element tag); `parent`: it held elements. */
  close(name: string, depth: number, parent: boolean): void;
}

/** Thrown for a document that is not well-formed: `offset` is where reading stopped. */
export class XmlError extends Error {
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

/**
 * Reads a whole document, telling `visitor` what it holds. Throws {@link XmlError} unless it is
 * well-formed; the visitor may have been told part of it by then.
 */
export function scanXml(input: string, visitor: XmlVisitor): void {
  const s = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const forbidden = FORBIDDEN.exec(s);
  if (forbidden) throw new XmlError(`a raw U+${forbidden[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} character`, forbidden.index);
  new Scanner(s, visitor).run();
}

/** One reading of one document: where it is, and the elements open there. */
class Scanner {
  private i = 0;
  /** Whether the root element has ended (anything but whitespace, comments and PIs must not follow). */
  private rootEnded = false;
  /** The open elements, outermost first; for each, whether it holds elements, and text that is not whitespace. */
  private readonly names: string[] = [];
  private readonly parents: boolean[] = [];
  private readonly texts: boolean[] = [];

  constructor(
    private readonly s: string,
    private readonly visitor: XmlVisitor,
  ) {}

  run(): void {
    const { s } = this;
    if (s.startsWith('<?xml', 0) && isSpace(s.charCodeAt(5))) this.i = skipPi(s, 0);
    while (this.i < s.length) {
      const lt = s.indexOf('<', this.i);
      const end = lt < 0 ? s.length : lt;
      if (end > this.i) this.characters(end);
      if (lt < 0) break;
      const next = s.charCodeAt(lt + 1);
      if (next === SLASH) this.endTag();
      else if (next === BANG) this.markup();
      else if (next === QUESTION) this.instruction();
      else this.startTag();
    }
    if (this.names.length > 0) fail(`the document ends inside <${this.names[this.names.length - 1]}>`, this.i);
    if (!this.rootEnded) fail('no root element', this.i);
  }

  /** Character data from here to `end` (the next '<' or the end of the document). */
  private characters(end: number): void {
    const at = this.i;
    const text = this.s.slice(at, end);
    if (this.names.length === 0) {
      if (/\S/.test(text)) fail(this.rootEnded ? 'text after the root element' : 'text before the root element', at);
    } else {
      const cdataEnd = text.indexOf(']]>');
      if (cdataEnd >= 0) fail("']]>' in character data", at + cdataEnd);
      this.data(text.includes('&') ? decodeText(text, at) : text, text.includes('\r'));
    }
    this.i = end;
  }

  /** A piece of the innermost open element's character data. */
  private data(data: string, rawCr: boolean): void {
    const top = this.names.length - 1;
    if (!this.texts[top] && /\S/.test(data)) this.texts[top] = true;
    this.visitor.text(data, rawCr);
  }

  private endTag(): void {
    const { s } = this;
    const at = this.i;
    const name = this.names.pop();
    if (name === undefined) fail('an end tag that closes no element', at);
    let j = at + 2;
    if (!s.startsWith(name, j)) fail(`an end tag that does not close <${name}>`, at);
    j += name.length;
    // What follows the name must end it: '>' or blanks (a longer name is another element).
    while (isSpace(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) !== GT) fail(`a malformed end tag </${name}>`, at);
    const parent = this.parents.pop()!;
    if (this.texts.pop()! && parent) fail(`<${name}> mixes text and elements`, at);
    this.i = j + 1;
    this.ended(name, parent);
  }

  /** The element `name`, the innermost, has ended (and is off the stack). */
  private ended(name: string, parent: boolean): void {
    const depth = this.names.length + 1;
    if (depth === 1) this.rootEnded = true;
    this.visitor.close(name, depth, parent);
  }

  /** A comment, a CDATA section, or a declaration (refused). */
  private markup(): void {
    const { s } = this;
    const at = this.i;
    if (s.startsWith('<!--', at)) {
      const close = s.indexOf('-->', at + 4);
      if (close < 0) fail('a comment without its end', at);
      if (s.slice(at + 4, close).includes('--') || s.charCodeAt(close - 1) === 0x2d) fail("'--' inside a comment", at);
      this.i = close + 3;
    } else if (s.startsWith('<![CDATA[', at)) {
      if (this.names.length === 0) fail('a CDATA section outside the root element', at);
      const close = s.indexOf(']]>', at + 9);
      if (close < 0) fail('a CDATA section without its end', at);
      const data = s.slice(at + 9, close);
      this.data(data, data.includes('\r'));
      this.i = close + 3;
    } else fail('a DOCTYPE or other declaration, which S3 answers never hold', at);
  }

  private instruction(): void {
    const at = this.i;
    if (/^<\?xml(?:\s|\?)/i.test(this.s.slice(at, at + 6))) fail('an XML declaration that is not at the start', at);
    this.i = skipPi(this.s, at);
  }

  private startTag(): void {
    const { s } = this;
    const at = this.i;
    if (this.rootEnded) fail('a second root element', at);
    const nameAt = at + 1;
    const j = nameEnd(s, nameAt);
    if (j === nameAt) fail('a malformed start tag', at);
    const name = s.slice(nameAt, j);
    const c = s.charCodeAt(j);
    let empty: boolean;
    if (c === GT) {
      empty = false;
      this.i = j + 1;
    } else if (c === SLASH && s.charCodeAt(j + 1) === GT) {
      empty = true;
      this.i = j + 2;
    } else empty = this.attributes(j, name);
    const depth = this.names.length + 1;
    if (depth > 1) this.parents[depth - 2] = true;
    this.visitor.open(name, depth);
    if (empty) return this.ended(name, false);
    if (depth > MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`, this.i);
    this.names.push(name);
    this.parents.push(false);
    this.texts.push(false);
  }

  /** The attributes of a start tag from `at` on, and its end; true for an empty-element tag. */
  private attributes(at: number, name: string): boolean {
    const { s } = this;
    let j = at;
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
    if (!t) fail(`a malformed start tag <${name}>`, j);
    this.i = TAG_END.lastIndex;
    return t[1] === '/';
  }
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
