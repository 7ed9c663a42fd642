/**
 * The user metadata every private write carries (`x-amz-meta-visibility: private`), and every copy
 * carries on. It keeps the decision made when the object was written, from the file's name, for
 * whoever later sees only the key: a rhel image stored as `images/<sha256>.qcow2` is mirrored private
 * and audited as private. It is only ever read to make an object more private, never less.
 *
 * The marker is a header on the wire, so it is defined here; `../storage/private-marker` adds what
 * the stores and the layers above need (reading it from metadata, adding it to a write).
 */

export const PRIVATE_MARKER = { metadataKey: 'visibility', header: 'x-amz-meta-visibility', value: 'private' } as const;

/** Whether a metadata or header value is the marker's (case and blanks aside: fail closed). */
export function isPrivateMarker(value: string | readonly string[] | undefined): boolean {
  const v = Array.isArray(value) ? value.join(',') : (value as string | undefined);
  return v !== undefined && v.trim().toLowerCase() === PRIVATE_MARKER.value;
}
