/**
 * A progress bar on stderr, redrawn in place with \r on a terminal; elsewhere (a pipe, a CI log)
 * one plain line per step, since \r would pile up there.
 */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #tty = process.stderr.isTTY === true;
  #done = 0;
  #width = 0;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }

  step(what: string): void {
    this.#done++;
    if (!this.#tty) {
      process.stderr.write(`${this.#label}: ${this.#done}/${this.#total} ${what}\n`);
      return;
    }
    const filled = Math.round((this.#done / this.#total) * 20);
    const line = `${this.#label} [${"#".repeat(filled)}${"-".repeat(20 - filled)}] ${this.#done}/${this.#total} ${what}`;
    const fitted = line.slice(0, (process.stderr.columns ?? 80) - 1);
    process.stderr.write(`\r${fitted.padEnd(this.#width)}`);
    this.#width = fitted.length;
  }

  /** Clears the bar, so that what is printed next starts on a clean line. */
  end(): void {
    if (this.#tty && this.#width > 0) process.stderr.write(`\r${" ".repeat(this.#width)}\r`);
    this.#width = 0;
  }
}
