/**
 * An action's report file (mirror-bucket's, prune's): one line a key, written in chunks of 64 KiB.
 * A write per key would queue an object per key whenever the file lags behind the run, and a
 * million keys make that garbage the planner's memory peak.
 */
import { createWriteStream } from 'node:fs';

export interface ReportWriter {
  /** Adds one line (with its newline). */
  add(line: string): void;
  /** Writes what is left and closes the file. */
  end(): Promise<void>;
}

export function reportWriter(file: string): ReportWriter {
  const out = createWriteStream(file);
  let pending = '';
  return {
    add(line) {
      pending += line;
      if (pending.length < 65_536) return;
      out.write(pending);
      pending = '';
    },
    end: () => new Promise<void>((resolve) => out.end(pending, () => resolve())),
  };
}

/** A key as a report line shows it: as is, or as JSON when it holds a control character (a line break would forge a line). */
export function printable(key: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(key) ? JSON.stringify(key) : key;
}
