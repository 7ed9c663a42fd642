import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { mirrorBucket } from './main';

void runAction('mirror-bucket', mirrorBucket, actionsHost());
