/** `audit-acl` glue (run by the audit-acl and reconcile actions): inputs -> stores -> audit engine -> report file, outputs, summary, annotations. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditStore, type StoreAudit } from '../../audit/audit-store';
import { emptyCounts, FINDING_KINDS, type Finding, type FindingKind } from '../../audit/findings';
import { ConfigurationError } from '../../config/configuration-error';
import { ActionFailure, type ActionContext } from '../../runtime/run-action';
import { probeAnonymous } from '../../storage/anonymous';
import { auditCapability } from '../../storage/audit-capability';
import { StoreError } from '../../errors';
import { openStore } from '../../storage/open-store';
import { RateLimiter } from '../../storage/rate-limit';
import { readAuditAclInputs, type AuditAclInputs } from './inputs';

/** Raised when findings reach the `fail-on` level. */
export class AuditFailedError extends ActionFailure {
  override readonly name = 'AuditFailedError';
}

const ANNOTATIONS_PER_LEVEL = 10;

export async function auditAcl(ctx: ActionContext): Promise<void> {
  await runAuditAcl(ctx, readAuditAclInputs(ctx.host));
}

/** The audit with inputs already read: audit-acl reads them from its step, reconcile from its own. */
export async function runAuditAcl({ host, summary }: ActionContext, inputs: AuditAclInputs): Promise<void> {
  const audits: StoreAudit[] = [];
  const started = Date.now();
  try {
    for (const spec of inputs.stores) {
      const store = openStore(spec, { env: host.env, onSecret: (v) => host.setSecret(v), concurrency: inputs.concurrency * 2 + 4 });
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
        let lastPrint = Date.now();
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
            events: {
              debug: (m) => host.debug(m),
              progress: (checked, listed, log) => {
                const now = Date.now();
                if (now - lastPrint < 5000) return;
                lastPrint = now;
                const rate = checked / Math.max((now - storeStarted) / 1000, 0.001);
                host.info(`${spec.name}: ${checked} object(s) checked of ${listed} listed, ${rate.toFixed(0)}/s; ${log.bySeverity.error} error(s), ${log.bySeverity.warning} warning(s)`);
              },
            },
          }),
        );
        audits.push(audit);
        const secs = (Date.now() - storeStarted) / 1000;
        host.info(
          `${spec.name}: ${audit.checked} object(s) checked (${audit.listed} listed) in ${secs.toFixed(1)} s, ${(audit.checked / Math.max(secs, 0.001)).toFixed(0)}/s; ` +
            `${audit.log.bySeverity.error} error(s), ${audit.log.bySeverity.warning} warning(s), ${audit.log.bySeverity.notice} notice(s)`,
        );
      } finally {
        store.close();
      }
    }
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

function totals(audits: readonly StoreAudit[]) {
  const counts = emptyCounts();
  const sev = { error: 0, warning: 0, notice: 0 };
  for (const a of audits) {
    for (const k of Object.keys(counts) as FindingKind[]) counts[k] += a.log.counts[k];
    sev.error += a.log.bySeverity.error;
    sev.warning += a.log.bySeverity.warning;
    sev.notice += a.log.bySeverity.notice;
  }
  const fixes = audits.flatMap((a) => a.fixes);
  return { counts, ...sev, checked: audits.reduce((n, a) => n + a.checked, 0), listed: audits.reduce((n, a) => n + a.listed, 0), fixes };
}

function report(audits: readonly StoreAudit[], inputs: AuditAclInputs, seconds: number) {
  const t = totals(audits);
  return {
    version: 1,
    seconds: Math.round(seconds * 10) / 10,
    fix: inputs.fix,
    shard: `${inputs.shard.index}/${inputs.shard.count}`,
    sample: inputs.sample,
    errors: t.error,
    warnings: t.warning,
    notices: t.notice,
    objectsChecked: t.checked,
    counts: t.counts,
    stores: audits.map((a) => ({
      name: a.name,
      store: a.display,
      mode: a.mode,
      aclsRead: a.aclsRead,
      bucket: a.facts,
      objectsListed: a.listed,
      objectsChecked: a.checked,
      counts: a.log.counts,
      findings: a.log.findings,
      findingsLeftOut: a.log.left,
      fixes: a.fixes,
    })),
  };
}

function writeOutputs(host: ActionContext['host'], audits: readonly StoreAudit[], reportFile: string): void {
  const t = totals(audits);
  host.setOutput('errors', String(t.error));
  host.setOutput('warnings', String(t.warning));
  host.setOutput('notices', String(t.notice));
  host.setOutput('objects-checked', String(t.checked));
  host.setOutput('counts', JSON.stringify(t.counts));
  host.setOutput('fixed', String(t.fixes.filter((f) => f.result === 'fixed').length));
  host.setOutput('fixes-planned', String(t.fixes.filter((f) => f.result === 'planned').length));
  host.setOutput('report', reportFile);
}

