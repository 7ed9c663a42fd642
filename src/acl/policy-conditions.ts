/**
 * Policy conditions, read for one question: does a *plain* request meet them? A plain request is
 * what any stranger sends without trying: no Referer or other optional header, not through a VPC
 * endpoint, from an address of the open internet. A statement whose condition a plain request
 * meets reaches every stranger (public); one whose condition it does not meet reaches only those
 * who meet it (restricted: the address, endpoint or header the condition names).
 *
 * A plain request carries none of a condition's keys but the ones every request has (such as
 * `aws:SourceIp`), so the answer follows AWS's documented rules for a key missing from the request,
 * which also hold for a negated operator on a key every request has (an address outside the listed
 * ranges): an operator that negates (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ... any name
 * holding `Not`), `...IfExists`, `ForAllValues:...` and `Null` with `true` are met; every other
 * operator, `ForAnyValue:...` and `Null` with `false` are not. An operator this reader does not
 * know is read by the same rules from its name: it is still a condition, never dropped. (AWS and
 * RGW 16 refuse a policy with an unknown operator when it is put; another provider may not.)
 */
import type { PolicyCondition, PolicyStatement } from './policy-document';

/** Whether a plain request meets one operator and key (see the file comment). */
function plainMeets(c: PolicyCondition): boolean {
  if (c.operator === 'Null') return c.values.includes('true');
  if (c.operator.endsWith('IfExists')) return true;
  if (c.operator.startsWith('ForAllValues:')) return true;
  if (c.operator.startsWith('ForAnyValue:')) return false;
  return c.operator.includes('Not');
}

/**
 * Whether a plain request **may** meet the statement's condition (what an Allow needs to count as
 * public): true without a condition, and for an operator that names no key.
 */
export function plainMayMeet(s: PolicyStatement): boolean {
  return s.conditions.every(plainMeets);
}

/**
 * Whether a plain request **must** meet the statement's condition (what a conditional Deny needs to
 * hold plain requests back): only when it names keys and a plain request meets every one.
 */
export function plainMustMeet(s: PolicyStatement): boolean {
  return !s.conditional || (s.conditions.length > 0 && s.conditions.every(plainMeets));
}

/** A condition in words: `IpAddress aws:SourceIp 10.0.0.0/8 and StringLike aws:Referer [https://a/*, https://b/*]`. */
export function describeConditions(conditions: readonly PolicyCondition[]): string {
  if (conditions.length === 0) return 'a condition that names no key';
  return conditions.map((c) => `${c.operator} ${c.key} ${c.values.length === 1 ? c.values[0] : `[${c.values.join(', ')}]`}`).join(' and ');
}
