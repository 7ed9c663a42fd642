#!/usr/bin/env node
// Rebuilds dist/ from a clean slate: compile src/ with tsc into lib/, then bundle each action entry
// and the CLI with ncc into dist/<name>/index.js. One script, so CI and people build the same way.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

fs.rmSync(path.join(root, 'lib'), { recursive: true, force: true });
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.build.json']);

const entries = fs
  .readdirSync(path.join(root, 'lib', 'actions'))
  .filter((name) => fs.existsSync(path.join(root, 'lib', 'actions', name, 'index.js')))
  .map((name) => ({ name, entry: path.join('lib', 'actions', name, 'index.js') }));
entries.push({ name: 'cli', entry: path.join('lib', 'cli', 'index.js') });
// Every action.yml runs a bundle this build made (an action whose entry is missing, or one still a
// composite, fails here rather than on a runner).
for (const name of fs.readdirSync(path.join(root, 'actions'))) {
  const yml = path.join(root, 'actions', name, 'action.yml');
  if (!fs.existsSync(yml)) continue;
  const main = /\n {2}main: '([^']+)'/.exec(fs.readFileSync(yml, 'utf8'))?.[1];
  if (main !== `../../dist/${name}/index.js` || !entries.some((e) => e.name === name)) {
    console.error(`actions/${name}/action.yml must run '../../dist/${name}/index.js', the bundle of src/actions/${name}/index.ts; it runs ${main ?? 'no bundle'}`);
    process.exit(1);
  }
}

for (const { name, entry } of entries) {
  run(bin('ncc'), ['build', entry, '-o', path.join('dist', name), '--minify', '--license', 'licenses.txt', '--quiet', '--target', 'es2022']);
  const size = fs.statSync(path.join(root, 'dist', name, 'index.js')).size;
  console.log(`dist/${name}/index.js ${(size / 1024).toFixed(0)} KiB`);
}
fs.rmSync(path.join(root, 'lib'), { recursive: true, force: true });
