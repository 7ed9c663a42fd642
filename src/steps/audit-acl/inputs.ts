/** The inputs of `audit-acl`, parsed once into one readonly object. */
import { DEFAULT_RULES_TEXT, parseVisibilityRules, type VisibilityRule } from '../../acl/visibility';
import {
  parseLifecycleExpectations,
  parseSample,
  parseVersioningExpectation,
  type AclChecks,
  type FailOn,
  type FixMode,
  type LifecycleExpectation,
  type VersioningExpectation,
} from '../../audit/expectations';
import { ConfigurationError, quote } from '../../config/configuration-error';
import type { Host } from '../../runtime/host';
import { parseBoolean, parseChoice, parseInput, parseIntInRange, parseRate, parseReportPath } from '../../runtime/inputs';
import { readStoreInputs } from '../../runtime/store-inputs';
import type { StoreSpec } from '../../storage/store-spec';
import { parseShard, type Shard } from '../../storage/key-range';

export interface AuditAclInputs {
  readonly stores: readonly StoreSpec[];
  readonly rules: readonly VisibilityRule[];
  readonly lifecycle: readonly LifecycleExpectation[];
  readonly versioning: VersioningExpectation;
  readonly settingSeverity: 'warning' | 'error';
  readonly failOn: FailOn;
  readonly fix: FixMode;
  readonly allowMoreVisible: boolean;
  readonly sample: number;
  readonly shard: Shard;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly aclChecks: AclChecks;
  readonly reportPath: string;
}

/** Reads the inputs; `given` stores (already read, as reconcile does from its own inputs) stand for the `stores` input. */
export function readAuditAclInputs(host: Host, given?: readonly StoreSpec[]): AuditAclInputs {
  const stores = given ?? readStoreInputs(host);
  for (const s of stores) {
    if (s.kind === 'file') throw new ConfigurationError(`input "stores": ${quote(s.name)} is a folder; audit-acl checks S3 stores (a folder has no ACLs and no anonymous readers)`);
  }
  return {
    stores,
    rules: parseInput(host, 'visibility-rules', (text) => parseVisibilityRules(text, { restricted: true }), DEFAULT_RULES_TEXT),
    lifecycle: parseInput(host, 'expect-lifecycle', parseLifecycleExpectations, ''),
    versioning: parseInput(host, 'expect-versioning', parseVersioningExpectation, 'any'),
    settingSeverity: parseInput(host, 'setting-severity', parseChoice(['warning', 'error'] as const), 'warning'),
    failOn: parseInput(host, 'fail-on', parseChoice(['error', 'warning', 'never'] as const), 'error'),
    fix: parseInput(host, 'fix', parseChoice(['false', 'dry-run', 'true'] as const), 'dry-run'),
    allowMoreVisible: parseInput(host, 'allow-more-visible', parseBoolean, 'false'),
    sample: parseInput(host, 'sample', parseSample, '1'),
    shard: parseInput(host, 'shard', parseShard, ''),
    concurrency: parseInput(host, 'concurrency', parseIntInRange(1, 64), '4'),
    requestsPerSecond: parseInput(host, 'requests-per-second', parseRate, '0'),
    aclChecks: parseInput(host, 'acl-checks', parseChoice(['auto', 'required', 'skip'] as const), 'auto'),
    reportPath: parseInput(host, 'report-path', parseReportPath(host, 'audit-acl-report.json')),
  };
}
