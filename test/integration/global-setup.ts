/**
 * Starts the two RGW clusters ("old" and "new" provider) that the integration suite talks to,
 * installing Ceph from Debian's packages first if needed. With CI_STORES_KEEP_RGW=1 running
 * clusters are reused and left running, for quick local iteration.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CLUSTERS, REPO } from '../helpers/rgw';

const run = promisify(execFile);
const script = path.join(REPO, 'scripts', 'rgw');

export default async function globalSetup(): Promise<void> {
  await run(script, ['install'], { maxBuffer: 64 * 1024 * 1024 });
  await Promise.all(
    Object.values(CLUSTERS).map(async ({ name, port }) => {
      if (process.env.CI_STORES_KEEP_RGW === '1') {
        const up = await run(script, ['status', name]).then(() => true, () => false);
        if (up) return;
      }
      await run(script, ['start', name, String(port)]);
    }),
  );
}
