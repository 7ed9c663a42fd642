/**
 * The one way an action runs: interrupt handling, error classification, failure, and a job
 * summary written in `finally` so a failed run still explains itself.
 */
import { ConfigurationError } from '../config/configuration-error';
import { StoreError } from '../errors';
import type { Host } from './host';
import { Summary } from './summary';

/**
 * An outcome the action reports as its result, not a bug: files that did not reach enough stores,
 * an object found exposed. Its message is shown as it is.
 */
export class ActionFailure extends Error {
  override readonly name: string = 'ActionFailure';
}

export interface ActionContext {
  readonly host: Host;
  readonly summary: Summary;
  /** Registers cleanup to run if the process is interrupted; returns a function that unregisters it. */
  readonly onInterrupt: (cleanup: () => Promise<void>) => () => void;
}

/** Runs an action's main function on a host. Only this function marks a run failed. */
export async function runAction(title: string, main: (ctx: ActionContext) => Promise<void>, host: Host): Promise<void> {
  const summary = new Summary(title);
  const cleanups = new Set<() => Promise<void>>();
  const onSignal = (signal: NodeJS.Signals) => {
    host.error(`${signal} received: aborting open uploads so nothing is left half-written`);
    const deadline = new Promise((r) => setTimeout(r, 15_000).unref());
    void Promise.race([Promise.allSettled([...cleanups].map((c) => c())), deadline]).then(() => {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onInterrupt = (cleanup: () => Promise<void>) => {
    cleanups.add(cleanup);
    return () => void cleanups.delete(cleanup);
  };
  try {
    await main({ host, summary, onInterrupt });
  } catch (e) {
    const message = describeFailure(e);
    summary.failure(message);
    if (!(e instanceof ConfigurationError) && !(e instanceof StoreError) && !(e instanceof ActionFailure) && e instanceof Error && e.stack) host.debug(e.stack);
    host.fail(message);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    try {
      await host.writeSummary(summary.render());
    } catch (e) {
      host.warning(`could not write the job summary: ${String(e)}`);
    }
  }
}

/** A message for the person who reads the failed step: theirs to fix, or a fault, or a bug. */
export function describeFailure(e: unknown): string {
  if (e instanceof ConfigurationError) return e.message;
  if (e instanceof StoreError || e instanceof ActionFailure) return e.message;
  if (e instanceof Error) return `internal error (please report it): ${e.message}`;
  return `internal error (please report it): ${String(e)}`;
}
