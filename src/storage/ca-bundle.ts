/**
 * The CAs a store's TLS trusts. A store's `ca=` file; else the file `AWS_CA_BUNDLE` names, read as
 * the AWS CLI and AWS's other SDKs read it (the bundle replaces the usual CAs; the JavaScript SDK
 * itself ignores the variable); else Node's own CAs, to which Node adds `NODE_EXTRA_CA_CERTS`.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, quote } from '../config/configuration-error';
import type { S3StoreSpec } from './store-spec';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * The PEM text of the CA bundle `spec` is to trust, or `undefined` for Node's defaults. Throws a
 * `ConfigurationError` naming the store and the file when the file cannot be read or holds
 * anything but certificates Node can read: a bundle that trusts nothing would only fail later.
 */
export function caBundle(spec: S3StoreSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  // Plain http has no certificate; the variable is for the stores that do.
  if (spec.endpoint !== undefined && !spec.endpoint.startsWith('https:')) return undefined;
  const fromEnv = env.AWS_CA_BUNDLE?.trim() ? path.resolve(env.AWS_CA_BUNDLE.trim()) : undefined;
  const file = spec.ca ?? fromEnv;
  if (file === undefined) return undefined;
  const source = `${spec.name}: ${spec.ca !== undefined ? 'store option ca=' : 'AWS_CA_BUNDLE '}${quote(file)}`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigurationError(`${source} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); it must name a PEM file of CA certificates`);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new ConfigurationError(`${source} holds no PEM certificate (-----BEGIN CERTIFICATE-----); it must name a PEM file of CA certificates`);
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (e) {
      throw new ConfigurationError(`${source}: certificate ${i + 1} of ${blocks.length} cannot be read (${(e as Error).message})`);
    }
  }
  return blocks.join('\n');
}
