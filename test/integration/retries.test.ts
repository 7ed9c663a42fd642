/**
 * Retries never stack: a request that keeps failing with a passing fault (500 InternalError) is
 * tried exactly as many times as the wire's own attempts allow (the SDK's maxAttempts, 6; the lean
 * path counts the same), never that many again per engine loop around it. Through the bundles, on
 * both wire paths, against RGW behind the fault proxy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBundle } from '../helpers/bundle';
import { startFaultProxy, type FaultProxy, type RequestInfo } from '../helpers/fault-proxy';
import { credentialEnv, rgw, useBuckets } from '../helpers/rgw';

/** The wire's attempts per request (src/s3/client.ts). */
const ATTEMPTS = 6;

const makeBucket = useBuckets();
const proxies: FaultProxy[] = [];
afterAll(async () => {
  for (const p of proxies) await p.close();
});

const ACTIONS = [
  { action: 'upload-logs', file: 'a.log', inputs: (ws: string, store: string) => ({ path: ws, stores: store, prefix: 'run' }) },
  { action: 'upload-image', file: 'a.qcow2', inputs: (ws: string, store: string) => ({ files: path.join(ws, 'a.qcow2'), stores: store }) },
];

describe.each(['lean', 'sdk'] as const)('%s wire', (wire) => {
  test.each(ACTIONS)('$action: a PUT that keeps failing is sent $file exactly as often as the wire attempts', async ({ action, file, inputs }) => {
    const bucket = await makeBucket('new', 'retries');
    let puts = 0;
    const failing = (r: RequestInfo) => r.op === 'PutObject' && r.path.endsWith(`/${file}`) && ++puts > 0;
    const proxy = await startFaultProxy({ upstream: rgw('new').endpoint, rules: [{ kind: 'internal', match: failing }] });
    proxies.push(proxy);
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'retries-'));
    fs.writeFileSync(path.join(ws, file), 'one small file\n');
    const run = await runBundle(action, inputs(ws, `${proxy.url}/${bucket} credentials=env:NEW`), { env: { ...credentialEnv(), CI_STORES_WIRE: wire }, cwd: ws });
    expect(run.code).toBe(1);
    expect(puts).toBe(ATTEMPTS);
  });
});
