import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../sessions/atomic-write.js';

export interface JsonStateFileOptions<T> {
  /** Validates parsed file content; throws (any error) when it is not a valid state. */
  readonly parse: (content: unknown) => T;
  /** The complete file text for a state. */
  readonly serialize: (state: T) => string;
  /** The state when the file does not exist yet. */
  readonly empty: () => T;
  /**
   * Write the empty state when the file is missing, even for a read (seclab's servers create
   * their file on first use, so its existence tells that the server ran). Default false.
   */
  readonly createWhenMissing?: boolean;
}

/**
 * One JSON document on disk, read fresh for every operation (so a restarted server, or
 * another process that ran in between, is seen) and replaced atomically after every change
 * (writeFileAtomic: temp file, fsync, rename). Operations are serialised within the process,
 * so concurrent updates never overwrite each other.
 */
export class JsonStateFile<T> {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly filePath: string,
    private readonly options: JsonStateFileOptions<T>,
  ) {}

  /** The current state. @throws TaskflowError `io` when the file is unreadable or invalid. */
  read(): Promise<T> {
    return this.enqueue(() => this.load());
  }

  /**
   * Applies `change` to the current state. It returns the new state (written to disk) or
   * `undefined` for no change, plus the value to hand back.
   * @throws TaskflowError `io` when the file is invalid or cannot be written; the file is
   * then left as it was.
   */
  update<R>(change: (state: T) => { readonly state?: T; readonly result: R }): Promise<R> {
    return this.enqueue(async () => {
      const outcome = change(await this.load());
      if (outcome.state !== undefined) await this.write(outcome.state);
      return outcome.result;
    });
  }

  private enqueue<R>(operation: () => Promise<R>): Promise<R> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        const empty = this.options.empty();
        if (this.options.createWhenMissing === true) await this.write(empty);
        return empty;
      }
      throw new TaskflowError(
        'io',
        `${this.filePath}: cannot read state file: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    try {
      return this.options.parse(JSON.parse(text));
    } catch (error) {
      throw new TaskflowError(
        'io',
        `${this.filePath}: invalid state file: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  private async write(state: T): Promise<void> {
    try {
      await mkdir(dirname(this.filePath), { recursive: true, mode: 0o700 });
      writeFileAtomic(this.filePath, this.options.serialize(state));
    } catch (error) {
      // writeFileAtomic's message names the file too: report only what went wrong.
      const reason =
        error instanceof TaskflowError && error.cause !== undefined ? error.cause : error;
      throw new TaskflowError(
        'io',
        `${this.filePath}: cannot write state file: ${errorMessage(reason)}`,
        { cause: error },
      );
    }
  }
}
