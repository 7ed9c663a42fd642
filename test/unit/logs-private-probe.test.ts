/**
 * Private logs whose bucket policy cannot be read: a policy may expose one file that the sample
 * (one key per folder and extension) leaves out, so every key written is checked anonymously. A
 * local HTTP server plays the anonymous reader's view of the bucket.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { publishIndex, type PublishIndexOptions } from '../../src/logs/publish-index';
import type { RunContext } from '../../src/logs/run-context';
import type { TreeReport } from '../../src/logs/tree-types';
import type { WalkResult } from '../../src/logs/walk';
import { LocalStore } from '../../src/storage/local-store';
import type { BucketPolicyState, ObjectStore } from '../../src/storage/object-store';

let server: http.Server;
let port = 0;
/** The keys strangers can read: what the hidden policy exposes. */
const readable = new Set<string>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const key = decodeURIComponent((req.url ?? '/').slice(1));
    res.writeHead(readable.has(key) ? 200 : 403).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function options(policy: BucketPolicyState): { o: PublishIndexOptions; warnings: string[]; store: LocalStore } {
  const store = new LocalStore(fs.mkdtempSync(path.join(os.tmpdir(), 'logs-private-probe-')));
  const bucket = Object.assign(Object.create(store) as ObjectStore, {
    policy: async () => policy,
    anonymousAddress: (k: string) => ({ protocol: 'http:', hostname: '127.0.0.1', port: String(port), host: `127.0.0.1:${port}`, path: `/${encodeURIComponent(k)}` }),
  });
  const rels = ['a.txt', 'b.txt', 'c.txt'];
  const walked = { kind: 'walked', root: '/logs', files: rels.map((rel) => ({ rel, path: `/logs/${rel}`, size: 1 })), unusable: [] } as unknown as Extract<WalkResult, { kind: 'walked' }>;
  const tree: TreeReport = { files: rels.map((rel) => ({ rel, sourceSize: 1, size: 1, redactions: 0, outcome: 'uploaded', stores: ['logs'] })), bytes: 3, redactions: 0 };
  const warnings: string[] = [];
  const o: PublishIndexOptions = {
    prefix: 'run-1/',
    visibility: 'private',
    run: { serverUrl: 'https://github.com' } as unknown as RunContext,
    sha: '',
    walked,
    tree,
    targets: [{ name: 'logs', store: bucket }],
    log: { info: () => undefined, warning: (m) => void warnings.push(m) },
  };
  return { o, warnings, store };
}

test('private logs under an unreadable policy: every key is checked, so one exposed file the sample would skip is found', async () => {
  readable.clear();
  // The policy (which the credentials cannot read) exposes the one file no sample would pick.
  readable.add('run-1/c.txt');
  const { o } = options({ kind: 'unknown', reason: 'AccessDenied' });
  const [probe] = await publishIndex(o);
  expect(probe!.samples.map((s) => s.key).sort()).toEqual(['run-1/a.txt', 'run-1/b.txt', 'run-1/c.txt', 'run-1/index.html']);
  expect(probe!.samples.filter((s) => s.access === 'readable').map((s) => s.key)).toEqual(['run-1/c.txt']);
});

test('private logs under a policy that was read (and checked key by key before writing): the sample, one key per folder and extension', async () => {
  readable.clear();
  const { o } = options({ kind: 'none' });
  const [probe] = await publishIndex(o);
  expect(probe!.samples.map((s) => s.key)).toEqual(['run-1/index.html', 'run-1/a.txt']);
});
