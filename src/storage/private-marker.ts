/**
 * The private marker (`x-amz-meta-visibility: private`, defined with the wire in
 * `../s3/private-marker`) as the stores and the layers above use it: read from an object's
 * metadata, and added to every private write.
 */
import { isPrivateMarker, PRIVATE_MARKER } from '../s3/private-marker';
import type { WriteOptions } from './object-store';

export { PRIVATE_MARKER };

/** Whether an object's user metadata (keys lower-cased) holds the marker. */
export function markedPrivate(metadata: Readonly<Record<string, string>> | undefined): boolean {
  return isPrivateMarker(metadata?.[PRIVATE_MARKER.metadataKey]);
}

/** The user metadata a write stores: what it was given, with the marker added to a private write. */
export function metadataToWrite(options: WriteOptions): Readonly<Record<string, string>> | undefined {
  if (options.visibility !== 'private') return options.metadata;
  return { ...options.metadata, [PRIVATE_MARKER.metadataKey]: PRIVATE_MARKER.value };
}
