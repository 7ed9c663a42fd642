// What every suite that runs our bundles against the AWS CLI and rclone shares: where the tools
// are, the environment they start from, and a snapshot of the bundle under test.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('./rgw');

const NODE24 = path.join(REPO, 'node_modules', 'node', 'bin', 'node');
const AWS = '/usr/bin/aws'; // Debian's AWS CLI v2, not a pyenv `aws` that may come first on PATH
const RCLONE = 'rclone';

/** The environment every tool starts from: ours, minus anything that would configure S3 clients or a runner. */
function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|RCLONE_|INPUT_|GITHUB_|RUNNER_)/.test(k) && k !== 'AWS_CA_BUNDLE') continue;
    env[k] = v;
  }
  return env;
}

/**
 * The AWS CLI's environment for one store: its keys and region us-east-1, no shared credentials file
 * and no instance metadata, so that everything comes from here; settings from `configFile` (none by default).
 */
function awsCliEnv(store, baseEnv, configFile = '/dev/null') {
  return {
    ...baseEnv,
    AWS_ACCESS_KEY_ID: store.accessKey,
    AWS_SECRET_ACCESS_KEY: store.secretKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/**
 * rclone configured by environment variables only: an empty config file in `scratch` (no remotes but
 * ours, no "config not found" notice) and an S3 remote NAME for each `{ NAME: store }` of `remotes`.
 */
function rcloneEnv(remotes, scratch, baseEnv) {
  const conf = path.join(scratch, 'rclone.conf');
  fs.writeFileSync(conf, '');
  const env = { ...baseEnv, RCLONE_CONFIG: conf };
  for (const [name, store] of Object.entries(remotes)) {
    const p = `RCLONE_CONFIG_${name}_`;
    Object.assign(env, {
      [`${p}TYPE`]: 's3',
      [`${p}PROVIDER`]: 'Ceph',
      [`${p}ENDPOINT`]: store.endpoint,
      [`${p}ACCESS_KEY_ID`]: store.accessKey,
      [`${p}SECRET_ACCESS_KEY`]: store.secretKey,
      [`${p}REGION`]: store.region,
      [`${p}ENV_AUTH`]: 'false',
    });
  }
  return env;
}

/**
 * Copies dist/ACTION/ to .bench/dist/ACTION/ and returns the copy's index.js. dist/ is rebuilt from
 * a clean slate while people work, so it can vanish or change between two runs of a round; every run
 * of a suite then measures the same build. The copy stays inside the repository so that the bundle
 * finds the same node_modules as it would from dist/.
 */
async function snapshotBundle(ctx, action) {
  // CI_STORES_BENCH_DIST: bundles built elsewhere (of a working tree, into a scratch folder), as CI_STORES_TEST_DIST for the tests.
  const dist = path.join(process.env.CI_STORES_BENCH_DIST ? path.resolve(process.env.CI_STORES_BENCH_DIST) : path.join(REPO, 'dist'), action);
  const src = path.join(dist, 'index.js');
  // A rebuild in progress: wait until the bundle exists and has not changed for a few seconds.
  for (let waited = 0; !fs.existsSync(src) || Date.now() - fs.statSync(src).mtimeMs < 3000; waited++) {
    if (waited === 0) ctx.log(`waiting for dist/${action}/index.js (being rebuilt?)`);
    if (waited > 300) throw new Error(`${src} missing or changing for 5 minutes`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const dest = path.join(ctx.workDir, 'dist', action);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(dist, dest, { recursive: true });
  const copy = path.join(dest, 'index.js');
  const hash = createHash('sha256').update(fs.readFileSync(copy)).digest('hex');
  ctx.note(`bundle: ${path.relative(REPO, dist) || dist}/index.js, ${fs.statSync(copy).size} bytes, sha256 ${hash.slice(0, 16)}..., built ${fs.statSync(src).mtime.toISOString()}`);
  return copy;
}

/** GITHUB_OUTPUT contents: `name<<DELIM` ... `DELIM` blocks, or `name=value` lines. */
function parseOutputs(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const value = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]);
      out[heredoc[1]] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=');
      out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
  }
  return out;
}

module.exports = { NODE24, AWS, RCLONE, awsCliEnv, childEnv, parseOutputs, rcloneEnv, snapshotBundle };
