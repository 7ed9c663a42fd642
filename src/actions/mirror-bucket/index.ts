import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { mirrorBucket } from '../../steps/mirror-bucket/main';

void runAction('mirror-bucket', mirrorBucket, actionsHost());
