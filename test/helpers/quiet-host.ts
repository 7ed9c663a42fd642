/**
 * A Host for reading inputs in process: inputs from a record, nothing printed, secrets given to
 * `setSecret` kept for the test to look at. For the glue's real behaviour (logs, outputs, summary)
 * tests run the bundle instead (helpers/bundle.ts).
 */
import type { Host } from '../../src/runtime/host';

export function quietHost(inputs: Record<string, string>, o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Host & { readonly secrets: string[] } {
  const secrets: string[] = [];
  return {
    secrets,
    input: (name) => inputs[name] ?? '',
    setOutput: () => undefined,
    setSecret: (v) => void secrets.push(v),
    debug: () => undefined,
    debugEnabled: false,
    info: () => undefined,
    notice: () => undefined,
    warning: () => undefined,
    error: () => undefined,
    group: (_n, fn) => fn(),
    writeSummary: async () => undefined,
    fail: () => undefined,
    env: o.env ?? {},
    cwd: o.cwd ?? '/srv/ws',
  };
}
