/**
 * A bucket's listing, a page at a time, through the lean request or the SDK, each page read by the
 * one strict reader and checked for order and prefix.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { StoreError } from '../errors';
import { toStoreError } from './errors';
import { compareKeys } from './key-order';
import type { LeanClient } from './lean-client';
import type { ListRequest } from './lean-requests';
import { MAX_LIST_BODY, readBody } from './lean-transport';
import { ListPageError, parseListPage, type ListPage } from './list-page';
import { unquote } from './object-heads';
import type { ObjectInfo } from './object-shapes';

/** What a listing goes through: the bucket's client, its lean client if any, and its name for messages. */
export interface ListingWire {
  readonly client: S3Client;
  readonly bucket: string;
  readonly lean: LeanClient | undefined;
  /** For messages: `ListObjectsV2 s3://bucket... key "prefix"`. */
  readonly what: string;
}

/**
 * Lists keys a page at a time. The next page is asked for as soon as a page arrives, so the
 * caller's work on one page overlaps the wait for the next.
 *
 * Both wire paths (the lean request, and the SDK's where the lean one cannot go) ask for
 * `encoding-type=url` and read the answer with the same strict reader ({@link parseListPage}),
 * so the same bucket lists the same keys through either. Every key must start with `prefix` and
 * come after the one before it (and after `startAfter`) in UTF-8 binary order: a page that breaks
 * this, or that cannot be read whole, fails the listing with a `bad-answer` StoreError.
 */
export async function* listPages(wire: ListingWire, prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo[]> {
  const { what } = wire;
  const page = async (token: string | undefined): Promise<ListPage> => {
    const request = { prefix: prefix || undefined, continuationToken: token, startAfter: token === undefined ? startAfter : undefined };
    try {
      return (await wire.lean?.list(request)) ?? (await sdkListPage(wire, request));
    } catch (e) {
      throw toStoreError(e, what);
    }
  };
  // A page asked for ahead may fail while the caller still works on the one before, with nobody
  // awaiting it yet: marked handled at once, or Node would end the process on an unhandled
  // rejection, without the run's error message. The caller still gets the failure when it
  // reaches that page (and nobody does if it stops first).
  const ahead = (token: string | undefined): Promise<ListPage> => {
    const p = page(token);
    p.catch(() => undefined);
    return p;
  };
  let next: Promise<ListPage> | undefined = ahead(undefined);
  let last = startAfter;
  while (next) {
    const r: ListPage = await next;
    const token = r.nextContinuationToken;
    next = token === undefined ? undefined : ahead(token);
    const out: ObjectInfo[] = [];
    for (const o of r.contents) {
      if (!o.key.startsWith(prefix)) throw new StoreError('bad-answer', `${what}: answered key ${JSON.stringify(o.key)}, which is outside the prefix asked for`, 'BadAnswer');
      if (last !== undefined && compareKeys(o.key, last) <= 0) {
        throw new StoreError('bad-answer', `${what}: answered key ${JSON.stringify(o.key)} after ${JSON.stringify(last)}, out of order`, 'BadAnswer');
      }
      last = o.key;
      out.push({ key: o.key, size: o.size, etag: unquote(o.etag), lastModified: o.lastModified });
    }
    yield out;
  }
}

/**
 * One ListObjectsV2 page through the SDK (for stores the lean request cannot address). The SDK's
 * own reading of the answer is set aside: the raw body is kept and read by {@link parseListPage}.
 */
async function sdkListPage(wire: ListingWire, request: ListRequest): Promise<ListPage> {
  const command = new ListObjectsV2Command({
    Bucket: wire.bucket,
    Prefix: request.prefix,
    ContinuationToken: request.continuationToken,
    StartAfter: request.startAfter,
    EncodingType: 'url',
  });
  let body: Buffer | undefined;
  command.middlewareStack.addRelativeTo(
    ((next: (args: unknown) => Promise<{ response: { statusCode?: number; body?: unknown } }>) => async (args: unknown) => {
      const out = await next(args);
      const status = out.response.statusCode ?? 0;
      if (status >= 200 && status < 300 && out.response.body !== undefined) {
        body = await readBody(out.response.body as NodeJS.ReadableStream, MAX_LIST_BODY);
        // The SDK still reads its copy (its errors, its retries); what it makes of it is not used.
        out.response.body = body;
      }
      return out;
    }) as never,
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'ciStoresRawListing' },
  );
  try {
    await wire.client.send(command);
  } catch (e) {
    // A success status with a body the SDK could not read: the strict reader says what is wrong
    // with it, so both paths fail alike (the SDK's own error stands if it reads the body fine).
    if (body !== undefined) parseListPage(body);
    throw e;
  }
  if (body === undefined) throw new ListPageError('no body');
  return parseListPage(body);
}
