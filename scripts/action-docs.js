#!/usr/bin/env node
// Regenerates the inputs and outputs tables of each actions/<name>/README.md from its action.yml,
// between marker comments:
//
//   <!-- inputs:start -->  ...generated...  <!-- inputs:end -->
//   <!-- outputs:start --> ...generated...  <!-- outputs:end -->
//
// `npm run docs` rewrites the tables (only files whose text changes are written; a second run
// changes nothing). `node scripts/action-docs.js --check` changes nothing and fails, naming each
// README whose tables differ, when any does. An action without a README gets one to fill in.
// Everything else in a README is left exactly as written.
//
// The same run copies example workflows into the guides of docs/: a line
// `<!-- workflow: examples/workflows/NAME.yml -->` is followed by a ```yaml block holding that file,
// so a guide shows exactly the workflow that the tests parse and lint.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');

const SECTIONS = ['inputs', 'outputs'];
const NOTE = '<!-- Generated from action.yml by `npm run docs`: edit action.yml, not this table. -->';

/** Markdown special characters in running text, escaped so a table cell renders as written. */
function escapeText(text) {
  return String(text)
    .replace(/\r\n?/g, '\n')
    .trim()
    .replace(/([\\`*<>|~])/g, '\\$1')
    // `_` starts emphasis only at a word's edge; `[a](b)` and `[a][b]` are links, a lone `[a]` is not.
    .replace(/(^|[^A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (m) => m.replace('_', '\\_'))
    .replace(/\](?=[([])/g, '\\]')
    .replace(/\n+/g, ' ');
}

/** A value as inline code in a table cell: a fence longer than any backtick run inside, pipes escaped. */
function code(value) {
  const text = String(value);
  const longest = Math.max(0, ...(text.match(/`+/g) || []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || /^\s|\s$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A default as the cell shows it: each line as code, lines joined by <br>; empty as "(empty)". */
function defaultCell(input) {
  if (input.default === undefined || input.default === null) return input.required === true || input.required === 'true' ? '' : '(none)';
  const lines = String(input.default).replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return '(empty)';
  return lines.map(code).join('<br>');
}

function isRequired(input) {
  return input.required === true || input.required === 'true';
}

/** Parses an action.yml; throws naming the file for anything that is not an action's metadata. */
function readAction(file) {
  let doc;
  try {
    doc = yaml.load(fs.readFileSync(file, 'utf8'), { filename: file });
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${e.message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${file}: not a mapping`);
  for (const section of SECTIONS) {
    const v = doc[section];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new Error(`${file}: ${section} is not a mapping`);
  }
  return doc;
}

/** The inputs table (name, required, default, description), in the order of action.yml. */
function inputsTable(action) {
  const entries = Object.entries(action.inputs || {});
  if (entries.length === 0) return 'This action has no inputs.';
  const rows = entries.map(([name, input]) => {
    const i = input || {};
    let description = escapeText(i.description || '');
    if (i.deprecationMessage) description += `${description ? ' ' : ''}**Deprecated:** ${escapeText(i.deprecationMessage)}`;
    return `| ${code(name)} | ${isRequired(i) ? 'yes' : 'no'} | ${defaultCell(i)} | ${description} |`;
  });
  return ['| input | required | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The outputs table (name, description), in the order of action.yml. */
function outputsTable(action) {
  const entries = Object.entries(action.outputs || {});
  if (entries.length === 0) return 'This action has no outputs.';
  const rows = entries.map(([name, output]) => `| ${code(name)} | ${escapeText((output || {}).description || '')} |`);
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

/** The generated block of one section, markers included. */
function block(section, action) {
  const table = section === 'inputs' ? inputsTable(action) : outputsTable(action);
  return `<!-- ${section}:start -->\n${NOTE}\n\n${table}\n\n<!-- ${section}:end -->`;
}

/**
 * The README text with both sections regenerated. Throws naming `where` when a pair of markers is
 * missing, repeated or out of order (nothing is guessed: the author places the tables).
 */
function render(readme, action, where = 'README.md') {
  const eol = readme.includes('\r\n') ? '\r\n' : '\n';
  let text = readme.replace(/\r\n/g, '\n');
  for (const section of SECTIONS) {
    const start = `<!-- ${section}:start -->`;
    const end = `<!-- ${section}:end -->`;
    const starts = text.split(start).length - 1;
    const ends = text.split(end).length - 1;
    if (starts !== 1 || ends !== 1) {
      throw new Error(`${where}: needs exactly one "${start}" and one "${end}" (found ${starts} and ${ends}); put them where the ${section} table goes`);
    }
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (to < from) throw new Error(`${where}: "${end}" comes before "${start}"`);
    text = text.slice(0, from) + block(section, action) + text.slice(to + end.length);
  }
  return eol === '\n' ? text : text.replace(/\n/g, eol);
}

const WORKFLOW_MARKER = /^<!-- workflow: ([A-Za-z0-9._/-]+\.ya?ml) -->\n(?:```yaml\n[\s\S]*?\n```\n?)?/gm;

/**
 * The guide's text with each `<!-- workflow: PATH -->` followed by a ```yaml block of that file
 * (`read(PATH)` gives its text). Throws naming `where` and the path of a file that cannot be read.
 */
function renderWorkflows(guide, read, where = 'guide') {
  const eol = guide.includes('\r\n') ? '\r\n' : '\n';
  const text = guide.replace(/\r\n/g, '\n').replace(WORKFLOW_MARKER, (_, file) => {
    let body;
    try {
      body = read(file).replace(/\r\n/g, '\n').replace(/\n+$/, '');
    } catch (e) {
      throw new Error(`${where}: ${file}, named by a workflow marker, cannot be read: ${e.message}`);
    }
    if (body.includes('\n```')) throw new Error(`${where}: ${file} holds a line starting with \`\`\`, which would end the block`);
    return `<!-- workflow: ${file} -->\n\`\`\`yaml\n${body}\n\`\`\`\n`;
  });
  return eol === '\n' ? text : text.replace(/\n/g, eol);
}

/** The guides of docs/ (Markdown files), sorted. */
function listGuides(root) {
  const dir = path.join(root, 'docs');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join('docs', f));
}

/** A README to fill in, for an action that has none. */
function skeleton(name, action) {
  const description = String(action.description || '').trim();
  return [`# \`${name}\``, '', description || 'TODO: what this action does.', '', '## Inputs', '', '<!-- inputs:start -->', '<!-- inputs:end -->', '', '## Outputs', '', '<!-- outputs:start -->', '<!-- outputs:end -->', ''].join('\n');
}

/** The actions of a repository: folders of actions/ that hold an action.yml, sorted. */
function listActions(root) {
  const dir = path.join(root, 'actions');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'action.yml')))
    .map((e) => e.name)
    .sort();
}

/**
 * Compares (check) or rewrites (write) every action's README. Resolves `{ changed, problems }`:
 * the READMEs that differ (check) or were written (write), and the errors met, one per action;
 * one action's error never stops the others.
 */
function run({ root, check }) {
  const changed = [];
  const problems = [];
  for (const name of listActions(root)) {
    const yml = path.join('actions', name, 'action.yml');
    const md = path.join('actions', name, 'README.md');
    try {
      const action = readAction(path.join(root, yml));
      const file = path.join(root, md);
      const exists = fs.existsSync(file);
      if (!exists && check) {
        changed.push({ action: name, readme: md, reason: 'missing' });
        continue;
      }
      const before = exists ? fs.readFileSync(file, 'utf8') : skeleton(name, action);
      const after = render(before, action, md);
      if (exists && after === before) continue;
      changed.push({ action: name, readme: md, reason: exists ? 'tables differ' : 'created' });
      if (!check) fs.writeFileSync(file, after);
    } catch (e) {
      problems.push({ action: name, message: e.message });
    }
  }
  for (const guide of listGuides(root)) {
    try {
      const before = fs.readFileSync(path.join(root, guide), 'utf8');
      const after = renderWorkflows(before, (file) => fs.readFileSync(path.join(root, file), 'utf8'), guide);
      if (after === before) continue;
      changed.push({ guide, readme: guide, reason: 'workflows differ' });
      if (!check) fs.writeFileSync(path.join(root, guide), after);
    } catch (e) {
      problems.push({ guide, message: e.message });
    }
  }
  return { changed, problems };
}

function main(argv) {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}; usage: node scripts/action-docs.js [--check]`);
    return 2;
  }
  const root = path.resolve(__dirname, '..');
  const { changed, problems } = run({ root, check });
  for (const p of problems) console.error(p.guide !== undefined ? p.message : `actions/${p.action}: ${p.message}`);
  if (check) {
    const why = { missing: 'missing', 'tables differ': 'its inputs or outputs table is not what action.yml gives', 'workflows differ': 'a workflow in it is not the file it names' };
    for (const c of changed) console.error(`${c.readme}: ${why[c.reason]}; run \`npm run docs\``);
    if (changed.length === 0 && problems.length === 0) console.log('every action README matches its action.yml, every guide its workflows');
    return changed.length > 0 || problems.length > 0 ? 1 : 0;
  }
  for (const c of changed) console.log(`${c.readme}: ${c.reason === 'created' ? 'created (fill in the text around the tables)' : c.reason === 'workflows differ' ? 'workflows copied in' : 'tables regenerated'}`);
  if (changed.length === 0 && problems.length === 0) console.log('every action README and guide was already up to date');
  return problems.length > 0 ? 1 : 0;
}

module.exports = { escapeText, code, inputsTable, outputsTable, render, renderWorkflows, skeleton, listActions, listGuides, readAction, run };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
