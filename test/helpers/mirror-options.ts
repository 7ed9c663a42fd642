// The options of a mirror run that the engine suites share: a sync with the default visibility
// rules, no visibility check, and every report line kept in `lines`. A suite sets what it tests.
import { parseVisibilityRules, DEFAULT_RULES_TEXT } from '../../src/acl/visibility';
import type { ObjectStore } from '../../src/storage/object-store';
import type { Mark, MirrorOptions } from '../../src/sync/mirror';

export function mirrorOptions(source: ObjectStore, destination: ObjectStore, extra: Partial<MirrorOptions> = {}) {
  const lines: [Mark, string][] = [];
  const o: MirrorOptions = {
    source,
    destination,
    mode: 'sync',
    dryRun: false,
    filter: () => true,
    range: {},
    rules: parseVisibilityRules(DEFAULT_RULES_TEXT),
    compare: 'checksum',
    transfers: 4,
    checkers: 4,
    partSize: 5 * 1024 * 1024,
    partsInFlight: 2,
    memory: 64 * 1024 * 1024,
    verifyVisibility: 'none',
    probe: async () => ({ access: 'denied', status: 403 }),
    events: { info: () => undefined, debug: () => undefined, warning: () => undefined, line: (m, k) => lines.push([m, k]) },
    ...extra,
  };
  return { o, lines };
}
