/**
 * What a stranger sees of a store: an object's anonymous address and the unsigned probe of it.
 * The wire code lives in `../s3/`; the layers above storage reach it through here, never directly.
 */
export { formatAddress, type PublicAddress } from '../s3/public-address';
export { encodeKey, probeAnonymous, type AnonymousAccess } from '../s3/anonymous';
