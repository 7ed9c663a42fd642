/**
 * The job summary, built section by section and rendered once. Kept below GitHub's 1 MiB cap:
 * tables are cut at a row limit with a line saying how many rows were left out.
 */
const MAX_BYTES = 900 * 1024;

export class Summary {
  private readonly sections: string[] = [];
  private failureText?: string;

  constructor(private readonly title: string) {}

  heading(text: string): this {
    this.sections.push(`### ${text}\n`);
    return this;
  }

  paragraph(text: string): this {
    this.sections.push(`${text}\n`);
    return this;
  }

  /** A markdown table; cells are escaped; at most `maxRows` rows are shown. */
  table(header: readonly string[], rows: readonly (readonly string[])[], maxRows = 200): this {
    const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
    const out = [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.slice(0, maxRows).map(line)];
    if (rows.length > maxRows) out.push(`\n${rows.length - maxRows} more row(s) left out; see the report file.`);
    this.sections.push(`${out.join('\n')}\n`);
    return this;
  }

  failure(message: string): this {
    this.failureText = message;
    return this;
  }

  render(): string {
    const parts = [`## ${this.title}\n`];
    if (this.failureText !== undefined) parts.push(`> [!CAUTION]\n> ${escapeCell(this.failureText)}\n`);
    parts.push(...this.sections);
    let text = parts.join('\n');
    if (Buffer.byteLength(text) > MAX_BYTES) text = `${text.slice(0, MAX_BYTES)}\n\n(summary cut at ${MAX_BYTES} bytes)\n`;
    return text;
  }
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}
