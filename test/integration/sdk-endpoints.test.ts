/**
 * The AWS SDK's own endpoint settings over the real thing: the two clusters' HTTPS endpoints,
 * reached by the names real providers use (helpers/test-hosts.ts resolves them to loopback in this
 * process only). The store contract for
 *
 * - `s3://BUCKET` with `AWS_ENDPOINT_URL_S3=https://s3.us-east-1.amazonaws.com:PORT`: the AWS form,
 *   virtual-hosted (`BUCKET.s3.us-east-1.amazonaws.com`), on the lean and on the SDK wire;
 * - the AWS host URL at the cluster's port, on the lean wire, which now sends custom virtual-hosted
 *   endpoints itself (it left them to the SDK before);
 * - the Linode form (`BUCKET.us-east-1.linodeobjects.com`, path style to the regional host), lean wire;
 *
 * each on the wire it names, checked: the lean runs sent their PUTs, GETs and listings themselves,
 * the SDK runs none; the bucket's virtual host was the name connected to; the anonymous address a
 * probe or link uses after preflight is that same endpoint.
 */
import { randomBytes } from 'node:crypto';
import * as leanRequests from '../../src/s3/lean-requests';
import type { Wire } from '../../src/s3/client';
import { S3Store } from '../../src/storage/s3-store';
import { parseStoreSpec, type S3StoreSpec } from '../../src/storage/store-spec';
import { dropBucket, newBucket, rgw, type ClusterId } from '../helpers/rgw';
import { describeStoreContract } from '../helpers/store-contract';
import { resolveTestHosts } from '../helpers/test-hosts';

const hosts = resolveTestHosts();
const buckets: { id: ClusterId; bucket: string }[] = [];
const stores: S3Store[] = [];
afterAll(async () => {
  stores.forEach((s) => s.close());
  hosts.uninstall();
  for (const { id, bucket } of buckets) await dropBucket(id, bucket);
});

/** Requests the lean client built and sent itself (a builder that answers `undefined` leaves one to the SDK). */
const leanSent = { put: 0, get: 0, list: 0 };
for (const [name, field] of [['buildPut', 'put'], ['buildGet', 'get'], ['buildList', 'list']] as const) {
  const original = leanRequests[name] as (...a: unknown[]) => unknown;
  jest.spyOn(leanRequests, name).mockImplementation(((...args: unknown[]) => {
    const built = original(...args);
    if (built !== undefined) leanSent[field]++;
    return built;
  }) as never);
}

function open(id: ClusterId, line: string, wire: Wire): S3Store {
  const e = rgw(id);
  const spec = parseStoreSpec(`${line} ca=${e.caFile}`, { credentials: { type: 'default' }, visibility: 'auto', cwd: '/' }) as S3StoreSpec;
  const s = new S3Store(spec, { accessKeyId: e.accessKey, secretAccessKey: e.secretKey }, { concurrency: 8, wire });
  stores.push(s);
  return s;
}

interface Run {
  readonly label: string;
  readonly id: ClusterId;
  readonly wire: Wire;
  /** The store line for `bucket`. */
  readonly line: (bucket: string, port: number) => string;
  /** AWS_ENDPOINT_URL_S3 while the run's tests run. */
  readonly endpointUrl?: (port: number) => string;
  /** The host the bucket's requests go to. */
  readonly host: (bucket: string, port: number) => string;
  /** Whether the lean client sends GETs and listings too (not on AWS, where the SDK checks response checksums). */
  readonly leanReads: boolean;
}

const prefix = () => `p${randomBytes(3).toString('hex')}`;
const RUNS: Run[] = [
  ...(['lean', 'sdk'] as const).map((wire, i): Run => ({
    label: `s3://BUCKET with AWS_ENDPOINT_URL_S3 (AWS form, virtual-hosted), ${wire} wire, cluster ${i === 0 ? 'old' : 'new'}`,
    id: i === 0 ? 'old' : 'new',
    wire,
    line: (bucket) => `s3://${bucket}/${prefix()}/`,
    endpointUrl: (port) => `https://s3.us-east-1.amazonaws.com:${port}`,
    host: (bucket, port) => `${bucket}.s3.us-east-1.amazonaws.com:${port}`,
    leanReads: false,
  })),
  {
    label: 'AWS host URL at the cluster`s port (a custom virtual-hosted endpoint), lean wire, cluster new',
    id: 'new',
    wire: 'lean',
    line: (bucket, port) => `https://${bucket}.s3.us-east-1.amazonaws.com:${port}/${prefix()}/`,
    host: (bucket, port) => `${bucket}.s3.us-east-1.amazonaws.com:${port}`,
    leanReads: false,
  },
  {
    label: 'Linode form, lean wire, cluster new',
    id: 'new',
    wire: 'lean',
    line: (bucket, port) => `https://${bucket}.us-east-1.linodeobjects.com:${port}/${prefix()}/`,
    host: (_bucket, port) => `us-east-1.linodeobjects.com:${port}`,
    leanReads: true,
  },
];

for (const run of RUNS) {
  describe(run.label, () => {
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    const before = { ...leanSent };
    let bucket = '';
    let last: S3Store | undefined;
    beforeAll(async () => {
      bucket = await newBucket(run.id, `ep-${run.wire}`);
      buckets.push({ id: run.id, bucket });
      if (run.endpointUrl) process.env.AWS_ENDPOINT_URL_S3 = run.endpointUrl(rgw(run.id).tlsPort);
      Object.assign(before, leanSent);
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
      else process.env.AWS_ENDPOINT_URL_S3 = saved;
    });

    describeStoreContract(run.label, async () => (last = open(run.id, run.line(bucket, rgw(run.id).tlsPort), run.wire)));

    test('the requests went to the bucket`s endpoint, sent by the wire the run names; probes and links use the same endpoint', () => {
      const port = rgw(run.id).tlsPort;
      const host = run.host(bucket, port);
      expect(hosts.lookups).toContain(host.replace(/:\d+$/, ''));
      const sent = { put: leanSent.put - before.put, get: leanSent.get - before.get, list: leanSent.list - before.list };
      if (run.wire === 'sdk') expect(sent).toEqual({ put: 0, get: 0, list: 0 });
      else {
        expect(sent.put).toBeGreaterThan(5);
        if (run.leanReads) expect(Math.min(sent.get, sent.list)).toBeGreaterThan(0);
      }
      // Messages name the endpoint the variable moved the store to.
      if (run.endpointUrl) expect(last!.display).toBe(`s3://${bucket}/${last!.spec.prefix} at ${run.endpointUrl(port)} (AWS_ENDPOINT_URL_S3)`);
      const address = last!.anonymousAddress('x/y z');
      expect({ protocol: address.protocol, host: address.host }).toEqual({ protocol: 'https:', host });
      expect(address.path.endsWith('/x/y%20z')).toBe(true);
    });
  });
}
