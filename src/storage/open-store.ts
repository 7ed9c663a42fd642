/** Opens the store a spec names, with its credentials resolved and masked. */
import { resolveCredentials, type CredentialContext } from './credentials';
import { LocalStore } from './local-store';
import type { ObjectStore } from './object-store';
import { S3Store } from './s3-store';
import { proxySecrets } from '../s3/proxy-env';
import type { StoreSpec } from './store-spec';

export interface OpenOptions extends CredentialContext {
  /** Requests in flight to this store at most. */
  readonly concurrency: number;
}

/** A store ready for `preflight()`. Throws `ConfigurationError` when its credentials cannot be found. */
export function openStore(spec: StoreSpec, options: OpenOptions): ObjectStore & { close(): void } {
  if (spec.kind === 'file') return Object.assign(new LocalStore(spec.root), { close() {} });
  const credentials = resolveCredentials(spec.credentials, spec.credentialHost, options);
  // A password in HTTPS_PROXY / HTTP_PROXY is a credential too: masked and redacted like the keys.
  for (const v of proxySecrets(options.env)) options.onSecret(v);
  return new S3Store(spec, credentials, { concurrency: options.concurrency });
}
