/** A one-line progress bar on stderr when it is a terminal; silent otherwise (logs stay clean). */
export class ProgressBar {
  private readonly enabled: boolean;
  private last = 0;

  constructor(
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
    private readonly out: NodeJS.WriteStream = stream,
    enabled = stream.isTTY === true && !process.env.CI,
  ) {
    this.enabled = enabled;
  }

  /** The terminal's width (80 when it reports none); under 2, nothing is drawn rather than failing. */
  private columns(): number {
    const columns = this.out.columns;
    return typeof columns === 'number' && Number.isFinite(columns) ? Math.floor(columns) : 80;
  }

  /** Shows `done` of `total` (bytes or items) and a short note; redraws at most 10 times a second. */
  update(done: number, total: number, note = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 28;
    const raw = total > 0 ? done / total : 1;
    const ratio = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const columns = this.columns();
    if (columns < 2) return;
    const line = `${this.label} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}% ${note}`;
    this.out.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
  }

  done(): void {
    if (!this.enabled) return;
    const columns = this.columns();
    if (columns < 2) return;
    this.out.write(`\r${' '.repeat(columns - 1)}\r`);
  }
}
