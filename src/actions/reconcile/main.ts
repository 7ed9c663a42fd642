/**
 * `reconcile` glue: the mirror-bucket step, then the audit-acl step on both stores (also when the
 * mirror failed, so a nightly report always says what is exposed), in one process under the
 * action's runtime. The action fails when either part failed, after both ran.
 */
import { ConfigurationError } from '../../config/configuration-error';
import { StoreError } from '../../errors';
import { partHost, renamedInputs, type PartNames } from '../../runtime/part-host';
import { ActionFailure, describeFailure, type ActionContext } from '../../runtime/run-action';
import { Summary } from '../../runtime/summary';
import { runAuditAcl } from '../../steps/audit-acl/main';
import { runMirrorBucket } from '../../steps/mirror-bucket/main';
import { AUDIT_NAMES, MIRROR_NAMES, readReconcileInputs } from './inputs';

export async function reconcile(ctx: ActionContext): Promise<void> {
  const { host, summary } = ctx;
  const inputs = readReconcileInputs(host);
  let interrupted = false;
  const unregister = ctx.onInterrupt(async () => {
    interrupted = true;
  });
  const failures: string[] = [];

  /** Runs one part with its own host and summary section; a failure is recorded, not thrown. */
  const part = async (title: string, names: PartNames, run: (c: ActionContext) => Promise<void>): Promise<'success' | 'failure'> => {
    const section = new Summary(title);
    try {
      await run({ host: partHost(host, names), summary: section, onInterrupt: ctx.onInterrupt });
      return 'success';
    } catch (thrown) {
      const e = renamedInputs(names, thrown);
      const message = describeFailure(e);
      if (!(e instanceof ConfigurationError) && !(e instanceof StoreError) && !(e instanceof ActionFailure) && e instanceof Error && e.stack) host.debug(e.stack);
      section.failure(message);
      // Said once, in the step's failure after every part ran (a log line here repeated it).
      failures.push(`${title} failed: ${message}`);
      return 'failure';
    } finally {
      summary.paragraph(section.render());
    }
  };

  try {
    host.setOutput('mirror-outcome', await part('mirror-bucket', MIRROR_NAMES, (c) => runMirrorBucket(c, inputs.mirror)));
    const audit = inputs.audit;
    if (audit === undefined) host.setOutput('audit-outcome', 'skipped');
    else if (interrupted) {
      host.setOutput('audit-outcome', 'skipped');
      failures.push('interrupted before the audit');
    } else {
      if (failures.length > 0) host.info('mirror-bucket failed; the audit runs all the same, and the step fails after it, saying why');
      host.setOutput('audit-outcome', await part('audit-acl', AUDIT_NAMES, (c) => runAuditAcl(c, audit)));
    }
  } finally {
    unregister();
  }
  if (failures.length > 0) throw new ActionFailure(failures.join('; '));
}
