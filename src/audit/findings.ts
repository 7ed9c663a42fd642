/**
 * What an audit finds, by kind, each with a severity. Object findings name a key; bucket findings
 * do not. Severities: `error` (someone can read what must stay private, or write), `warning`
 * (something differs from what was asked, or could not be checked), `notice` (worth knowing).
 */
export type Severity = 'error' | 'warning' | 'notice';

export const FINDING_KINDS = {
  /** A private object (by the rules) that an anonymous request reads. */
  exposed: 'error',
  /** A private object that any account holder of the provider can read (authenticated-read grant or policy). */
  'exposed-authenticated': 'error',
  /** A private object strangers may read under a bucket policy condition (an address range, a VPC endpoint, a Referer): restricted is not private. */
  'exposed-restricted': 'error',
  /** An object a restricted rule covers that strangers may read without any condition. */
  unrestricted: 'error',
  /** A public grant on a private object that is dormant now (BucketOwnerEnforced, IgnorePublicAcls): one setting away from exposure. */
  'latent-public-grant': 'warning',
  /** A public object (by the rules) that an anonymous request cannot read. */
  'not-readable': 'warning',
  /** An object strangers may read only under a bucket policy condition, as its restricted rule declares (the condition named). */
  restricted: 'notice',
  /** An object that could not be checked (probe or ACL read failed after retries). */
  'check-failed': 'warning',
  /** Strangers may write to the bucket or change its settings (bucket ACL or policy). */
  'public-write': 'error',
  /** Strangers may list the bucket's keys (bucket ACL or policy). */
  'public-list': 'notice',
  /** The bucket policy is not a valid policy document. */
  'policy-malformed': 'error',
  /** The bucket policy could not be read with these credentials. */
  'policy-unreadable': 'warning',
  /** ACLs could not be read with these credentials; only anonymous checks were made. */
  'acl-unreadable': 'warning',
  /** A bucket setting (access block, lifecycle, versioning, ownership) could not be read. */
  'setting-unreadable': 'warning',
  /** No lifecycle rule expires the expected prefix within the expected days. */
  'lifecycle-mismatch': 'setting',
  /** Versioning is not as expected. */
  'versioning-mismatch': 'setting',
} as const;

export type FindingKind = keyof typeof FINDING_KINDS;

export interface Finding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  /** The object's key relative to the store's prefix; absent for bucket findings. */
  readonly key?: string;
  readonly message: string;
  /** What makes it so: `acl`, `policy`, `access-block`, or `unknown`. */
  readonly causes?: readonly string[];
}

/** The severity of a kind; settings kinds take the configured severity. */
export function severityOf(kind: FindingKind, settingSeverity: 'warning' | 'error'): Severity {
  const s = FINDING_KINDS[kind];
  return s === 'setting' ? settingSeverity : s;
}

/** A counter per kind, every kind present (zero when none). */
export function emptyCounts(): Record<FindingKind, number> {
  return Object.fromEntries(Object.keys(FINDING_KINDS).map((k) => [k, 0])) as Record<FindingKind, number>;
}

/** Keeps every count but at most `keep` findings per kind, so a million-object mess stays a readable report. */
export class FindingLog {
  readonly counts = emptyCounts();
  readonly bySeverity: Record<Severity, number> = { error: 0, warning: 0, notice: 0 };
  private readonly kept: Finding[] = [];
  private dropped = 0;

  constructor(private readonly keep = 1000) {}

  add(f: Finding): void {
    this.counts[f.kind]++;
    this.bySeverity[f.severity]++;
    if (this.counts[f.kind] <= this.keep) this.kept.push(f);
    else this.dropped++;
  }

  /** The findings kept, by kind (in the order of {@link FINDING_KINDS}), then by key. */
  get findings(): readonly Finding[] {
    const order = Object.keys(FINDING_KINDS);
    return [...this.kept].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  }

  /** Findings counted but not kept. */
  get left(): number {
    return this.dropped;
  }
}
