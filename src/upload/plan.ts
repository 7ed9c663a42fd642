/**
 * Pure planning for `upload-image`: keys from a template and part sizes. No I/O here.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import { MIB } from '../config/size';
import { MAX_OBJECT, MAX_PARTS } from '../storage/object-store';
import { checkKey } from '../storage/key-check';

const PLACEHOLDERS = ['name', 'stem', 'ext', 'sha256'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** A parsed key template such as `images/{name}`. */
export interface KeyTemplate {
  readonly text: string;
  readonly usesSha256: boolean;
}

/** Checks a key template once; {@link renderKey} then cannot fail on placeholders. */
export function parseKeyTemplate(text: string): KeyTemplate {
  if (text.trim() === '') throw new ConfigurationError('empty key template; allowed: text with {name}, {stem}, {ext}, {sha256}');
  for (const m of text.matchAll(/\{([^}]*)\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      throw new ConfigurationError(`unknown placeholder {${m[1]}} in ${quote(text)}; allowed: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
  }
  if (/[{}]/.test(text.replace(/\{[a-z0-9]+\}/g, ''))) {
    throw new ConfigurationError(`unbalanced braces in key template ${quote(text)}`);
  }
  return { text, usesSha256: text.includes('{sha256}') };
}

/** Renders a key for a file name. Throws `ConfigurationError` if the key is not a safe object key. */
export function renderKey(template: KeyTemplate, fileName: string, sha256?: string): string {
  const dot = fileName.lastIndexOf('.');
  const values: Record<Placeholder, string> = {
    name: fileName,
    stem: dot > 0 ? fileName.slice(0, dot) : fileName,
    ext: dot > 0 ? fileName.slice(dot) : '',
    sha256: sha256 ?? '{sha256}',
  };
  const key = template.text.replace(/\{([a-z0-9]+)\}/g, (_, p: Placeholder) => values[p]);
  checkKey(key, template.text);
  return key;
}

/**
 * Part size for a file: the requested size (default 32 MiB), grown in whole MiB so that no file
 * needs more than 10,000 parts. Returns `undefined` when the file fits one PUT of at most one part.
 */
export function choosePartSize(size: number, requested: number): { partSize: number; parts: number } | undefined {
  if (size > MAX_OBJECT) throw new ConfigurationError(`a file of ${size} bytes is larger than S3's 5 TiB object limit`);
  if (size <= requested) return undefined;
  let partSize = requested;
  if (Math.ceil(size / partSize) > MAX_PARTS) partSize = Math.ceil(size / MAX_PARTS / MIB) * MIB;
  return { partSize, parts: Math.ceil(size / partSize) };
}
