/**
 * Bucket policy documents, read strictly: a document that is not a policy (not JSON, an unknown or
 * missing element, a value of the wrong shape, an Effect other than exactly `Allow` or `Deny`) is a
 * `ConfigurationError`, never a policy that grants nothing; so is a key given twice in one object
 * (which one a provider reads is not documented). An element S3 would refuse, or read in a way this
 * reader does not, could otherwise hide a grant.
 */
import { ConfigurationError, quote } from '../config/configuration-error';

/** One entry of a Principal or NotPrincipal: `{"AWS": "arn:..."}` gives `{ type: 'AWS', value: 'arn:...' }`; `"*"` gives `{ type: '*', value: '*' }`. */
export interface PrincipalEntry {
  readonly type: '*' | 'AWS' | 'CanonicalUser' | 'Federated' | 'Service';
  readonly value: string;
}

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** 1-based position in the Statement list. */
  readonly index: number;
  /** The entries of Principal, or of NotPrincipal when `notPrincipal`. */
  readonly principals: readonly PrincipalEntry[];
  /** True when the statement names who it does NOT apply to (NotPrincipal). */
  readonly notPrincipal: boolean;
  /** Action patterns; empty when the statement has NotAction. */
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  /** Resource patterns; empty when the statement has NotResource. */
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** True when a Condition names at least one operator: whether it holds depends on the request. */
  readonly conditional: boolean;
  /** The Condition, one entry per operator and key (all must hold); empty without one. */
  readonly conditions: readonly PolicyCondition[];
}

/** One operator and key of a Condition: `{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}` gives `{ operator: 'IpAddress', key: 'aws:SourceIp', values: ['10.0.0.0/8'] }`. */
export interface PolicyCondition {
  readonly operator: string;
  readonly key: string;
  /** The values as written; numbers and booleans as their JSON text. Any one of them may match. */
  readonly values: readonly string[];
}

export interface ParsedPolicy {
  readonly statements: readonly PolicyStatement[];
  /** Version 2012-10-17: `${...}` in a Resource is a policy variable; otherwise (2008-10-17, or none) it is text. */
  readonly variables: boolean;
}

const TOP = ['Version', 'Id', 'Statement'];
const ELEMENTS = ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];
const PRINCIPAL_TYPES = ['AWS', 'CanonicalUser', 'Federated', 'Service'] as const;
const VERSIONS = ['2012-10-17', '2008-10-17'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a policy document. Throws `ConfigurationError` for text that is not a bucket policy. */
export function parseBucketPolicy(text: string): ParsedPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ConfigurationError('the bucket policy is not valid JSON');
  }
  if (!isObject(doc)) throw new ConfigurationError('the bucket policy is not a JSON object');
  const twice = duplicateKey(text);
  // JSON.parse keeps the last; a provider may keep the first, and grant what this reader does not see.
  if (twice !== undefined) throw new ConfigurationError(`the bucket policy has the key ${quote(twice)} twice in one object; each key may appear once`);
  for (const k of Object.keys(doc)) {
    if (!TOP.includes(k)) throw new ConfigurationError(`the bucket policy has an unknown element ${quote(k)}; allowed: ${TOP.join(', ')}`);
  }
  if (doc.Version !== undefined && !VERSIONS.includes(doc.Version as string)) {
    throw new ConfigurationError(`the bucket policy has Version ${quote(JSON.stringify(doc.Version))}; allowed: ${VERSIONS.join(', ')}`);
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') throw new ConfigurationError('the bucket policy has an Id that is not a string');
  const raw = doc.Statement;
  if (raw === undefined) throw new ConfigurationError('the bucket policy has no Statement');
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new ConfigurationError('the bucket policy has an empty Statement list');
  return { statements: list.map((s, i) => parseStatement(s, i + 1)), variables: doc.Version === '2012-10-17' };
}

/** The first key that appears twice in one object of `text` (valid JSON), decoded, or `undefined`. */
function duplicateKey(text: string): string | undefined {
  const stack: (Set<string> | undefined)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const literal = text.slice(i, end + 1);
      i = end + 1;
      const keys = stack[stack.length - 1];
      let next = i;
      while (' \t\n\r'.includes(text[next] ?? '.')) next++;
      if (keys !== undefined && text[next] === ':') {
        const key = JSON.parse(literal) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      continue;
    }
    if (c === '{' || c === '[') stack.push(c === '{' ? new Set() : undefined);
    else if (c === '}' || c === ']') stack.pop();
    i++;
  }
  return undefined;
}

