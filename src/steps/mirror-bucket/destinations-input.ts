/**
 * mirror-bucket's destinations: one store in `destination`, or several (one a line) in
 * `destinations`, never both; `require` (as upload-image reads it) says how many of them must end
 * the run right. The features a run to several destinations does not carry are refused by name.
 */
import { ConfigurationError, quote } from '../../config/configuration-error';
import type { Host } from '../../runtime/host';
import { parseInput } from '../../runtime/inputs';
import { readStoreInput, readStoreListInput } from '../../runtime/store-inputs';
import type { StoreSpec } from '../../storage/store-spec';
import { overlapProblem } from '../../storage/store-place';
import { parseRequirement, type Requirement } from '../../config/requirement';

/** The destinations (at least one) and how many must succeed. */
export function readDestinations(host: Host): { destinations: StoreSpec[]; require: Requirement } {
  const one = host.input('destination').trim() !== '';
  const many = host.input('destinations').trim() !== '';
  if (one && many) throw new ConfigurationError('inputs "destination" and "destinations": both are given; allowed: one store in destination, or one store a line in destinations, not both');
  if (!one && !many) throw new ConfigurationError('inputs "destination" and "destinations": neither is given; allowed: one store in destination, or one store a line in destinations');
  const destinations = one ? [readStoreInput(host, 'destination')] : readStoreListInput(host, 'destinations');
  const require = parseInput(host, 'require', (v) => parseRequirement(v, destinations.length), 'all');
  return { destinations, require };
}

/** Two destinations in one place (or one inside the other) would be written twice, or one would delete what the other wrote. */
export function checkDestinationsDisjoint(destinations: readonly StoreSpec[]): void {
  for (let i = 0; i < destinations.length; i++) {
    for (let j = i + 1; j < destinations.length; j++) {
      const problem = overlapProblem(destinations[i]!, destinations[j]!);
      if (problem !== undefined) throw new ConfigurationError(`input "destinations": lines ${i + 1} and ${j + 1}: ${problem}; give separate places`);
    }
  }
}

/** What the features a run to several destinations does not carry look like when left at their defaults. */
const UNSUPPORTED: readonly { readonly input: string; readonly unset: (value: string) => boolean; readonly why: string }[] = [
  { input: 'mode', unset: (v) => v !== 'check', why: 'check mode compares one pair of stores; run one check a destination' },
  { input: 'compare', unset: (v) => v !== 'content', why: 'content comparison reads the source once a destination; use checksum' },
  { input: 'digest-in-key', unset: (v) => v === '' || v === 'none', why: 'verification by the digest in the key is made for one destination' },
  { input: 'publish-last', unset: (v) => v === '', why: 'ordered publication holds its phases across one destination' },
  { input: 'delete-delay', unset: (v) => v === '' || v === '0', why: 'the delete delay belongs to ordered publication, made for one destination' },
];

/** With several destinations, each input of a feature not carried must be left unset: refused by name otherwise. */
export function refuseUnsupported(host: Host, count: number): void {
  if (count < 2) return;
  for (const u of UNSUPPORTED) {
    const value = host.input(u.input).trim();
    if (!u.unset(value)) {
      throw new ConfigurationError(`input "${u.input}": ${quote(value)} is given with input "destinations" (${count} stores), but ${u.why}; allowed with several destinations: modes copy and sync, compare checksum, digest-in-key none, no publish-last, delete-delay 0`);
    }
  }
}
