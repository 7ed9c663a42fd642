/** The mirror's own failure: the stores do not agree (check mode), or objects or destinations failed. */
import { ActionFailure } from '../../runtime/run-action';

/** Raised when the stores do not agree (check mode) or some objects failed. */
export class MirrorFailedError extends ActionFailure {
  override readonly name = 'MirrorFailedError';
}
