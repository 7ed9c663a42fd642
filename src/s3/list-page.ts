/**
 * One ListObjectsV2 answer, read strictly. Both wire paths read their pages here (the lean request
 * and the SDK's, whose own parsing is lax: it reads an empty body as an empty listing, trims a
 * whitespace-only key to '', drops unknown entities), so a key lists the same whichever path sent
 * the request, and a page that is not one complete, consistent answer fails the listing.
 */
import { scanXml, type XmlVisitor } from './xml';

/** One parsed ListObjectsV2 page. */
export interface ListPage {
  readonly contents: { key: string; size: number; etag?: string; lastModified?: Date }[];
  readonly nextContinuationToken?: string;
}

/** Elements of the answer that may appear once at most; a second one makes the page ambiguous. */
const SINGLE: ReadonlySet<string> = new Set(['Name', 'Prefix', 'KeyCount', 'MaxKeys', 'Delimiter', 'IsTruncated', 'ContinuationToken', 'NextContinuationToken', 'StartAfter', 'EncodingType']);

/** A listing answer that cannot be read exactly; the listing, and so the run, must fail. */
export class ListPageError extends Error {
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
export function parseListPage(body: string | Buffer): ListPage {
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  const page = new PageReader();
  try {
    scanXml(text, page);
  } catch (e) {
    throw new ListPageError(`a document that is not well-formed XML: ${(e as Error).message}`);
  }
  if (page.root === 'Error') throw new ListPageError(`an error document (${page.code ?? 'no code'}) with a success status, not a ListBucketResult`);
  if (page.root !== 'ListBucketResult') throw new ListPageError(`<${page.root}>, not a ListBucketResult`);
  if (page.problem !== undefined) throw new ListPageError(page.problem);
  if (page.commonPrefixes > 0) throw new ListPageError('common prefixes to a listing that asked for none: their keys would be missing');

  const { single } = page;
  const encoding = single.get('EncodingType');
  if (encoding !== undefined && encoding !== 'url') throw new ListPageError(`EncodingType ${JSON.stringify(encoding)}; this reader knows url`);
  const key = encoding === 'url' ? urlDecode : (k: string) => k;

  const contents = page.entries.map((entry) => readEntry(entry, key));

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

/** One `<Contents>` entry as read: its fields' text, or the first thing wrong with it. */
interface EntryText {
  key?: string;
  size?: string;
  etag?: string;
  modified?: string;
  problem?: string;
}

/** The field of an entry an element holds (a switch: names read from a page are new strings, slow to look up as keys). */
function entryField(name: string): 'key' | 'size' | 'etag' | 'modified' | undefined {
  switch (name) {
    case 'Key':
      return 'key';
    case 'Size':
      return 'size';
    case 'ETag':
      return 'etag';
    case 'LastModified':
      return 'modified';
    default:
      return undefined;
  }
}

/**
 * Keeps what a page needs while the document is read: the root's name, its single fields, the text
 * of each entry's fields, and the first thing wrong among the root's children (in document order,
 * the order in which a reader of the whole tree meets them). Only the values it keeps are
 * collected; every other element is only counted or passed over. Nothing is decided here: the
 * document may still turn out not to be well-formed, which comes first.
 */
class PageReader implements XmlVisitor {
  root: string | undefined;
  /** The text of the root's first `<Code>` (for an error document), cut to 64 characters. */
  code: string | undefined;
  private codeSeen = false;
  readonly single = new Map<string, string>();
  readonly entries: EntryText[] = [];
  commonPrefixes = 0;
  /** The first thing wrong among the root's children, as a message. */
  problem: string | undefined;
  private entry: EntryText | undefined;
  /** The element whose text is being kept (at `valueDepth`; 0 for none), and that text. */
  private valueDepth = 0;
  private value = '';
  private valueCr = false;
  private depth = 0;

  open(name: string, depth: number): void {
    this.depth = depth;
    if (depth === 1) this.root = name;
    else if (depth === 2) {
      this.entry = undefined;
      if (name === 'Contents') this.entries.push((this.entry = {}));
      else if (SINGLE.has(name) || name === 'Code') this.keep(depth);
    } else if (depth === 3 && this.entry !== undefined && entryField(name) !== undefined) this.keep(depth);
  }

  text(data: string, rawCr: boolean): void {
    if (this.depth !== this.valueDepth) return;
    this.value = this.value === '' ? data : this.value + data;
    if (rawCr) this.valueCr = true;
  }

  close(name: string, depth: number, parent: boolean): void {
    this.depth = depth - 1;
    if (depth === 2) this.rootChild(name, parent);
    else if (depth === 3 && this.entry !== undefined) this.entryChild(this.entry, name, parent);
    if (depth === this.valueDepth) this.valueDepth = 0;
  }

  private keep(depth: number): void {
    this.valueDepth = depth;
    this.value = '';
    this.valueCr = false;
  }

  private rootChild(name: string, parent: boolean): void {
    if (name === 'Contents') {
      this.entry = undefined;
      return;
    }
    if (name === 'CommonPrefixes') this.commonPrefixes++;
    else if (name === 'Error') this.problem ??= 'an <Error> inside the listing';
    else if (name === 'Code') {
      if (!this.codeSeen) this.code = parent ? undefined : this.value.slice(0, 64);
      this.codeSeen = true;
    }
    if (!SINGLE.has(name)) return;
    if (this.single.has(name)) this.problem ??= `<${name}> twice`;
    else {
      const problem = this.leafProblem(name, parent);
      if (problem !== undefined) this.problem ??= problem;
      else this.single.set(name, this.value);
    }
  }

  private entryChild(entry: EntryText, name: string, parent: boolean): void {
    if (entry.problem !== undefined) return;
    if (name === 'Error') entry.problem = 'an <Error> inside an entry';
    const field = entryField(name);
    if (field === undefined) return;
    if (entry[field] !== undefined) entry.problem = `an entry with <${name}> twice`;
    else {
      entry.problem = this.leafProblem(name, parent);
      if (entry.problem === undefined) entry[field] = this.value;
    }
  }

  /** What is wrong with the element just ended as a leaf holding a value: elements inside, or a raw CR (XML would read it as LF). */
  private leafProblem(name: string, parent: boolean): string | undefined {
    if (parent) return `<${name}> holding elements where a value belongs`;
    if (this.valueCr) return `<${name}> holding a raw carriage return, which XML reads as a line feed`;
    return undefined;
  }
}

/** One `<Contents>` entry: its key (decoded by `key`), size, ETag and LastModified. */
function readEntry(entry: EntryText, key: (raw: string) => string): ListPage['contents'][number] {
  if (entry.problem !== undefined) throw new ListPageError(entry.problem);
  const { key: raw, size, etag, modified } = entry;
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
