/** Durations as inputs give them: `0`, or a whole number with a unit, such as `90s`, `10m`, `1h`. */
import { ConfigurationError, quote } from './configuration-error';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into milliseconds, at most `maxMs`. A bare number other than 0 is refused: a
 * grace given in the wrong unit would be silently off by a factor of 60.
 */
export function parseDuration(text: string, maxMs: number = 6 * UNITS.h!): number {
  const value = text.trim();
  const allowed = `allowed: 0, or a whole number of seconds, minutes or hours with its unit (s, m, h), such as 90s or 10m, up to ${maxMs / 1000} s`;
  if (value === '0') return 0;
  const m = /^(\d{1,9})(s|m|h)$/.exec(value);
  if (!m) throw new ConfigurationError(`${quote(value)} is not a duration; ${allowed}`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (ms > maxMs) throw new ConfigurationError(`${quote(value)} is too long; ${allowed}`);
  return ms;
}

/** A duration for messages: `0 s`, `90 s`, `10 min`, `1.5 h`. */
export function fmtDuration(ms: number): string {
  if (ms < 600_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 2 * UNITS.h!) return `${Math.round(ms / 6000) / 10} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
