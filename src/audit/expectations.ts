/**
 * What the bucket settings are expected to be, and the audit's other choices, parsed strictly:
 * every parser throws a `ConfigurationError` that shows the value and what is allowed.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import type { LifecycleRule, Versioning } from '../storage/audit-capability';

/** Objects under `prefix` (relative to the bucket, `''` for all) must expire within `days`. */
export interface LifecycleExpectation {
  readonly prefix: string;
  readonly days: number;
  readonly line: number;
}

/**
 * Parses `expect-lifecycle`: one `PREFIX DAYS` a line (`logs/ 90`); `*` or `/` as PREFIX means the
 * whole bucket. Blank lines and `#` comments are skipped.
 */
export function parseLifecycleExpectations(text: string): LifecycleExpectation[] {
  const out: LifecycleExpectation[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+)\s+(\d+)$/.exec(line);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 36500) {
      throw new ConfigurationError(`line ${i + 1} ${quote(line)} is not "PREFIX DAYS" (such as "logs/ 90", DAYS from 1 to 36500; "*" for the whole bucket)`);
    }
    const prefix = m[1] === '*' || m[1] === '/' ? '' : m[1]!.replace(/^\/+/, '');
    out.push({ prefix, days: Number(m[2]), line: i + 1 });
  });
  return out;
}

/** The rule that meets an expectation: enabled, on a prefix that covers the expected one, expiring soon enough. */
export function lifecycleRuleMeeting(rules: readonly LifecycleRule[], e: LifecycleExpectation): LifecycleRule | undefined {
  return rules.find(
    (r) => r.enabled && r.prefix !== undefined && e.prefix.startsWith(r.prefix) && r.expirationDays !== undefined && r.expirationDays <= e.days,
  );
}

export type VersioningExpectation = Versioning | 'any';

export function parseVersioningExpectation(value: string): VersioningExpectation {
  const allowed = ['any', 'enabled', 'suspended', 'disabled'] as const;
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigurationError(`${quote(value)} is not allowed; allowed: ${allowed.join(', ')}`);
  return value as VersioningExpectation;
}

/** Parses `sample`: a fraction in (0, 1] such as `0.05`, or a percentage such as `5%`. */
export function parseSample(value: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(value);
  const n = m ? Number(m[1]) / (m[2] === '%' ? 100 : 1) : NaN;
  if (!(n > 0 && n <= 1)) throw new ConfigurationError(`${quote(value)} is not allowed; allowed: a fraction above 0 up to 1 (such as 0.05) or a percentage (such as 5%)`);
  return n;
}

/** `false`: only report. `dry-run`: also plan fixes. `true`: apply them. */
export type FixMode = 'false' | 'dry-run' | 'true';
export type FailOn = 'error' | 'warning' | 'never';
/** What to do when the credentials cannot read ACLs. */
export type AclChecks = 'auto' | 'required' | 'skip';
