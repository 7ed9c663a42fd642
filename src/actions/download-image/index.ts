import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { downloadImageAction } from './main';

void runAction('download-image', downloadImageAction, actionsHost());
