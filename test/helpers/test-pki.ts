/**
 * Throwaway certificates for TLS tests, made with openssl (as `scripts/rgw start --tls` makes the
 * clusters'): a CA, a second CA that signed nothing, and server certificates the first one signed,
 * one valid and one expired, for 127.0.0.1, localhost, s3.test and *.s3.test.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestPki {
  readonly dir: string;
  /** Paths of PEM files. */
  readonly caFile: string;
  readonly otherCaFile: string;
  /** PEM text. */
  readonly ca: string;
  readonly server: { readonly cert: string; readonly key: string };
  readonly expired: { readonly cert: string; readonly key: string };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function signed(dir: string, name: string, days: number): { cert: string; key: string } {
  openssl(dir, 'req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(path.join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:s3.test,DNS:*.s3.test\nextendedKeyUsage=serverAuth\n');
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  return { cert: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'), key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8') };
}

/** Makes the certificates in a fresh temporary folder. */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-'));
  openssl(dir, 'req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test CA', '-addext', 'basicConstraints=critical,CA:TRUE');
  openssl(dir, 'req', '-x509', ...EC, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=other test CA', '-addext', 'basicConstraints=critical,CA:TRUE');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    otherCaFile: path.join(dir, 'other-ca.pem'),
    ca: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    server: signed(dir, 'server', 2),
    // OpenSSL 3 takes a negative count: valid from now, expired since yesterday.
    expired: signed(dir, 'expired', -1),
  };
}
