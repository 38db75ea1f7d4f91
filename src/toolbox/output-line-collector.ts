/**
 * Splits a child's output stream into lines, forwards each to a logger and keeps the last
 * few for error messages. Server output is diagnostics only: it never reaches the terminal.
 */

/** Lines kept for `stderrTail()` and start-failure messages. */
export const OUTPUT_TAIL_LINES = 20;

/** A line longer than this is cut (a server dumping a blob must not grow memory). */
export const MAX_OUTPUT_LINE_CHARS = 2000;

export class OutputLineCollector {
  readonly #tail: string[] = [];
  readonly #maxLines: number;
  readonly #onLine: (line: string) => void;
  #partial = '';

  constructor(onLine: (line: string) => void, maxLines = OUTPUT_TAIL_LINES) {
    this.#onLine = onLine;
    this.#maxLines = maxLines;
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

  /** Emits a trailing line that had no newline (call when the stream ends). */
  flush(): void {
    if (this.#partial === '') return;
    const line = this.#partial;
    this.#partial = '';
    this.#emit(line);
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
    this.#onLine(line);
  }
}
