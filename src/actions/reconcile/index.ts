import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { reconcile } from './main';

void runAction('reconcile', reconcile, actionsHost());
