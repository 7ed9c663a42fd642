/**
 * Starts the two RGW clusters ("old" and "new" provider) that the integration suite talks to,
 * each with an HTTPS endpoint beside the plain one, installing Ceph from Debian's packages first if
 * needed. With CI_STORES_KEEP_RGW=1 running clusters are reused (if they have their HTTPS
 * endpoint) and left running, for quick local iteration.
 */
import * as fs from 'node:fs';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CLUSTERS, REPO, RGW_ROOT } from '../helpers/rgw';

const run = promisify(execFile);
const script = path.join(REPO, 'scripts', 'rgw');

export default async function globalSetup(): Promise<void> {
  await run(script, ['install', 'openssl'], { maxBuffer: 64 * 1024 * 1024 });
  await Promise.all(
    Object.values(CLUSTERS).map(async ({ name, port, tlsPort }) => {
      if (process.env.CI_STORES_KEEP_RGW === '1') {
        const up = await run(script, ['status', name]).then(() => true, () => false);
        if (up && fs.readFileSync(path.join(RGW_ROOT, name, 'env'), 'utf8').includes(`RGW_TLS_PORT=${tlsPort}\n`)) return;
      }
      await run(script, ['start', name, String(port), '--tls', String(tlsPort)]);
    }),
  );
}
