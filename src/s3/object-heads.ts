/**
 * What an answer says about an object, read as the SDK reads it: from the SDK's HeadObject or
 * GetObject output, or from the raw headers of a lean GET.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectHead } from './object-shapes';

/** What the SDK's HeadObject or GetObject answer says about the object. */
export function headFromSdk(
  key: string,
  r: { ContentLength?: number; ETag?: string; LastModified?: Date; Metadata?: Record<string, string>; ContentType?: string; ContentEncoding?: string; CacheControl?: string; ContentDisposition?: string },
): ObjectHead {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.Metadata ?? {})) metadata[k.toLowerCase()] = v;
  return {
    key,
    size: r.ContentLength ?? 0,
    etag: unquote(r.ETag),
    lastModified: r.LastModified,
    metadata,
    contentType: r.ContentType,
    contentEncoding: r.ContentEncoding,
    cacheControl: r.CacheControl,
    contentDisposition: r.ContentDisposition,
  };
}

/** What a HEAD (or GET) answer's headers say about the object, as the SDK would parse them. */
export function headFromHeaders(key: string, h: IncomingHttpHeaders): ObjectHead {
  const one = (name: string) => {
    const v = h[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(', ') : value;
  }
  const modified = one('last-modified');
  return {
    key,
    size: Number(one('content-length') ?? 0),
    etag: unquote(one('etag')),
    lastModified: modified ? new Date(modified) : undefined,
    metadata,
    contentType: one('content-type'),
    contentEncoding: one('content-encoding'),
    cacheControl: one('cache-control'),
    contentDisposition: one('content-disposition'),
  };
}

export function unquote(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const e = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return e === '' ? undefined : e;
}
