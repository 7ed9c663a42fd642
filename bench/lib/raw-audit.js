'use strict';
/**
 * The ceiling for audit-acl: a plain keep-alive AWS SDK loop that lists a bucket and, for every
 * object, sends GetObjectAcl and an anonymous HEAD (both at once), CONCURRENCY objects in flight.
 * No rules, no findings, no report: just the requests. Run as its own process so that it is
 * measured the way the bundle is.
 *
 *   node raw-audit.js ENDPOINT BUCKET CONCURRENCY   (credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
 * Prints {"objects":N,"readable":N,"publicGrants":N} on stdout.
 */
const http = require('node:http');
const { S3Client, ListObjectsV2Command, GetObjectAclCommand } = require('@aws-sdk/client-s3');
const { NodeHttpHandler } = require('@smithy/node-http-handler');

async function main() {
  const [endpoint, bucket, concurrencyArg] = process.argv.slice(2);
  const concurrency = Number(concurrencyArg);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
  const anonAgent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const head = (key) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`, { method: 'HEAD', agent: anonAgent }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });

  const keys = [];
  let token;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of r.Contents ?? []) keys.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);

  let next = 0;
  let readable = 0;
  let publicGrants = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) {
        const key = keys[next++];
        const [status, acl] = await Promise.all([head(key), client.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }))]);
        if (status === 200) readable++;
        if ((acl.Grants ?? []).some((g) => g.Grantee?.URI?.endsWith('/AllUsers'))) publicGrants++;
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ objects: keys.length, readable, publicGrants })}\n`);
  client.destroy();
  anonAgent.destroy();
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
