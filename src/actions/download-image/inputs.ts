/** The inputs of `download-image`, parsed once into one readonly object. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, quote } from '../../config/configuration-error';
import { STORE_ORDERS, type StoreOrder } from '../../download/sources';
import type { Host } from '../../runtime/host';
import { parseBoolean, parseChoice, parseInput, parseIntInRange } from '../../runtime/inputs';
import { readStoreInputs } from '../../runtime/store-inputs';
import { sha256FromName } from '../../storage/content-address';
import type { StoreSpec } from '../../storage/store-spec';
import { checkKey } from '../../storage/key-check';

export interface DownloadImageInputs {
  readonly key: string;
  /** The file to create: `destination` itself, or the key's last segment inside it when it is a folder. */
  readonly dest: string;
  readonly stores: readonly StoreSpec[];
  readonly order: StoreOrder;
  readonly sha256?: string;
  readonly requireSha256: boolean;
  readonly retries: number;
}

export function readDownloadImageInputs(host: Host): DownloadImageInputs {
  const key = parseInput(host, 'object-key', parseKey);
  return {
    key,
    dest: parseInput(host, 'save-to', (v) => destination(v, key, host.cwd), '.'),
    stores: readStoreInputs(host),
    order: parseInput(host, 'order', parseChoice(STORE_ORDERS), 'listed'),
    sha256: parseInput(host, 'sha256', parseSha256),
    requireSha256: parseInput(host, 'require-sha256', parseBoolean, 'true'),
    retries: parseInput(host, 'retries', parseIntInRange(0, 20), '5'),
  };
}

function parseKey(value: string): string {
  if (value === '') throw new ConfigurationError('is required and was not given');
  if (value.includes('\n')) throw new ConfigurationError(`${quote(value)} holds several lines; allowed: one object key (use one step per image)`);
  checkKey(value, 'input');
  sha256FromName(value);
  return value;
}

function parseSha256(value: string): string | undefined {
  if (value === '') return undefined;
  const v = value.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(v)) throw new ConfigurationError(`${quote(value)} is not allowed; allowed: empty, or a sha256 of 64 hex digits`);
  return v;
}

/**
 * A path ending in `/`, or naming a folder that exists, receives the key's last segment; any other
 * path is the file itself. Relative paths are relative to the workspace.
 */
function destination(value: string, key: string, cwd: string): string {
  const resolved = path.resolve(cwd, value);
  let isDir = /[\\/]$/.test(value);
  try {
    isDir ||= fs.statSync(resolved).isDirectory();
  } catch {
    // Not there yet: a file to create.
  }
  const file = isDir ? path.join(resolved, key.slice(key.lastIndexOf('/') + 1)) : resolved;
  if (/\.part(\.json)?$/.test(file)) throw new ConfigurationError(`${quote(value)} is not allowed; names ending in .part or .part.json are where downloads in progress are kept`);
  return file;
}
