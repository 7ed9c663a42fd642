/**
 * What a write through the SDK carries: the object's headers as the SDK's input fields, and the
 * body's SHA-256 as the signed payload hash.
 */
import type { ObjectCannedACL } from '@aws-sdk/client-s3';
import type { ObjectHeaders } from './object-shapes';

/**
 * Signs the body's SHA-256 as `x-amz-content-sha256`. S3 and Ceph RGW refuse a body that does not
 * match it (XAmzContentSHA256Mismatch), so every part is checked by the server; and since the value
 * is given, the SDK does not hash each body again for each store (which it otherwise does for every
 * Buffer body). One SHA-256 per part, shared by all stores, instead of an MD5 plus one SHA-256 per store.
 */
export function withPayloadHash<C extends { middlewareStack: { add: (...a: never[]) => unknown } }>(command: C, sha256: Buffer): C {
  const hex = sha256.toString('hex');
  (command.middlewareStack as unknown as { add: (m: unknown, o: unknown) => void }).add(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      args.request.headers['x-amz-content-sha256'] = hex;
      return next(args);
    },
    { step: 'build', name: 'ciStoresPayloadHash' },
  );
  return command;
}

/** The object's headers as the fields of a PutObject, CreateMultipartUpload or CopyObject input. */
export function sdkHeaders(h: ObjectHeaders) {
  return {
    ContentType: h.contentType,
    ContentEncoding: h.contentEncoding,
    CacheControl: h.cacheControl,
    ContentDisposition: h.contentDisposition,
    Metadata: h.metadata ? { ...h.metadata } : undefined,
    ACL: h.acl as ObjectCannedACL | undefined,
  };
}
