// A progress bar on stderr when it is a terminal; silent otherwise (machine-readable runs stay clean).
export class Progress {
  readonly #total: number;
  readonly #enabled: boolean;
  #done = 0;

  constructor(total: number, enabled = process.stderr.isTTY === true) {
    this.#total = total;
    this.#enabled = enabled;
  }

  start(label: string): void {
    if (!this.#enabled) return;
    const width = 28;
    const filled = Math.round((this.#done / this.#total) * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${bar} ${this.#done}/${this.#total} ${label}`;
    process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`);
  }

  tick(): void {
    this.#done++;
  }

  finish(): void {
    if (this.#enabled) process.stderr.write('\r\x1b[K');
  }
}
