/** `audit-acl` glue (run by the audit-acl and reconcile actions): inputs -> stores -> audit engine -> report file, outputs, summary, annotations. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditStore, type AuditOptions, type StoreAudit } from '../../audit/audit-store';
import { emptyCounts, FINDING_KINDS, type Finding, type FindingKind } from '../../audit/findings';
import { ConfigurationError } from '../../config/configuration-error';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import { probeAnonymous } from '../../storage/anonymous';
import { auditCapability } from '../../storage/audit-capability';
import { StoreError } from '../../errors';
import { openStore } from '../../storage/open-store';
import { RateLimiter } from '../../storage/rate-limit';
import type { StoreSpec } from '../../storage/store-spec';
import { readAuditAclInputs, type AuditAclInputs } from './inputs';

/** Raised when findings reach the `fail-on` level. */
export class AuditFailedError extends ActionFailure {
  override readonly name = 'AuditFailedError';
}

const ANNOTATIONS_PER_LEVEL = 10;

type Host = ActionContext['host'];

export async function auditAcl(ctx: ActionContext): Promise<void> {
  await runAuditAcl(ctx, readAuditAclInputs(ctx.host));
}

/** The audit with inputs already read: audit-acl reads them from its step, reconcile from its own. */
export async function runAuditAcl({ host, summary }: ActionContext, inputs: AuditAclInputs): Promise<void> {
  const audits: StoreAudit[] = [];
  const started = Date.now();
  try {
    for (const spec of inputs.stores) audits.push(await auditOneStore(host, spec, inputs));
    const reportFile = path.resolve(host.cwd, inputs.reportPath);
    fs.mkdirSync(path.dirname(reportFile), { recursive: true });
    fs.writeFileSync(reportFile, `${JSON.stringify(report(audits, inputs, (Date.now() - started) / 1000), null, 2)}\n`);
    writeOutputs(host, audits, reportFile);
    annotate(host, audits);
    failIfNeeded(audits, inputs);
  } finally {
    writeSummary(summary, audits, inputs);
  }
}

/** Opens one store, checks that it answers, audits it and closes it. */
async function auditOneStore(host: Host, spec: StoreSpec, inputs: AuditAclInputs): Promise<StoreAudit> {
  const store = openStore(spec, { env: host.env, onSecret: (value) => host.setSecret(value), concurrency: inputs.concurrency * 2 + 4 });
  try {
    await host.group(`Preflight: ${spec.name}`, async () => {
      try {
        await store.preflight();
      } catch (e) {
        if (e instanceof StoreError && e.isConfiguration) throw new ConfigurationError(`input "stores": ${spec.name}: ${e.message}. Nothing was checked.`);
        throw e;
      }
      host.info(`${spec.name}: ok (${store.display}, visibility ${store.visibilityMode})`);
    });
    const limiter = new RateLimiter({ rate: inputs.requestsPerSecond });
    const storeStarted = Date.now();
    const audit = await host.group(`Audit: ${spec.name}${inputs.shard.count > 1 ? ` (shard ${inputs.shard.index}/${inputs.shard.count})` : ''}`, () =>
      auditStore(spec.name, store, auditCapability(store), {
        rules: inputs.rules,
        range: inputs.shard.range,
        sample: inputs.sample,
        random: Math.random,
        concurrency: inputs.concurrency,
        fix: inputs.fix,
        allowMoreVisible: inputs.allowMoreVisible,
        lifecycle: inputs.lifecycle,
        versioning: inputs.versioning,
        settingSeverity: inputs.settingSeverity,
        aclChecks: inputs.aclChecks,
        probe: (url) => probeAnonymous(url),
        throttle: () => limiter.take(),
        events: { debug: (message) => host.debug(message), progress: progressPrinter(host, spec.name, storeStarted) },
      }),
    );
    const seconds = (Date.now() - storeStarted) / 1000;
    host.info(
      `${spec.name}: ${audit.checked} object(s) checked (${audit.listed} listed) in ${seconds.toFixed(1)} s, ${(audit.checked / Math.max(seconds, 0.001)).toFixed(0)}/s; ` +
        `${audit.log.bySeverity.error} error(s), ${audit.log.bySeverity.warning} warning(s), ${audit.log.bySeverity.notice} notice(s)`,
    );
    return audit;
  } finally {
    store.close();
  }
}

