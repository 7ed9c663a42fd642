import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { pruneAction } from './main';

void runAction('prune', pruneAction, actionsHost());
