/**
 * Keys as the actions take them from their inputs: one check, so a key means the same object in an
 * S3 store and in a folder store.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** Refuses keys that would escape a prefix or that S3 and file stores treat differently. */
export function checkKey(key: string, from: string): void {
  const bytes = Buffer.byteLength(key);
  if (key === '' || bytes > 1024) throw new ConfigurationError(`key ${quote(key)} from ${quote(from)} must be 1 to 1024 bytes`);
  if (key.startsWith('/')) throw new ConfigurationError(`key ${quote(key)} from ${quote(from)} must not start with '/'`);
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new ConfigurationError(`key ${quote(key)} from ${quote(from)} has an empty, '.' or '..' segment`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new ConfigurationError(`key ${quote(key)} from ${quote(from)} holds a control character`);
}