/** A progress line at most every 5 s: objects checked and listed, the rate, errors and warnings so far. */
function progressPrinter(host: Host, name: string, storeStarted: number): AuditOptions['events']['progress'] {
  let lastPrint = Date.now();
  return (checked, listed, log) => {
    const now = Date.now();
    if (now - lastPrint < 5000) return;
    lastPrint = now;
    const rate = checked / Math.max((now - storeStarted) / 1000, 0.001);
    host.info(`${name}: ${checked} object(s) checked of ${listed} listed, ${rate.toFixed(0)}/s; ${log.bySeverity.error} error(s), ${log.bySeverity.warning} warning(s)`);
  };
}

function totals(audits: readonly StoreAudit[]) {
  const counts = emptyCounts();
  const bySeverity = { error: 0, warning: 0, notice: 0 };
  for (const audit of audits) {
    for (const kind of Object.keys(counts) as FindingKind[]) counts[kind] += audit.log.counts[kind];
    bySeverity.error += audit.log.bySeverity.error;
    bySeverity.warning += audit.log.bySeverity.warning;
    bySeverity.notice += audit.log.bySeverity.notice;
  }
  const fixes = audits.flatMap((audit) => audit.fixes);
  return { counts, ...bySeverity, checked: audits.reduce((n, audit) => n + audit.checked, 0), listed: audits.reduce((n, audit) => n + audit.listed, 0), fixes };
}

function report(audits: readonly StoreAudit[], inputs: AuditAclInputs, seconds: number) {
  const total = totals(audits);
  return {
    version: 1,
    seconds: Math.round(seconds * 10) / 10,
    fix: inputs.fix,
    shard: `${inputs.shard.index}/${inputs.shard.count}`,
    sample: inputs.sample,
    errors: total.error,
    warnings: total.warning,
    notices: total.notice,
    objectsChecked: total.checked,
    counts: total.counts,
    stores: audits.map((audit) => ({
      name: audit.name,
      store: audit.display,
      mode: audit.mode,
      aclsRead: audit.aclsRead,
      bucket: audit.facts,
      objectsListed: audit.listed,
      objectsChecked: audit.checked,
      counts: audit.log.counts,
      findings: audit.log.findings,
      findingsLeftOut: audit.log.left,
      fixes: audit.fixes,
    })),
  };
}

function writeOutputs(host: Host, audits: readonly StoreAudit[], reportFile: string): void {
  const total = totals(audits);
  host.setOutput('errors', String(total.error));
  host.setOutput('warnings', String(total.warning));
  host.setOutput('notices', String(total.notice));
  host.setOutput('objects-checked', String(total.checked));
  host.setOutput('counts', JSON.stringify(total.counts));
  host.setOutput('fixed', String(total.fixes.filter((fix) => fix.result === 'fixed').length));
  host.setOutput('fixes-planned', String(total.fixes.filter((fix) => fix.result === 'planned').length));
  host.setOutput('report', reportFile);
}

function where(audit: StoreAudit, finding: Finding): string {
  return finding.key !== undefined ? `${audit.name}: ${finding.key}` : audit.name;
}

/** At most ten annotations per level, then one pointing at the summary. */
function annotate(host: Host, audits: readonly StoreAudit[]): void {
  for (const level of ['error', 'warning'] as const) {
    const all = audits.flatMap((audit) => audit.log.findings.filter((finding) => finding.severity === level).map((finding) => ({ audit, finding })));
    const total = audits.reduce((n, audit) => n + audit.log.bySeverity[level], 0);
    const say = level === 'error' ? (message: string) => host.error(message) : (message: string) => host.warning(message);
    for (const { audit, finding } of all.slice(0, ANNOTATIONS_PER_LEVEL)) say(`${finding.kind}: ${where(audit, finding)}: ${finding.message}`);
    if (total > ANNOTATIONS_PER_LEVEL) say(`${total - ANNOTATIONS_PER_LEVEL} more ${level}(s): see the job summary and the report file`);
  }
}

