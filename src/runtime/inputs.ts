/**
 * Reading inputs strictly. Every failure is a `ConfigurationError` that names the input, shows the
 * value and says what is allowed.
 */
import * as path from 'node:path';
import { ConfigurationError, quote } from '../config/configuration-error';
import type { Host } from './host';

/** Reads one input with a parser; a `ConfigurationError` from the parser gets the input's name. */
export function parseInput<T>(host: Host, name: string, parse: (value: string) => T, fallback?: string): T {
  const raw = host.input(name).trim();
  const value = raw === '' && fallback !== undefined ? fallback : raw;
  try {
    return parse(value);
  } catch (e) {
    if (e instanceof ConfigurationError) throw e.within(`input "${name}"`);
    throw e;
  }
}

export function requiredInput(host: Host, name: string): string {
  const v = host.input(name).trim();
  if (v === '') throw new ConfigurationError(`input "${name}" is required and was not given`);
  return v;
}

/** Non-empty lines, trimmed, `#` comments dropped. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function parseBoolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigurationError(`${quote(value)} is not allowed; allowed: true, false`);
}

export function parseIntInRange(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ConfigurationError(`${quote(value)} is not allowed; allowed: a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
}

export function parseChoice<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new ConfigurationError(`${quote(value)} is not allowed; allowed: ${choices.join(', ')}`);
    }
    return value as T;
  };
}

/**
 * Parses a `report-path` input: a path relative to the workspace, or empty for `fileName` in the
 * runner's temporary folder (the workspace outside a runner).
 */
export function parseReportPath(host: Host, fileName: string) {
  return (value: string): string => (value === '' ? path.join(host.env.RUNNER_TEMP || host.cwd, fileName) : path.resolve(host.cwd, value));
}

/** Parses `requests-per-second`: 0 for no cap, else a positive number. */
export function parseRate(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 1_000_000) {
    throw new ConfigurationError(`${quote(value)} is not allowed; allowed: 0 (no cap) or requests per second, such as 500`);
  }
  return Number(value);
}
