/** The multipart uploads a bucket holds open, every page of ListMultipartUploads read. */
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { toStoreError } from './errors';

/** One open multipart upload, with when the server says it was initiated. */
export interface OpenUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated?: Date;
}

/** Open multipart uploads under `prefix` in `bucket`; a failure is a StoreError about `what`. */
export async function listOpenUploads(client: S3Client, bucket: string, prefix: string, what: string): Promise<OpenUpload[]> {
  const out: OpenUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let r;
    try {
      r = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix || undefined,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
    } catch (e) {
      throw toStoreError(e, what);
    }
    for (const u of r.Uploads ?? []) if (u.Key && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
    if (!r.IsTruncated) return out;
    keyMarker = r.NextKeyMarker;
    uploadIdMarker = r.NextUploadIdMarker;
  }
}
