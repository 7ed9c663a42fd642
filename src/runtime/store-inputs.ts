/**
 * The inputs every action that writes to stores shares: `stores`, and the defaults for its lines
 * (`credentials`, `visibility-mode`, `region`). One reader, so they mean the same everywhere.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import type { VisibilityMode } from '../storage/object-store';
import { parseCredentials, parseStoreSpec, refuseUserinfo, type StoreSpec } from '../storage/store-spec';
import type { Host } from './host';
import { lines, parseChoice, parseInput, requiredInput } from './inputs';

const MODES = ['auto', 'acl', 'policy', 'detect'] as const;

/**
 * Parses the `stores` input, one store spec a line, with the step's defaults. Each store must
 * appear once. With `optional`, an empty input gives no store instead of an error.
 */
export function readStoreInputs(host: Host, optional = false): StoreSpec[] {
  const { credentials, visibility, region } = readStoreDefaults(host);
  // The whole text, comments included: a secret with a line break in it would leave each half on
  // a line of its own, and a half that starts with '#' would pass for a comment.
  parseInput(host, 'stores', (text) => refuseUserinfo(text, 'the input'));
  const storeLines = optional ? lines(host.input('stores')) : lines(requiredInput(host, 'stores'));
  return specsOf(host, 'stores', storeLines, { credentials, visibility, region });
}

/**
 * Parses a list-of-stores input other than `stores` (mirror-bucket's `destinations`), one store
 * spec a line with the step's defaults, each store once; empty: no store.
 */
export function readStoreListInput(host: Host, name: string): StoreSpec[] {
  const defaults = readStoreDefaults(host);
  parseInput(host, name, (text) => refuseUserinfo(text, 'the input'));
  return specsOf(host, name, lines(host.input(name)), defaults);
}

/** The store specs of an input's lines; a store given twice is refused. */
function specsOf(host: Host, name: string, storeLines: readonly string[], defaults: ReturnType<typeof readStoreDefaults>): StoreSpec[] {
  const stores = storeLines.map((line, i) =>
    parseInput(host, name, () => {
      try {
        return parseStoreSpec(line, { ...defaults, cwd: host.cwd });
      } catch (e) {
        throw e instanceof ConfigurationError ? e.within(`line ${i + 1}`) : e;
      }
    }),
  );
  const names = new Set<string>();
  for (const s of stores) {
    if (names.has(s.name)) throw new ConfigurationError(`input "${name}": ${quote(s.name)} is listed twice; give each store once (or a distinct name=)`);
    names.add(s.name);
  }
  return stores;
}

/** The defaults for store lines: the `credentials`, `visibility-mode` and `region` inputs. */
function readStoreDefaults(host: Host) {
  const credentials = parseInput(host, 'credentials', (v) => parseCredentials(v, host.cwd), 'default');
  const visibility = parseInput(host, 'visibility-mode', parseChoice(MODES), 'auto') as VisibilityMode | 'auto';
  const region = parseInput(host, 'region', (v) => v, 'us-east-1');
  return { credentials, visibility, region };
}

/** Parses one required store input (such as `source` or `destination`) with the step's defaults. */
export function readStoreInput(host: Host, name: string): StoreSpec {
  const defaults = readStoreDefaults(host);
  const text = requiredInput(host, name);
  parseInput(host, name, (value) => refuseUserinfo(value, 'the input'));
  const specLines = lines(text);
  if (specLines.length !== 1) throw new ConfigurationError(`input "${name}": give exactly one store, not ${specLines.length} lines`);
  return parseInput(host, name, () => parseStoreSpec(specLines[0]!, { ...defaults, cwd: host.cwd }));
}
