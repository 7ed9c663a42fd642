import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { auditAcl } from '../../steps/audit-acl/main';

void runAction('audit-acl', auditAcl, actionsHost());
