/**
 * Content addressing by name: an object whose name holds a SHA-256 promises that content. Uploads
 * check what they write against the promise and downloads check what they read, so the rule lives
 * with the stored objects it describes, below both engines.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/**
 * The sha256 a content-addressed name promises: a run of exactly 64 hex digits in the object's
 * name. `undefined` when there is none; an error when there are two different ones.
 */
export function sha256FromName(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const found = new Set([...name.matchAll(/(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])/g)].map((m) => m[0].toLowerCase()));
  if (found.size > 1) throw new ConfigurationError(`name ${quote(name)} holds ${found.size} different sha256 values; which one is the content's is ambiguous`);
  return found.values().next().value;
}
