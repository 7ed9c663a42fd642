#!/usr/bin/env node
// Fails when the committed dist/ differs from a fresh build, new and deleted bundles included
// (`git status --porcelain`, since a plain `git diff` does not see untracked files).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [path.join(__dirname, 'build-dist.js')], { cwd: root, stdio: 'inherit' });
const changed = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: root, encoding: 'utf8' });
if (changed.trim() !== '') {
  console.error(`dist/ is not what the source builds; rebuild with \`npm run build\` and commit it:\n${changed}`);
  process.exit(1);
}
console.log('dist/ matches a fresh build');
