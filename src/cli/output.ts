// All terminal output goes through here, so --json, NO_COLOR and non-TTY behave the same
// everywhere: with --json only one JSON document reaches stdout; without a TTY there are no
// spinners and no colours, just plain lines.
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import ora, { type Ora } from 'ora';

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  /** defaults to process.stdout.isTTY */
  tty?: boolean;
}

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly tty: boolean;
  readonly c: ChalkInstance;

  constructor(opts: OutputOptions = {}) {
    this.json = !!opts.json;
    this.verbose = !!opts.verbose;
    this.tty = opts.tty ?? !!process.stdout.isTTY;
    const noColor = 'NO_COLOR' in process.env && process.env.NO_COLOR !== '';
    this.c = new Chalk({ level: noColor || !this.tty || this.json ? 0 : chalk.level || 1 });
  }

  /** A line for people. Suppressed in --json mode (stdout is for the JSON document). */
  line(text = ''): void {
    if (!this.json) process.stdout.write(text + '\n');
  }

  /** Progress and diagnostics: stderr, so stdout stays clean for pipes. */
  info(text: string): void {
    if (!this.json) process.stderr.write(text + '\n');
  }

  debug(text: string): void {
    if (this.verbose) process.stderr.write(this.c.dim(text) + '\n');
  }

  warn(text: string): void {
    process.stderr.write(this.c.yellow('warning: ') + text + '\n');
  }

  /** The one JSON document of a --json run. */
  data(value: unknown): void {
    if (this.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  private spinner?: Ora;
  private spinnerLabel?: string;

  /** A task begins: an ora spinner on a TTY, otherwise one plain line. */
  taskStart(label: string): void {
    if (this.tty && !this.json) {
      this.spinner?.stop();
      this.spinner = ora({ text: label, stream: process.stderr, color: 'cyan' }).start();
      this.spinnerLabel = label;
    } else {
      this.info(`… ${label}`);
    }
  }

  /** What a task is doing now: the spinner's text, or a debug line. */
  taskUpdate(label: string, text: string): void {
    if (this.spinner && this.spinnerLabel === label) this.spinner.text = `${label} ${this.c.dim(text)}`;
    else this.debug(`  ${text}`);
  }

  /** A task ended, with the time it took. */
  taskEnd(label: string, ok: boolean, seconds: number): void {
    const took = `${seconds.toFixed(1)}s`;
    if (this.spinner && this.spinnerLabel === label) {
      if (ok) this.spinner.succeed(`${label} ${this.c.dim(took)}`);
      else this.spinner.fail(`${label} ${this.c.dim(took)}`);
      this.spinner = undefined;
      this.spinnerLabel = undefined;
    } else {
      this.info(`${ok ? '✓' : '✗'} ${label} (${took})`);
    }
  }

  /**
   * Runs `fn` with a progress indicator: an ora spinner on a TTY, otherwise one plain line
   * when it starts and one when it ends. Always reports the time taken.
   */
  async step<T>(label: string, fn: (update: (text: string) => void) => Promise<T>): Promise<T> {
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    this.taskStart(label);
    try {
      const result = await fn((text) => this.taskUpdate(label, text));
      this.taskEnd(label, true, seconds());
      return result;
    } catch (err) {
      this.taskEnd(label, false, seconds());
      throw err;
    }
  }

  /** A simple aligned table for people. */
  table(headers: string[], rows: string[][]): void {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? '').length)));
    const fmt = (cells: string[]) =>
      cells.map((cell, i) => cell + ' '.repeat(Math.max(0, widths[i] - stripAnsi(cell).length))).join('  ').trimEnd();
    this.line(this.c.bold(fmt(headers)));
    for (const r of rows) this.line(fmt(r));
  }
}

export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}
