/**
 * A host for one part of an action made of several: reconcile runs the mirror-bucket and audit-acl
 * steps in one process. The part reads its inputs and sets its outputs under its own names; this
 * host maps them to the names of the action that runs it. Everything else is that action's host.
 */
import { ConfigurationError } from '../config/configuration-error';
import type { Host } from './host';

export interface PartNames {
  /**
   * The part's input name -> the action's input of another name, or a fixed value the part sees
   * instead of an input (`''`: the part's default). Names not listed are the same in both.
   */
  readonly inputs: Readonly<Record<string, string | { readonly value: string }>>;
  /** The action's output for the part's output `name`; `undefined` for one the action does not have. */
  readonly output: (name: string) => string | undefined;
}

export function partHost(host: Host, names: PartNames): Host {
  return {
    input: (name) => {
      const to = names.inputs[name];
      if (to === undefined) return host.input(name);
      return typeof to === 'string' ? host.input(to) : to.value;
    },
    setOutput: (name, value) => {
      const to = names.output(name);
      if (to !== undefined) host.setOutput(to, value);
    },
    setSecret: (value) => host.setSecret(value),
    debug: (message) => host.debug(message),
    debugEnabled: host.debugEnabled,
    info: (message) => host.info(message),
    notice: (message) => host.notice(message),
    warning: (message) => host.warning(message),
    error: (message) => host.error(message),
    group: (name, fn) => host.group(name, fn),
    writeSummary: (markdown) => host.writeSummary(markdown),
    fail: (message) => host.fail(message),
    env: host.env,
    cwd: host.cwd,
  };
}

/**
 * Runs a part's input reader. A `ConfigurationError` it raises about an input the action names
 * differently (`input "report-path"`) names the action's input instead (`input "audit-report-path"`),
 * so the person reading it finds the input they gave.
 */
export function readPartInputs<T>(names: PartNames, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw renamedInputs(names, e);
  }
}

/**
 * A part's error as the action's user should read it: a `ConfigurationError` about an input the
 * action names differently names the action's input (also for errors raised while the part runs,
 * such as a store of `stores` that refuses the audit); anything else as it is.
 */
export function renamedInputs(names: PartNames, e: unknown): unknown {
  if (!(e instanceof ConfigurationError)) return e;
  let message = e.message;
  for (const [from, to] of Object.entries(names.inputs)) {
    if (typeof to === 'string') message = message.split(`input "${from}"`).join(`input "${to}"`).split(`inputs "${from}"`).join(`inputs "${to}"`);
  }
  return message === e.message ? e : new ConfigurationError(message, { cause: e });
}
