/**
 * Sizes in bytes, as inputs give them and as messages print them. Both formatters print binary
 * units through one scaling; they differ only above a GiB, as their callers have always printed.
 */
import { ConfigurationError, quote } from './configuration-error';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** Parses sizes such as `64MiB`, `1GiB`, `8388608`. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB|K|M|G|KB|MB|GB)?$/i.exec(text.trim());
  if (!m) throw new ConfigurationError(`${quote(text)} is not a size; allowed: a number of bytes or a number with KiB, MiB or GiB`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const factor = unit.startsWith('g') ? GIB : unit.startsWith('m') ? MIB : unit.startsWith('k') ? 1024 : 1;
  return Number(m[1]) * factor;
}

/**
 * A size for the image and mirror actions' messages: `812 B`, `4.0 KiB`, `1.5 MiB`, `2.00 GiB`.
 * GiB is the largest unit and has two decimals.
 */
export function fmtBytes(n: number): string {
  return scaled(n, ['KiB', 'MiB', 'GiB'], 2);
}

/**
 * A size for the logs action's pages and messages: `812 B`, `4.0 KiB`, `1.2 MiB`, `2.0 GiB`,
 * `3.0 TiB`. One decimal in every unit; TiB is the largest.
 */
export function formatSize(bytes: number): string {
  return scaled(bytes, ['KiB', 'MiB', 'GiB', 'TiB'], 1);
}

/** Bytes in the largest of `units` (each 1024 times the one before) that keeps the value under 1024, or the last. */
function scaled(bytes: number, units: readonly string[], gibDecimals: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(units[unit] === 'GiB' ? gibDecimals : 1)} ${units[unit]}`;
}
