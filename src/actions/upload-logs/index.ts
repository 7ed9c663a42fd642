import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { uploadLogs } from './main';

void runAction('upload-logs', uploadLogs, actionsHost());
