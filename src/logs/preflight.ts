/**
 * What a publish checks before its first byte is written: every store answers, the prefix is free
 * (unless overwriting), and no bucket policy would expose private logs.
 */
import { parseBucketPolicy } from '../acl/bucket-policy';
import { ConfigurationError, quote } from '../config/configuration-error';
import type { ObjectStore, Visibility } from '../storage/object-store';
import { describeExposure, keysExposedByPolicy } from './policy-exposure';
import { INDEX_PAGE } from './publish-index';

export interface PreflightStore {
  readonly name: string;
  readonly store: ObjectStore;
}

export interface PreflightOptions {
  readonly prefix: string;
  /** Every key the run may write (relative to the store), evaluated against a bucket policy. */
  readonly keys: readonly string[];
  /** Whether the prefix may already hold objects. */
  readonly overwrite: boolean;
  readonly visibility: Visibility;
  readonly info: (message: string) => void;
}

/**
 * Every store must answer, the prefix must be free, and private logs must not be exposed by a
 * policy: every key to be written is evaluated against it. Throws one `ConfigurationError` (naming
 * the `stores` input) that lists every store's problem.
 */
export async function preflightStores(stores: readonly PreflightStore[], options: PreflightOptions): Promise<void> {
  const problems = await Promise.all(stores.map((target) => preflightStore(target, options)));
  const bad = problems.filter((problem): problem is string => problem !== undefined);
  if (bad.length > 0) throw new ConfigurationError(`input "stores": ${bad.join('; ')}`);
}

/** One store's problem, or `undefined`. */
async function preflightStore({ name, store }: PreflightStore, options: PreflightOptions): Promise<string | undefined> {
  const { prefix } = options;
  try {
    await store.preflight();
  } catch (e) {
    return `${name}: ${e instanceof Error ? e.message : String(e)}`;
  }
  options.info(`${name}: ok (${store.display}, visibility ${store.visibilityMode})`);
  if (!options.overwrite) {
    try {
      for await (const object of store.list(prefix)) {
        return `${name}: ${quote(prefix)} already holds objects (${quote(object.key)}), another run's logs; nothing was written. Use a prefix that is unique to the run (add {run-attempt}, {job} or {context}) or set overwrite: true`;
      }
    } catch (e) {
      return `${name}: cannot list ${quote(prefix)}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return options.visibility === 'private' ? policyProblem(name, store, options) : undefined;
}

/** Whether the bucket policy lets strangers read any of the keys to be written privately. */
async function policyProblem(name: string, store: ObjectStore, options: PreflightOptions): Promise<string | undefined> {
  const { prefix, keys } = options;
  const state = await store.policy();
  const where = store.locate(prefix + INDEX_PAGE);
  if (state.kind === 'document' && where !== undefined) {
    let exposed;
    try {
      const full = keys.map((key) => store.locate(key)?.key ?? key);
      exposed = keysExposedByPolicy(parseBucketPolicy(state.text), where.bucket, full);
    } catch (e) {
      return `${name}: the bucket policy cannot be read (${(e as Error).message}), so private logs cannot be shown to stay private`;
    }
    if (exposed.length > 0) {
      return `${name}: ${describeExposure(exposed, keys.length)}; private logs would be public. Nothing was written`;
    }
  } else if (state.kind === 'unknown') {
    options.info(`${name}: bucket policy not readable (${state.reason}); visibility is checked anonymously after the upload`);
  }
  return undefined;
}