function where(a: StoreAudit, f: Finding): string {
  return f.key !== undefined ? `${a.name}: ${f.key}` : a.name;
}

/** At most ten annotations per level, then one pointing at the summary. */
function annotate(host: ActionContext['host'], audits: readonly StoreAudit[]): void {
  for (const level of ['error', 'warning'] as const) {
    const all = audits.flatMap((a) => a.log.findings.filter((f) => f.severity === level).map((f) => ({ a, f })));
    const total = audits.reduce((n, a) => n + a.log.bySeverity[level], 0);
    const say = level === 'error' ? (m: string) => host.error(m) : (m: string) => host.warning(m);
    for (const { a, f } of all.slice(0, ANNOTATIONS_PER_LEVEL)) say(`${f.kind}: ${where(a, f)}: ${f.message}`);
    if (total > ANNOTATIONS_PER_LEVEL) say(`${total - ANNOTATIONS_PER_LEVEL} more ${level}(s): see the job summary and the report file`);
  }
}

function failIfNeeded(audits: readonly StoreAudit[], inputs: AuditAclInputs): void {
  if (inputs.failOn === 'never') return;
  const t = totals(audits);
  const failing = inputs.failOn === 'error' ? t.error : t.error + t.warning;
  if (failing === 0) return;
  const kinds = (Object.keys(t.counts) as FindingKind[]).filter((k) => t.counts[k] > 0 && audits.some((a) => a.log.findings.some((f) => f.kind === k && (f.severity === 'error' || inputs.failOn === 'warning' && f.severity === 'warning'))));
  throw new AuditFailedError(`${failing} finding(s) at fail-on level "${inputs.failOn}" or above: ${kinds.map((k) => `${k} ${t.counts[k]}`).join(', ')}. See the job summary and the report file.`);
}

const FIRST_OBJECTS = 20;

function writeSummary(summary: ActionContext['summary'], audits: readonly StoreAudit[], inputs: AuditAclInputs): void {
  const t = totals(audits);
  summary.paragraph(
    `${t.checked} object(s) checked (${t.listed} listed) in ${audits.length} of ${inputs.stores.length} store(s)` +
      `${inputs.sample < 1 ? `, sampling ${(inputs.sample * 100).toFixed(1)}%` : ''}${inputs.shard.count > 1 ? `, shard ${inputs.shard.index}/${inputs.shard.count}` : ''}: ` +
      `${t.error} error(s), ${t.warning} warning(s), ${t.notice} notice(s). Fix: ${inputs.fix}.`,
  );
  for (const a of audits) {
    summary.heading(`${a.name}: ${a.display}`);
    const f = a.facts;
    const block = f.accessBlock === undefined ? 'unreadable' : f.accessBlock === 'none' ? 'none' : Object.entries(f.accessBlock).filter(([, v]) => v).map(([k]) => k).join(', ') || 'all off';
    summary.table(
      ['setting', 'value'],
      [
        ['visibility mode', a.mode],
        ['object ACLs read', a.aclsRead ? 'yes' : 'no (anonymous checks only)'],
        ['public access block', block],
        ['ownership controls', f.ownership === 'unknown' ? 'unknown (no valid ownership-controls answer)' : f.ownership],
        ['bucket policy', f.policy],
        ['policy lets strangers', f.policyExposures.map((p) => `${p.access} (${p.who}, ${p.statement}: ${p.scope})`).join('; ') || 'nothing'],
        ['versioning', f.versioning ?? 'unreadable'],
        ['lifecycle rules', f.lifecycle === undefined ? 'not read' : String(f.lifecycle.length)],
      ],
    );
    const kinds = (Object.keys(FINDING_KINDS) as FindingKind[]).filter((k) => a.log.counts[k] > 0);
    for (const k of kinds) {
      const shown = a.log.findings.filter((x) => x.kind === k).slice(0, FIRST_OBJECTS);
      summary.paragraph(`**${k}** (${shown[0]?.severity ?? ''}): ${a.log.counts[k]}`);
      summary.table(['key', 'detail'], shown.map((x) => [x.key ?? '(bucket)', x.message]), FIRST_OBJECTS);
    }
    if (a.fixes.length > 0) {
      summary.paragraph(`**fixes** (${inputs.fix === 'true' ? 'applied' : 'dry run: nothing changed'})`);
      summary.table(
        ['key', 'finding', 'fix', 'result'],
        a.fixes.map((x) => [x.key, x.kind, x.plan.action === 'set-acl' ? `set ACL ${x.plan.acl}` : `${x.plan.action}: ${x.plan.advice}`, `${x.result}${x.detail ? `: ${x.detail}` : ''}`]),
        50,
      );
    }
  }
}
