/**
 * Private logs against the bucket policy, before anything is written: every key the run will
 * write is evaluated, not one stand-in (a policy that lets anyone read `*.log` exposes the logs
 * while leaving `index.html` private). Pure: the parsed policy and the keys come in.
 */
import { describeStatement, strangerReadAllowed, type ParsedPolicy, type PolicyStatement } from '../acl/bucket-policy';
import { quote } from '../config/configuration-error';

/** A key the policy would let a stranger read, with the statement that allows it and to whom. */
export interface ExposedKey {
  /** The full key in the bucket. */
  readonly key: string;
  readonly statement: PolicyStatement;
  /** Anonymous readers, or any account holder of the provider. */
  readonly who: 'everyone' | 'authenticated';
}

/**
 * Every key of `keys` (full keys in `bucket`) that `policy` lets a stranger read (anonymous, or any
 * account holder: anyone can open an account), in the order given.
 */
export function keysExposedByPolicy(policy: ParsedPolicy, bucket: string, keys: Iterable<string>): ExposedKey[] {
  const out: ExposedKey[] = [];
  for (const key of keys) {
    const verdict = strangerReadAllowed(policy, bucket, key);
    if (verdict.readable) out.push({ key, statement: verdict.statement!, who: verdict.who ?? 'everyone' });
  }
  return out;
}

/**
 * Says which statement exposes which keys, one clause per statement: the statement, the first
 * key it exposes, and how many more. `total` is the number of keys evaluated.
 */
export function describeExposure(exposed: readonly ExposedKey[], total: number): string {
  const byStatement = new Map<PolicyStatement, ExposedKey[]>();
  for (const e of exposed) {
    const keys = byStatement.get(e.statement) ?? [];
    keys.push(e);
    byStatement.set(e.statement, keys);
  }
  const clauses = [...byStatement].map(([statement, keys]) => {
    const more = keys.length > 1 ? ` and ${keys.length - 1} more of the ${total} key(s) to write` : '';
    return `the bucket policy (${describeStatement(statement)}) lets ${keys[0]!.who === 'authenticated' ? 'any account holder' : 'anyone'} read ${quote(keys[0]!.key)}${more}`;
  });
  return clauses.join('; ');
}
