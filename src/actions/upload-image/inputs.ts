/** The inputs of `upload-image`, parsed once into one readonly object. */
import { parseVisibilityRules, DEFAULT_RULES_TEXT, type VisibilityRule } from '../../acl/visibility';
import { ConfigurationError } from '../../config/configuration-error';
import type { Host } from '../../runtime/host';
import { lines, parseBoolean, parseInput, parseIntInRange, requiredInput } from '../../runtime/inputs';
import { readStoreInputs } from '../../runtime/store-inputs';
import type { StoreSpec } from '../../storage/store-spec';
import { parseSize } from '../../config/size';
import { parseCacheControl, parseContentType } from '../../storage/header-values';
import { MAX_PART, MIN_PART } from '../../storage/object-store';
import { parseRequirement, type Requirement } from '../../config/requirement';
import { parseKeyTemplate, type KeyTemplate } from '../../upload/plan';
import { quote } from '../../config/configuration-error';

export interface UploadImageInputs {
  readonly files: readonly string[];
  readonly stores: readonly StoreSpec[];
  readonly key: KeyTemplate;
  readonly rules: readonly VisibilityRule[];
  readonly require: Requirement;
  readonly partSize: number;
  readonly concurrency: number;
  /** The Content-Type of every object; `undefined`: each file's type by name. */
  readonly contentType?: string;
  /** The Cache-Control of every object; `undefined`: none. */
  readonly cacheControl?: string;
  readonly dryRun: boolean;
}


export function readUploadImageInputs(host: Host): UploadImageInputs {
  const files = lines(requiredInput(host, 'files'));
  const stores = readStoreInputs(host);
  return {
    files,
    stores,
    key: parseInput(host, 'key', parseKeyTemplate, '{name}'),
    rules: parseInput(host, 'visibility-rules', parseVisibilityRules, DEFAULT_RULES_TEXT),
    require: parseInput(host, 'require', (v) => parseRequirement(v, stores.length), 'all'),
    partSize: parseInput(host, 'part-size', (v) => {
      const n = parseSize(v);
      if (n < MIN_PART || n > MAX_PART) throw new ConfigurationError(`${quote(v)} is out of range; allowed: 5MiB to 5GiB`);
      return n;
    }, '32MiB'),
    concurrency: parseInput(host, 'concurrency', parseIntInRange(1, 64), '4'),
    contentType: parseInput(host, 'content-type', parseContentType),
    cacheControl: parseInput(host, 'cache-control', parseCacheControl),
    dryRun: parseInput(host, 'dry-run', parseBoolean, 'false'),
  };
}
