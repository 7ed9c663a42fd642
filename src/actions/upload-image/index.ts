import { actionsHost } from '../../runtime/actions-host';
import { runAction } from '../../runtime/run-action';
import { uploadImage } from './main';

void runAction('upload-image', uploadImage, actionsHost());
