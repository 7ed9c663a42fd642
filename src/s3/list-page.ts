/**
 * One ListObjectsV2 answer, read strictly. Both wire paths read their pages here (the lean request
 * and the SDK's, whose own parsing is lax: it reads an empty body as an empty listing, trims a
 * whitespace-only key to '', drops unknown entities), so a key lists the same whichever path sent
 * the request, and a page that is not one complete, consistent answer fails the listing.
 */
import { readXml, type XmlElement } from './xml';

/** One parsed ListObjectsV2 page. */
export interface ListPage {
  readonly contents: { key: string; size: number; etag?: string; lastModified?: Date }[];
  readonly nextContinuationToken?: string;
}

/** Elements of the answer that may appear once at most; a second one makes the page ambiguous. */
const SINGLE = ['Name', 'Prefix', 'KeyCount', 'MaxKeys', 'Delimiter', 'IsTruncated', 'ContinuationToken', 'NextContinuationToken', 'StartAfter', 'EncodingType'];

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
function readEntry(entry: XmlElement, key: (raw: string) => string): ListPage['contents'][number] {
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
