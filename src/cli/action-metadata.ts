/**
 * What the CLI knows about a command comes from the action's own `action.yml`, the file GitHub reads:
 * its inputs (names, defaults, meanings) and outputs. One source, so a flag exists on the command
 * line exactly when the input exists in the workflow.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';

export interface InputSpec {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** The default the runner would give; undefined when there is none or it is a `${{ }}` expression. */
  readonly default?: string;
  /** The default as written, expressions included, for help. */
  readonly shownDefault?: string;
}

export interface ActionSpec {
  readonly name: string;
  readonly description: string;
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly { readonly name: string; readonly description: string }[];
}

/**
 * The repository root as seen from this file: `src/cli/` in a checkout and `dist/cli/` in the
 * bundle both sit two folders below it, beside `actions/` and `package.json`.
 */
export const ROOT = path.resolve(__dirname, '..', '..');

type Yaml = Record<string, unknown>;
const record = (v: unknown): Yaml => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Yaml) : {});
const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** Reads and checks `actions/NAME/action.yml`; a missing or malformed file is an error naming it. */
export function loadActionSpec(name: string, root: string = ROOT): ActionSpec {
  const file = path.join(root, 'actions', name, 'action.yml');
  let doc: Yaml;
  try {
    doc = record(load(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    throw new Error(`cannot read the inputs of ${name} from ${file}: ${(e as Error).message}`);
  }
  const inputs = Object.entries(record(doc.inputs)).map(([input, raw]): InputSpec => {
    const spec = record(raw);
    const shown = spec.default === undefined ? undefined : text(spec.default);
    return {
      name: input,
      description: text(spec.description),
      required: spec.required === true || spec.required === 'true',
      default: shown === undefined || shown.includes('${{') ? undefined : shown,
      shownDefault: shown,
    };
  });
  const outputs = Object.entries(record(doc.outputs)).map(([output, raw]) => ({ name: output, description: text(record(raw).description) }));
  return { name, description: text(doc.description), inputs, outputs };
}

/** The version in `package.json`, or "unknown" when it cannot be read. */
export function packageVersion(root: string = ROOT): string {
  try {
    const v = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The inputs a run gets: those given, and for the rest the default the runner would give. */
export function withDefaults(spec: ActionSpec, given: ReadonlyMap<string, string>): Map<string, string> {
  const inputs = new Map(given);
  for (const input of spec.inputs) if (!inputs.has(input.name) && input.default !== undefined) inputs.set(input.name, input.default);
  return inputs;
}
