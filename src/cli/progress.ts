// A progress bar on stderr for long uploads; silent when stderr is not a terminal.

export class ProgressBar {
  private last = 0;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 30;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(frac * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mib(done)}/${mib(this.total)} MiB`);
  }

  done(message: string): void {
    if (this.stream.isTTY) this.stream.write(`\r${' '.repeat(100)}\r`);
    this.stream.write(message + '\n');
  }
}

const mib = (n: number) => (n / 1048576).toFixed(1);