function failIfNeeded(audits: readonly StoreAudit[], inputs: AuditAclInputs): void {
  if (inputs.failOn === 'never') return;
  const total = totals(audits);
  const failing = inputs.failOn === 'error' ? total.error : total.error + total.warning;
  if (failing === 0) return;
  const failsRun = (finding: Finding) => finding.severity === 'error' || (inputs.failOn === 'warning' && finding.severity === 'warning');
  const kinds = (Object.keys(total.counts) as FindingKind[]).filter((kind) => total.counts[kind] > 0 && audits.some((audit) => audit.log.findings.some((finding) => finding.kind === kind && failsRun(finding))));
  throw new AuditFailedError(`${failing} finding(s) at fail-on level "${inputs.failOn}" or above: ${kinds.map((kind) => `${kind} ${total.counts[kind]}`).join(', ')}. See the job summary and the report file.`);
}

const FIRST_OBJECTS = 20;

function writeSummary(summary: ActionContext['summary'], audits: readonly StoreAudit[], inputs: AuditAclInputs): void {
  const total = totals(audits);
  summary.paragraph(
    `${total.checked} object(s) checked (${total.listed} listed) in ${audits.length} of ${inputs.stores.length} store(s)` +
      `${inputs.sample < 1 ? `, sampling ${(inputs.sample * 100).toFixed(1)}%` : ''}${inputs.shard.count > 1 ? `, shard ${inputs.shard.index}/${inputs.shard.count}` : ''}: ` +
      `${total.error} error(s), ${total.warning} warning(s), ${total.notice} notice(s). Fix: ${inputs.fix}.`,
  );
  for (const audit of audits) {
    summary.heading(`${audit.name}: ${audit.display}`);
    summary.table(['setting', 'value'], settingRows(audit));
    const kinds = (Object.keys(FINDING_KINDS) as FindingKind[]).filter((kind) => audit.log.counts[kind] > 0);
    for (const kind of kinds) {
      const shown = audit.log.findings.filter((finding) => finding.kind === kind).slice(0, FIRST_OBJECTS);
      summary.paragraph(`**${kind}** (${shown[0]?.severity ?? ''}): ${audit.log.counts[kind]}`);
      summary.table(['key', 'detail'], shown.map((finding) => [finding.key ?? '(bucket)', finding.message]), FIRST_OBJECTS);
    }
    if (audit.fixes.length > 0) {
      summary.paragraph(`**fixes** (${inputs.fix === 'true' ? 'applied' : 'dry run: nothing changed'})`);
      summary.table(
        ['key', 'finding', 'fix', 'result'],
        audit.fixes.map((fix) => [fix.key, fix.kind, fix.plan.action === 'set-acl' ? `set ACL ${fix.plan.acl}` : `${fix.plan.action}: ${fix.plan.advice}`, `${fix.result}${fix.detail ? `: ${fix.detail}` : ''}`]),
        50,
      );
    }
  }
}

/** The bucket settings table of one store. */
function settingRows(audit: StoreAudit): string[][] {
  const facts = audit.facts;
  const block =
    facts.accessBlock === undefined
      ? 'unreadable'
      : facts.accessBlock === 'none'
        ? 'none'
        : Object.entries(facts.accessBlock).filter(([, on]) => on).map(([flag]) => flag).join(', ') || 'all off';
  return [
    ['visibility mode', audit.mode],
    ['object ACLs read', audit.aclsRead ? 'yes' : 'no (anonymous checks only)'],
    ['public access block', block],
    ['ownership controls', facts.ownership === 'unknown' ? 'unknown (no valid ownership-controls answer)' : facts.ownership],
    ['bucket policy', facts.policy],
    [
      'policy lets strangers',
      facts.policyExposures.map((exposure) => `${exposure.access} (${exposure.who}, ${exposure.statement}: ${exposure.scope}${exposure.condition !== undefined ? `, only if ${exposure.condition}` : ''})`).join('; ') || 'nothing',
    ],
    ['versioning', facts.versioning ?? 'unreadable'],
    ['lifecycle rules', facts.lifecycle === undefined ? 'not read' : String(facts.lifecycle.length)],
  ];
}
