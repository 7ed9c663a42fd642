// The demo's run: buckets on both local providers, one image-refresh step through the bundled
// action (INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, as a runner does it),
// then a table of who can read each object: a stranger, the uploader, another account.
// Everything goes over HTTPS, trusting each provider's throwaway CA and nothing else.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { S3Client, CreateBucketCommand, GetObjectCommand } = require('@aws-sdk/client-s3');
const { NodeHttpHandler } = require('@smithy/node-http-handler');

const root = path.resolve(__dirname, '..');
const readEnv = (name) =>
  Object.fromEntries(
    fs.readFileSync(path.join(root, '.rgw', name, 'env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => {
      const i = l.indexOf('=');
      return [l.slice(0, i).replace(/^export\s+/, ''), l.slice(i + 1).replace(/^['"]|['"]$/g, '')];
    }),
  );
const providers = { old: readEnv(process.env.CI_STORES_DEMO_OLD || 'demo-old'), new: readEnv(process.env.CI_STORES_DEMO_NEW || 'demo-new') };
for (const p of Object.values(providers)) {
  if (!p.RGW_TLS_ENDPOINT) throw new Error(`${p.RGW_NAME} has no HTTPS endpoint: start it with scripts/rgw start ... --tls PORT`);
  p.ca = fs.readFileSync(p.RGW_CA_FILE);
  // No keep-alive: the upload takes minutes, and a socket left idle that long is closed by the server.
  p.agent = new https.Agent({ ca: p.ca, keepAlive: false });
}
const client = (p, user = 'ci') =>
  new S3Client({
    endpoint: p.RGW_TLS_ENDPOINT,
    requestHandler: new NodeHttpHandler({ httpsAgent: p.agent }),
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: user === 'ci' ? { accessKeyId: p.RGW_ACCESS_KEY, secretAccessKey: p.RGW_SECRET_KEY } : { accessKeyId: p.RGW_OTHER_ACCESS_KEY, secretAccessKey: p.RGW_OTHER_SECRET_KEY },
  });

async function main() {
  const bucket = 'cockpit-images';
  for (const p of Object.values(providers)) await client(p).send(new CreateBucketCommand({ Bucket: bucket }));

  // A workspace with two freshly "built" images: one public, one that must never be.
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
  fs.writeFileSync(path.join(ws, 'fedora-42.qcow2'), crypto.randomBytes(300 * 1024 * 1024));
  const rhel = crypto.randomBytes(40 * 1024 * 1024);
  const rhelName = `rhel-9-6-${crypto.createHash('sha256').update(rhel).digest('hex')}.qcow2`;
  fs.writeFileSync(path.join(ws, rhelName), rhel);
  const outputFile = path.join(ws, 'github-output');
  const summaryFile = path.join(ws, 'step-summary');
  fs.writeFileSync(outputFile, '');
  fs.writeFileSync(summaryFile, '');

  console.log('== upload-image: dual-write to the old and the new provider, over HTTPS (each trusted through its own CA, ca=)');
  const env = {
    PATH: process.env.PATH,
    GITHUB_WORKSPACE: ws,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    INPUT_FILES: '*.qcow2',
    INPUT_STORES: `${providers.old.RGW_TLS_ENDPOINT}/${bucket}/images credentials=env:OLD name=old-provider ca=${providers.old.RGW_CA_FILE}\n${providers.new.RGW_TLS_ENDPOINT}/${bucket}/images credentials=env:NEW name=new-provider ca=${providers.new.RGW_CA_FILE}`,
    'INPUT_VISIBILITY-RULES': 'rhel* private\n* public',
    INPUT_REQUIRE: 'all',
    OLD_ACCESS_KEY_ID: providers.old.RGW_ACCESS_KEY,
    OLD_SECRET_ACCESS_KEY: providers.old.RGW_SECRET_KEY,
    NEW_ACCESS_KEY_ID: providers.new.RGW_ACCESS_KEY,
    NEW_SECRET_ACCESS_KEY: providers.new.RGW_SECRET_KEY,
  };
  try {
    execFileSync(process.execPath, [path.join(root, 'dist/upload-image/index.js')], { env, cwd: ws, stdio: 'inherit' });
  } catch {
    console.error('demo: the upload-image step failed (see above)');
    process.exitCode = 1;
  }
  console.log('\n== Job summary (GITHUB_STEP_SUMMARY)\n');
  console.log(fs.readFileSync(summaryFile, 'utf8'));
  console.log('== Outputs (GITHUB_OUTPUT)\n');
  const lines = fs.readFileSync(outputFile, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
    const text = value.join('\n');
    console.log(`  ${m[1]} = ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`);
  }

  console.log('\n== Who can read what (HTTP status of a GET)\n');
  const rows = [['provider', 'object', 'stranger (no credentials)', 'uploader', 'another account']];
  for (const [name, p] of Object.entries(providers)) {
    for (const key of ['images/fedora-42.qcow2', `images/${rhelName}`]) {
      const anon = await anonymousHead(p, `/${bucket}/${key}`);
      const signed = async (user) => {
        try {
          const r = await client(p, user).send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: 'bytes=0-0' }));
          r.Body.destroy();
          return r.$metadata.httpStatusCode;
        } catch (e) {
          return e.$metadata?.httpStatusCode ?? e.name;
        }
      };
      rows.push([name, key.length > 40 ? `${key.slice(0, 37)}...` : key, String(anon), String(await signed('ci')), String(await signed('other'))]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}`);
  const leaks = rows.slice(1).filter((r) => r[1].includes('rhel') && (r[2] === '200' || r[4] === '200' || r[2] === '206' || r[4] === '206'));
  console.log(leaks.length === 0 ? '\nThe RHEL image is private on both providers; the Fedora image is public on both.' : '\nLEAK: a RHEL image is readable by strangers!');
  if (leaks.length > 0) process.exitCode = 1;
  execFileSync('rm', ['-rf', ws]);
  for (const p of Object.values(providers)) p.agent.destroy();
}

/** The status of an unsigned HEAD over HTTPS (trusting only the provider's CA), as a stranger's browser would send it. */
function anonymousHead(p, target) {
  const { hostname, port } = new URL(p.RGW_TLS_ENDPOINT);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname, port, path: target, method: 'HEAD', ca: p.ca, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
