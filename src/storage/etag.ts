/** ETags as S3 computes them for uploads without KMS: what a writer can predict and check. */
import { createHash } from 'node:crypto';

/** The ETag of a multipart object: MD5 of the parts' binary MD5s, then `-` and the part count. */
export function multipartEtag(partMd5s: readonly Buffer[]): string {
  const h = createHash('md5');
  for (const m of partMd5s) h.update(m);
  return `${h.digest('hex')}-${partMd5s.length}`;
}

/** True when an ETag has the shape of a plain or multipart MD5 (not KMS-encrypted, not opaque). */
export function isMd5Etag(etag: string | undefined): boolean {
  return etag !== undefined && /^[0-9a-f]{32}(-\d+)?$/.test(etag);
}
