import fs from 'node:fs';
import path from 'node:path';

export interface RotatingLogFileOptions {
  /** A file is rotated before it would grow past this (also in the middle of a run). */
  readonly maxBytes: number;
  /**
   * Files kept, the current one included: the log takes at most keepFiles × maxBytes
   * (a single line longer than maxBytes gets a file of its own; callers cut long lines).
   */
  readonly keepFiles: number;
  /** Bytes the file may have waiting to be written before lines are dropped. */
  readonly maxPendingBytes: number;
  /** How the file's own warning line (dropped lines) is written, newline included. */
  readonly formatWarning?: (message: string) => string;
}

/** Folders 0700, files 0600: the log quotes prompts, tool output and server diagnostics. */
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * An append-only log file with a bounded footprint: on disk, rotation (`name` → `name.1` →
 * … → `name.<keepFiles-1>`, the oldest deleted) whenever the current file would pass
 * `maxBytes`; in memory, lines are dropped while more than `maxPendingBytes` wait for the
 * disk, and a marker line counts them once writing resumes (or at close). Never throws.
 */
export class RotatingLogFile {
  readonly #filePath: string;
  readonly #options: RotatingLogFileOptions;
  #stream: fs.WriteStream | undefined;
  /** Bytes in the current file: what it held when opened plus what was written since. */
  #bytes = 0;
  /** Rotated-away streams still writing their last lines. */
  readonly #retiring = new Set<fs.WriteStream>();
  #droppedLines = 0;
  #droppedBytes = 0;

  private constructor(filePath: string, options: RotatingLogFileOptions) {
    this.#filePath = filePath;
    this.#options = options;
  }

  /**
   * Opens `directory/name` for append (creating the folder), first rotating a file that is
   * already full. Tightens the folder and existing generations to 0700/0600: earlier
   * versions created them readable by everyone. Undefined when the file cannot be opened.
   */
  static open(
    directory: string,
    name: string,
    options: RotatingLogFileOptions,
  ): RotatingLogFile | undefined {
    const file = new RotatingLogFile(path.join(directory, name), options);
    try {
      fs.mkdirSync(directory, { recursive: true, mode: DIRECTORY_MODE });
      tryChmod(directory, DIRECTORY_MODE);
      for (let index = 0; index < options.keepFiles; index++) {
        tryChmod(file.#generation(index), FILE_MODE);
      }
      const size = fileSize(file.#filePath);
      if (size > 0 && size >= options.maxBytes) file.#shiftGenerations();
      file.#openStream();
      return file;
    } catch {
      return undefined;
    }
  }

  /** Appends one complete line (with its newline); dropped and counted when the disk lags. */
  write(line: string): void {
    if (this.#stream === undefined) return;
    const size = Buffer.byteLength(line);
    const pending = this.#pendingBytes();
    // Once dropping, resume only when half the backlog is written: no marker per line.
    const limit =
      this.#droppedLines > 0 ? this.#options.maxPendingBytes / 2 : this.#options.maxPendingBytes;
    if (pending + size > limit) {
      this.#droppedLines += 1;
      this.#droppedBytes += size;
      return;
    }
    this.#writeDroppedMarker();
    this.#append(line, size);
  }

  /** Writes a pending drop marker, ends every stream; resolves when flushed or after `timeoutMs`. */
  close(timeoutMs: number): Promise<void> {
    this.#writeDroppedMarker();
    const stream = this.#stream;
    this.#stream = undefined;
    const streams = [...this.#retiring, ...(stream ? [stream] : [])];
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void Promise.all(streams.map(endStream)).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #append(line: string, size: number): void {
    if (this.#bytes > 0 && this.#bytes + size > this.#options.maxBytes) this.#rotate();
    this.#stream?.write(line);
    this.#bytes += size;
  }

  #writeDroppedMarker(): void {
    if (this.#droppedLines === 0 || this.#stream === undefined) return;
    const message = `taskflow: ${this.#droppedLines} log lines (${this.#droppedBytes} bytes) were dropped: the log file could not keep up`;
    const marker =
      this.#options.formatWarning?.(message) ?? `${new Date().toISOString()} warn ${message}\n`;
    this.#droppedLines = 0;
    this.#droppedBytes = 0;
    this.#append(marker, Buffer.byteLength(marker));
  }

  /**
   * Renames the generations while the current stream is still open: its unwritten lines
   * land in `name.1` (the descriptor follows the rename), new lines in a fresh `name`.
   */
  #rotate(): void {
    const old = this.#stream;
    try {
      this.#shiftGenerations();
    } catch {
      // Cannot rename (another process, a read-only folder): stop writing rather than grow.
      this.#stream = undefined;
      if (old) void this.#retire(old);
      return;
    }
    if (old) void this.#retire(old);
    try {
      this.#openStream();
    } catch {
      this.#stream = undefined;
    }
  }

  #shiftGenerations(): void {
    const keep = Math.max(1, this.#options.keepFiles);
    if (keep === 1) {
      fs.rmSync(this.#filePath, { force: true });
      return;
    }
    for (let index = keep - 1; index >= 1; index--) {
      const from = this.#generation(index - 1);
      if (fs.existsSync(from)) fs.renameSync(from, this.#generation(index));
    }
  }

  #openStream(): void {
    // Opened synchronously: a stream that opened its path later could find it already
    // rotated away and write beside the next generation into the same file.
    const descriptor = fs.openSync(this.#filePath, 'a', FILE_MODE);
    const stream = fs.createWriteStream('', { fd: descriptor });
    stream.on('error', () => {
      if (this.#stream === stream) this.#stream = undefined;
    });
    this.#stream = stream;
    this.#bytes = fileSize(this.#filePath);
  }

  async #retire(stream: fs.WriteStream): Promise<void> {
    this.#retiring.add(stream);
    await endStream(stream);
    this.#retiring.delete(stream);
  }

  #pendingBytes(): number {
    let pending = this.#stream?.writableLength ?? 0;
    for (const stream of this.#retiring) pending += stream.writableLength;
    return pending;
  }

  #generation(index: number): string {
    return index === 0 ? this.#filePath : `${this.#filePath}.${index}`;
  }
}

function endStream(stream: fs.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed || stream.destroyed) return resolve();
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
    if (!stream.writableEnded) stream.end();
  });
}

function fileSize(filePath: string): number {
  try {
    return fs.statSync(filePath).size;
  } catch {
    return 0;
  }
}

function tryChmod(filePath: string, mode: number): void {
  try {
    fs.chmodSync(filePath, mode);
  } catch {
    // a missing generation is fine
  }
}
