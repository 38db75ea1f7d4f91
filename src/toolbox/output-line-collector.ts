/**
 * Splits a child's output stream into lines, forwards each to a logger and keeps the last
 * few for error messages. Server output is diagnostics only: it never reaches the terminal.
 * A server that floods its output gets `maxLoggedBytes` of it logged; later lines are
 * counted, reported in a marker line when the output ends, and still feed the tail.
 */

/** Lines kept for `stderrTail()` and start-failure messages. */
export const OUTPUT_TAIL_LINES = 20;

/** A line longer than this is cut (a server dumping a blob must not grow memory). */
export const MAX_OUTPUT_LINE_CHARS = 2000;

/** Output of one server process forwarded to the log; the rest is only counted. */
export const MAX_LOGGED_OUTPUT_BYTES = 1024 * 1024;

export interface OutputLineCollectorOptions {
  /** Bytes of lines forwarded to `onLine` (default MAX_LOGGED_OUTPUT_BYTES). */
  readonly maxLoggedBytes?: number;
  /** What the lines are, for the markers: "stderr" (default) or "output". */
  readonly streamName?: string;
}

export class OutputLineCollector {
  readonly #tail: string[] = [];
  readonly #maxLines: number;
  readonly #maxLoggedBytes: number;
  readonly #streamName: string;
  readonly #onLine: (line: string) => void;
  #partial = '';
  #loggedBytes = 0;
  #unloggedLines = 0;
  #unloggedBytes = 0;

  constructor(
    onLine: (line: string) => void,
    maxLines = OUTPUT_TAIL_LINES,
    options: OutputLineCollectorOptions = {},
  ) {
    this.#onLine = onLine;
    this.#maxLines = maxLines;
    this.#maxLoggedBytes = options.maxLoggedBytes ?? MAX_LOGGED_OUTPUT_BYTES;
    this.#streamName = options.streamName ?? 'stderr';
  }

  /** Feeds a chunk; complete lines are emitted at once. */
  write(chunk: Buffer | string): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    if (this.#partial.length > MAX_OUTPUT_LINE_CHARS) {
      lines.push(this.#partial);
      this.#partial = '';
    }
    for (const line of lines) this.#emit(line);
  }

  /**
   * Emits a trailing line that had no newline and, when lines were held back from the log,
   * a marker counting them (call when the stream ends).
   */
  flush(): void {
    if (this.#partial !== '') {
      const line = this.#partial;
      this.#partial = '';
      this.#emit(line);
    }
    if (this.#unloggedLines === 0) return;
    this.#onLine(
      `${this.#unloggedLines} ${this.#streamName} lines (${this.#unloggedBytes} bytes) were not logged`,
    );
    this.#unloggedLines = 0;
    this.#unloggedBytes = 0;
  }

  /** The last lines, oldest first, including an unterminated one. */
  tail(): string[] {
    const lines = [...this.#tail];
    const pending = this.#partial.replace(/\r$/, '');
    if (pending.trim() !== '') lines.push(pending);
    return lines.slice(-this.#maxLines);
  }

  #emit(rawLine: string): void {
    let line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.length > MAX_OUTPUT_LINE_CHARS) line = `${line.slice(0, MAX_OUTPUT_LINE_CHARS)}…`;
    this.#tail.push(line);
    if (this.#tail.length > this.#maxLines) this.#tail.shift();
    this.#log(line);
  }

  #log(line: string): void {
    const size = Buffer.byteLength(line);
    if (this.#loggedBytes >= this.#maxLoggedBytes) {
      this.#unloggedLines += 1;
      this.#unloggedBytes += size;
      return;
    }
    this.#loggedBytes += size;
    this.#onLine(line);
    if (this.#loggedBytes >= this.#maxLoggedBytes) {
      this.#onLine(
        `${this.#streamName} passed ${formatLimit(this.#maxLoggedBytes)}; later lines are counted, not logged (the last ${this.#maxLines} are kept for error messages)`,
      );
    }
  }
}

/** "1 MB", "0.5 MB" (MiB, as the limits are set); small limits in bytes. */
function formatLimit(bytes: number): string {
  const megabytes = Number((bytes / (1024 * 1024)).toFixed(2));
  return megabytes > 0 ? `${megabytes} MB` : `${bytes} bytes`;
}
