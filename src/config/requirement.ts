/**
 * The `require` input of upload-image and mirror-bucket: all, any, or a number of the stores given.
 */
import { ConfigurationError, quote } from './configuration-error';

/** How many stores must succeed (upload-image: hold a file; mirror-bucket: end the run right). */
export type Requirement = { readonly kind: 'all' } | { readonly kind: 'any' } | { readonly kind: 'count'; readonly count: number };

export function parseRequirement(text: string, storeCount: number): Requirement {
  const t = text.trim();
  if (t === 'all') return { kind: 'all' };
  if (t === 'any') return { kind: 'any' };
  if (/^\d+$/.test(t)) {
    const count = Number(t);
    if (count >= 1 && count <= storeCount) return { kind: 'count', count };
    throw new ConfigurationError(`${quote(t)} is out of range; allowed: all, any, or a number from 1 to ${storeCount} (the number of stores)`);
  }
  throw new ConfigurationError(`${quote(t)} is not allowed; allowed: all, any, or a number from 1 to ${storeCount}`);
}

/** The number of stores a requirement asks for. */
export function requiredCount(r: Requirement, storeCount: number): number {
  return r.kind === 'all' ? storeCount : r.kind === 'any' ? 1 : r.count;
}
