/**
 * What an action needs from where it runs: inputs, outputs, logs, masking and the job summary.
 * Two hosts implement it: GitHub Actions (`actions-host.ts`, the only module on top of
 * `@actions/core`) and the command line (`cli-host.ts`). Action code talks to this interface only.
 */
export interface Host {
  /** The raw value of an input, `''` when unset. */
  input(name: string): string;
  setOutput(name: string, value: string): void;
  /** Masks a value in everything printed from now on. */
  setSecret(value: string): void;
  debug(message: string): void;
  /** Whether debug lines are shown at all: callers with one line per object skip building them otherwise. */
  readonly debugEnabled: boolean;
  info(message: string): void;
  /** Something a person should know, that needs no action; shown as an annotation where the host has them. */
  notice(message: string): void;
  /** A finding a person must act on; shown as an annotation where the host has them. */
  warning(message: string): void;
  error(message: string): void;
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Appends markdown to the job summary (the CLI prints it). */
  writeSummary(markdown: string): Promise<void>;
  /** Marks the run failed with a message; exit status 1. */
  fail(message: string): void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}
