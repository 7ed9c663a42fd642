/**
 * A mistake in what the user asked for (an input, a store URL, a rule), as opposed to a bug or a
 * passing fault. Its message names the input, the value and what is allowed; the action fails with
 * it and writes nothing.
 */
import { redactUserinfo } from './userinfo';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';

  /** Returns a copy whose message is prefixed with where the value came from, such as `input "stores"`. */
  within(where: string): ConfigurationError {
    const wrapped = new ConfigurationError(`${where}: ${this.message}`, { cause: this });
    return wrapped;
  }
}

/**
 * Quotes a user value for an error message, shortening very long ones. Whatever may be URL
 * userinfo (`https://KEY:SECRET@host`) is replaced by `***` first, so no message quotes a secret.
 */
export function quote(value: string): string {
  const safe = redactUserinfo(value);
  const shown = safe.length > 200 ? `${safe.slice(0, 200)}…` : safe;
  return JSON.stringify(shown);
}
