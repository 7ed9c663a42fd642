/**
 * Client CPU of writing large bodies over HTTPS, through both wires: 8 single PUTs of 64 MiB (the
 * lean wire, `CI_STORES_WIRE` default) and 8 UploadParts of 64 MiB (the SDK), each into a fresh
 * bucket of an RGW cluster started with `scripts/rgw start NAME PORT --tls TLS_PORT`.
 *
 *   scripts/rgw start NAME 7702 --store bluestore --size 8 --tls 7703
 *   npx tsc -p bench/tools/tsconfig.tls-write-cpu.json
 *   node .bench/tls-write-cpu/bench/tools/tls-write-cpu.js .rgw/NAME/env [count] [MiB]
 *
 * Prints the CPU seconds (user + system) and wall seconds of each wire, per pass.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client, type Wire } from '../../src/s3/client';
import { S3Bucket } from '../../src/s3/bucket';

function readEnv(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_0-9]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return out;
}

async function pass(env: Record<string, string>, wire: Wire, what: 'put' | 'part', bodies: Buffer[], hashes: Buffer[]): Promise<{ cpu: number; wall: number }> {
  const client = createS3Client({
    provider: 'generic',
    endpoint: env.RGW_TLS_ENDPOINT,
    region: env.RGW_REGION,
    credentials: { accessKeyId: env.RGW_ACCESS_KEY, secretAccessKey: env.RGW_SECRET_KEY },
    maxSockets: 4,
    ca: fs.readFileSync(env.RGW_CA_FILE, 'utf8'),
    wire,
  });
  const name = `tls-cpu-${what}-${Date.now()}`;
  await client.send(new CreateBucketCommand({ Bucket: name }));
  const bucket = new S3Bucket(client, name, `s3://${name}`);
  let uploadId = '';
  if (what === 'part') uploadId = (await bucket.createMultipart('big', {})).uploadId;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < bodies.length; i++) {
    if (what === 'put') await bucket.put(`obj-${i}`, bodies[i], hashes[i], {});
    else await bucket.uploadPart('big', uploadId, i + 1, bodies[i], hashes[i]);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (what === 'part') await bucket.abortMultipart('big', uploadId);
  else for (let i = 0; i < bodies.length; i++) await client.send(new DeleteObjectCommand({ Bucket: name, Key: `obj-${i}` }));
  await client.send(new DeleteBucketCommand({ Bucket: name }));
  client.destroy();
  return { cpu: (cpu.user + cpu.system) / 1e6, wall };
}

async function main(): Promise<void> {
  const [envFile, countArg, mibArg] = process.argv.slice(2);
  const env = readEnv(envFile);
  const count = Number(countArg ?? 8);
  const size = Number(mibArg ?? 64) * 1024 * 1024;
  const bodies = Array.from({ length: count }, () => crypto.randomBytes(size));
  const hashes = bodies.map((b) => crypto.createHash('sha256').update(b).digest());
  for (const [wire, what] of [['lean', 'put'], ['sdk', 'put'], ['sdk', 'part']] as const) {
    const r = await pass(env, wire, what, bodies, hashes);
    console.log(`${wire.padEnd(4)} ${what.padEnd(4)} ${count} x ${size / 1048576} MiB over HTTPS: cpu ${r.cpu.toFixed(2)} s, wall ${r.wall.toFixed(2)} s`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
