/**
 * The inputs of `reconcile`: those of mirror-bucket and audit-acl by the same names, read through a
 * host that presents each part its own (`part-host.ts`). Both parts' inputs are read before
 * either runs, so a mistake in an audit input fails at once, not after a night's mirror.
 */
import { ConfigurationError, quote } from '../../config/configuration-error';
import type { Host } from '../../runtime/host';
import { parseVisibilityRules } from '../../acl/visibility';
import { parseBoolean, parseInput } from '../../runtime/inputs';
import { partHost, readPartInputs, type PartNames } from '../../runtime/part-host';
import { readAuditAclInputs, type AuditAclInputs } from '../../steps/audit-acl/inputs';
import { readMirrorBucketInputs, type MirrorBucketInputs } from '../../steps/mirror-bucket/inputs';

/** The mirror part: its inputs and outputs by its own names, but `mirror-report` for its report output. */
export const MIRROR_NAMES: PartNames = {
  inputs: {},
  output: (name) => (name === 'report' ? 'mirror-report' : name),
};

/**
 * The audit part: `audit-stores` for its `stores` (empty: the source and the destination), and
 * `audit-report-path` for its `report-path` (the mirror's report-path is another file). Every
 * output with an `audit-` prefix.
 */
export const AUDIT_NAMES: PartNames = {
  inputs: { stores: 'audit-stores', 'report-path': 'audit-report-path' },
  output: (name) => `audit-${name}`,
};

export interface ReconcileInputs {
  readonly mirror: MirrorBucketInputs;
  /** `undefined` when `audit` is false. */
  readonly audit?: AuditAclInputs;
}

export function readReconcileInputs(host: Host): ReconcileInputs {
  refuseRestricted(host);
  const mirror = readPartInputs(MIRROR_NAMES, () => readMirrorBucketInputs(partHost(host, MIRROR_NAMES)));
  const wanted = parseInput(host, 'audit', parseBoolean, 'true');
  // Planning shards only lists the source: each shard's own run audits its range.
  if (!wanted || mirror.mode === 'plan-shards') return { mirror };
  const audit = readAudit(host, mirror);
  if (audit.reportPath === mirror.reportPath) {
    throw new ConfigurationError(`inputs "report-path" and "audit-report-path": both are ${quote(audit.reportPath)}, and the audit's report would overwrite the mirror's; give each its own file`);
  }
  // A dry run changes nothing, the audit's fixes included: they are planned and reported.
  if (mirror.dryRun && audit.fix === 'true') {
    host.info('dry-run: the audit plans its fixes and reports them, changing nothing (fix: true applies them in a run without dry-run)');
    return { mirror, audit: { ...audit, fix: 'dry-run' } };
  }
  return { mirror, audit };
}

/**
 * A `restricted` rule is the audit's alone: a writer would write the keys it covers private, with
 * the private marker, after which the audit expects them private, not restricted. Said here,
 * naming the rule and the way out, rather than as the mirror part's refusal of the value, which
 * calls it a rule of audit-acl (a part of reconcile).
 */
function refuseRestricted(host: Host): void {
  const text = host.input('visibility-rules');
  if (text.trim() === '') return;
  let rules;
  try {
    rules = parseVisibilityRules(text, { restricted: true });
  } catch {
    return; // The mirror part names what is wrong with the rules.
  }
  const rule = rules.find((r) => r.visibility === 'restricted');
  if (rule === undefined) return;
  throw new ConfigurationError(
    `input "visibility-rules": rule ${rule.line} ${quote(`${rule.glob} restricted`)}: reconcile cannot use "restricted": its mirror writes objects, and no write makes an object restricted; give these keys "private" here, or audit them with audit-acl (which accepts "restricted") in a step of its own`,
  );
}

function readAudit(host: Host, mirror: MirrorBucketInputs): AuditAclInputs {
  const auditHost = partHost(host, AUDIT_NAMES);
  if (host.input('audit-stores').trim() !== '') return readPartInputs(AUDIT_NAMES, () => readAuditAclInputs(auditHost));
  // Every store of the mirror, as the mirror read them.
  const several = mirror.destinations.length > 1;
  const stores = [['source', mirror.source] as const, ...mirror.destinations.map((spec) => [several ? 'destinations' : 'destination', spec] as const)];
  for (const [name, spec] of stores) {
    if (spec.kind === 'file') {
      throw new ConfigurationError(`input "${name}": ${quote(spec.url)} is a folder, and the audit checks S3 stores only (a folder has no ACLs and no anonymous readers); set audit: false, or list the stores to audit in audit-stores`);
    }
  }
  const seen = new Map<string, string>();
  for (const [name, spec] of stores) {
    const before = seen.get(spec.name);
    if (before !== undefined) {
      throw new ConfigurationError(`inputs "${before}" and "${name}": both are named ${quote(spec.name)}, and the audit reports each store by its name; give each a name= of its own`);
    }
    seen.set(spec.name, name);
  }
  return readPartInputs(AUDIT_NAMES, () => readAuditAclInputs(auditHost, stores.map(([, spec]) => spec)));
}
