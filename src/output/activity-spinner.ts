/**
 * One ora spinner for everything tty mode is waiting on (model requests, tool calls,
 * retry waits). Concurrent items each register an activity; the spinner shows the newest.
 */
import ora, { type Ora } from 'ora';
import type { Paint } from './ansi.js';

export interface ActivitySpinnerOptions {
  /** False: never construct ora (it loops forever on a 0-column TTY); print status lines. */
  readonly enabled: boolean;
  readonly stream: NodeJS.WritableStream;
  readonly color: boolean;
  /** Whether the cursor is at a line start (a spinner frame would erase a partial line). */
  readonly canShow: () => boolean;
  /** Where a status line goes when the spinner is disabled. */
  readonly writeStatus: (label: string) => void;
  readonly dim: Paint;
}

export class ActivitySpinner {
  readonly #options: ActivitySpinnerOptions;
  readonly #activities = new Map<string, string>();
  #spinner: Ora | undefined;
  #paused = false;
  #closed = false;
  readonly #onResize = (): void => this.refresh();

  constructor(options: ActivitySpinnerOptions) {
    this.#options = options;
    // A terminal resized to 0 columns must stop the spinner before ora's next frame.
    if (options.enabled) options.stream.on('resize', this.#onResize);
  }

  /** Begin (or relabel) an activity; without a spinner, print `label` unless `quiet`. */
  start(key: string, label: string, quiet = false): void {
    if (this.#closed) return;
    this.#activities.delete(key);
    this.#activities.set(key, label);
    if (!this.#options.enabled && !quiet) this.#options.writeStatus(label);
    this.refresh();
  }

  /** `start(key, label)` that also ends `previousKey`, without stopping ora in between. */
  replace(previousKey: string, key: string, label: string): void {
    this.#activities.delete(previousKey);
    this.start(key, label);
  }

  stop(key: string): void {
    if (this.#activities.delete(key)) this.refresh();
  }

  /** Stop every activity whose key starts with `keyPrefix`. */
  stopMatching(keyPrefix: string): void {
    for (const key of [...this.#activities.keys()]) {
      if (key.startsWith(keyPrefix)) this.#activities.delete(key);
    }
    this.refresh();
  }

  pause(): void {
    this.#paused = true;
    this.refresh();
  }

  resume(): void {
    this.#paused = false;
    this.refresh();
  }

  /** Stop for good; later calls are no-ops. */
  close(): void {
    this.#closed = true;
    this.#activities.clear();
    this.#options.stream.off('resize', this.#onResize);
    this.refresh();
  }

  /**
   * Run a write with the spinner frame cleared, then redraw it. ora hooks process.stdout
   * itself, but the reporter may write to other streams.
   */
  around(write: () => void): void {
    const spinner = this.#spinner;
    if (spinner?.isSpinning) spinner.clear();
    write();
    this.refresh();
  }

  /**
   * ora divides by the stream's column count: one frame drawn at 0 columns makes its next
   * clear() loop forever (the CLI also hangs on Ctrl-C then). Non-TTY streams have none.
   */
  #hasColumns(): boolean {
    const columns = (this.#options.stream as { columns?: unknown }).columns;
    return columns === undefined || (typeof columns === 'number' && columns > 0);
  }

  /** Show, relabel or hide the spinner to match the current state. */
  refresh(): void {
    if (!this.#options.enabled) return;
    const labels = [...this.#activities.values()];
    const newest = labels.at(-1);
    if (
      this.#closed ||
      this.#paused ||
      newest === undefined ||
      !this.#options.canShow() ||
      !this.#hasColumns()
    ) {
      // ora's stop() moves the cursor to column 0 even when idle: calling it after a
      // partial line would make the next streamed text overwrite that line.
      if (this.#spinner?.isSpinning === true) this.#spinner.stop();
      return;
    }
    const text =
      labels.length > 1 ? `${newest} ${this.#options.dim(`(+${labels.length - 1} more)`)}` : newest;
    if (this.#spinner === undefined) {
      this.#spinner = ora({
        text,
        stream: this.#options.stream,
        isEnabled: true,
        discardStdin: false,
        color: this.#options.color ? 'cyan' : false,
      });
    }
    if (this.#spinner.text !== text) this.#spinner.text = text;
    if (this.#spinner.isSpinning) this.#spinner.render();
    else this.#spinner.start();
  }
}
