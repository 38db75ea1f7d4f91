/**
 * Coalesces the writes made to a stream within one event-loop turn into a single write.
 * A fan-out emits thousands of small events; written one by one to a pipe, each is a
 * syscall that also wakes the reader (~8% of the runner's CPU in `bench/fanout.mjs` with
 * jsonl output). Order is preserved; text reaches the stream on the next `setImmediate`,
 * as soon as `maxBufferedChars` is exceeded, or on `flush()`. Only for a stream nothing
 * else writes to (jsonl's stdout): direct writes by others would overtake buffered text.
 */
export class CoalescingWriter {
  readonly #stream: NodeJS.WritableStream;
  readonly #maxBufferedChars: number;
  #chunks: string[] = [];
  #bufferedChars = 0;
  #scheduled: NodeJS.Immediate | undefined;

  constructor(stream: NodeJS.WritableStream, maxBufferedChars = 64 * 1024) {
    this.#stream = stream;
    this.#maxBufferedChars = maxBufferedChars;
  }

  write(text: string): void {
    if (text === '') return;
    this.#chunks.push(text);
    this.#bufferedChars += text.length;
    if (this.#bufferedChars >= this.#maxBufferedChars) this.flush();
    else this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Write everything buffered now (synchronously hands it to the stream). Idempotent. */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    if (this.#chunks.length === 0) return;
    const text = this.#chunks.join('');
    this.#chunks = [];
    this.#bufferedChars = 0;
    this.#stream.write(text);
  }
}