function parseStatement(s: unknown, index: number): PolicyStatement {
  const where = `bucket policy statement ${index}`;
  if (!isObject(s)) throw new ConfigurationError(`${where} is not a JSON object`);
  for (const k of Object.keys(s)) {
    if (!ELEMENTS.includes(k)) throw new ConfigurationError(`${where} has an unknown element ${quote(k)}; allowed: ${ELEMENTS.join(', ')}`);
  }
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw new ConfigurationError(`${where} has a Sid that is not a string`);
  const effect = s.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') throw new ConfigurationError(`${where} has Effect ${JSON.stringify(effect)}; allowed: Allow, Deny`);
  const one = (a: string, b: string) => {
    if ((s[a] === undefined) === (s[b] === undefined)) throw new ConfigurationError(`${where} must have exactly one of ${a} and ${b}`);
    return s[a] !== undefined ? a : b;
  };
  const principalKey = one('Principal', 'NotPrincipal');
  const actionKey = one('Action', 'NotAction');
  const resourceKey = one('Resource', 'NotResource');
  const actions = strings(s[actionKey], `${where}: ${actionKey}`).map((a) => checkAction(a, `${where}: ${actionKey}`));
  const resources = strings(s[resourceKey], `${where}: ${resourceKey}`).map((r) => checkResource(r, `${where}: ${resourceKey}`));
  const conditions = parseCondition(s.Condition, `${where}: Condition`);
  return {
    sid: s.Sid,
    effect,
    index,
    principals: parsePrincipal(s[principalKey], `${where}: ${principalKey}`),
    notPrincipal: principalKey === 'NotPrincipal',
    actions: actionKey === 'Action' ? actions : [],
    notActions: actionKey === 'NotAction' ? actions : [],
    resources: resourceKey === 'Resource' ? resources : [],
    notResources: resourceKey === 'NotResource' ? resources : [],
    // An operator without keys is still a condition: it says nothing a reader could check.
    conditional: s.Condition !== undefined && Object.keys(s.Condition as object).length > 0,
    conditions,
  };
}

/** A string, or a non-empty list of strings. */
function strings(v: unknown, where: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((x) => typeof x === 'string' && x !== '')) {
    throw new ConfigurationError(`${where} must be a non-empty string or a non-empty list of them`);
  }
  return list as string[];
}

function parsePrincipal(v: unknown, where: string): PrincipalEntry[] {
  if (v === '*') return [{ type: '*', value: '*' }];
  if (!isObject(v) || Object.keys(v).length === 0) throw new ConfigurationError(`${where} must be "*" or an object of ${PRINCIPAL_TYPES.join(', ')}`);
  return Object.entries(v).flatMap(([type, values]) => {
    if (!(PRINCIPAL_TYPES as readonly string[]).includes(type)) {
      throw new ConfigurationError(`${where} has a principal type ${quote(type)}; allowed: ${PRINCIPAL_TYPES.join(', ')}`);
    }
    return strings(values, `${where}: ${type}`).map((value) => ({ type: type as PrincipalEntry['type'], value }));
  });
}

/** `*`, or `service:action` with wildcards in the action; the service is letters, digits and hyphens. */
function checkAction(a: string, where: string): string {
  if (a !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(a)) {
    throw new ConfigurationError(`${where} has ${quote(a)}; allowed: "*" or "service:action" (wildcards * and ? in the action)`);
  }
  return a;
}

/** `*`, or an ARN. */
function checkResource(r: string, where: string): string {
  if (r !== '*' && !/^arn:/i.test(r)) throw new ConfigurationError(`${where} has ${quote(r)}; allowed: "*" or an ARN such as arn:aws:s3:::bucket/*`);
  return r;
}

/**
 * A Condition, as its operator and key pairs (an operator without keys adds none, though it makes
 * the statement conditional). Operators and keys are not checked
 * against a list: one this reader does not know is still a condition, never dropped.
 */
function parseCondition(v: unknown, where: string): PolicyCondition[] {
  if (v === undefined) return [];
  if (!isObject(v)) throw new ConfigurationError(`${where} must be an object of operators`);
  return Object.entries(v).flatMap(([operator, body]) => {
    if (!isObject(body)) throw new ConfigurationError(`${where}: ${quote(operator)} must be an object of condition keys`);
    return Object.entries(body).map(([key, value]) => ({ operator, key, values: conditionValues(value, `${where}: ${operator}: ${key}`) }));
  });
}

/** A condition value: a string, number or boolean, or a list of them. */
function conditionValues(v: unknown, where: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) {
    throw new ConfigurationError(`${where} must be a string, number or boolean, or a list of them`);
  }
  return list.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
}
