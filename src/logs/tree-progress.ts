/**
 * Progress of a many-file upload: files and bytes done of the total, and the rates, printed at most
 * once every `intervalMs` (and once at the end), so thousands of small files make a handful of
 * lines rather than thousands.
 */
import { formatSize } from '../config/size';

export class TreeProgress {
  private files = 0;
  private bytes = 0;
  private last: number;
  private readonly started: number;

  constructor(
    private readonly totalFiles: number,
    private readonly totalBytes: number,
    private readonly print: (line: string) => void,
    private readonly intervalMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.started = this.now();
    this.last = this.started;
  }

  /** Counts one file (of `size` source bytes) as done, whatever its outcome. */
  fileDone(size: number): void {
    this.files++;
    this.bytes += size;
    const t = this.now();
    if (this.files < this.totalFiles && t - this.last < this.intervalMs) return;
    this.last = t;
    this.print(this.line(t));
  }

  /** The progress line for time `t`. */
  line(t = this.now()): string {
    const secs = Math.max((t - this.started) / 1000, 0.001);
    const pct = this.totalFiles === 0 ? 100 : (this.files / this.totalFiles) * 100;
    return (
      `${this.files} of ${this.totalFiles} file(s) (${pct.toFixed(0)}%), ${formatSize(this.bytes)} of ${formatSize(this.totalBytes)}, ` +
      `${(this.files / secs).toFixed(0)} files/s, ${formatSize(Math.round(this.bytes / secs))}/s`
    );
  }
}
