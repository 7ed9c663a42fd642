/** Stops the clusters the global setup started, by the PIDs the script recorded. */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CLUSTERS, REPO } from '../helpers/rgw';

const run = promisify(execFile);

export default async function globalTeardown(): Promise<void> {
  if (process.env.CI_STORES_KEEP_RGW === '1') return;
  await Promise.all(Object.values(CLUSTERS).map(({ name }) => run(path.join(REPO, 'scripts', 'rgw'), ['stop', name])));
}
