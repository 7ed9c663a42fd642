'use strict';
/**
 * Plain-text tables for the terminal. Columns are the rows' keys in first-seen order, except keys
 * that start with `_` (those are for results.json only). Numbers are right-aligned.
 */

/** Formats rows (plain objects) as a table with a header and a rule; returns the text. */
function formatTable(rows) {
  const columns = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!k.startsWith('_') && !columns.includes(k)) columns.push(k);
  const right = columns.map((c) => rows.some((r) => typeof r[c] === 'number'));
  // A numeric column shows every value with as many decimals as its most precise one (at most 2),
  // so that the points line up.
  const decimals = columns.map((c) => Math.max(0, ...rows.map((r) => (typeof r[c] === 'number' ? Math.min(2, (String(r[c]).split('.')[1] ?? '').length) : 0))));
  const cell = (v, i) => (v === undefined || v === null ? '' : typeof v === 'number' ? v.toFixed(decimals[i]) : Array.isArray(v) ? v.join(' ') : String(v));
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => cell(r[c], i).length)));
  const line = (values) =>
    values
      .map((v, i) => (right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c, i) => cell(r[c], i))))].join('\n');
}

module.exports = { formatTable };
