/**
 * The tool executor's part of resilience.md "Tools": a connection that re-executes a call
 * after a timeout or a server stop only when the server marks the tool read-only or
 * idempotent, restarts a server we launched when it stops (at most `maxRestarts` times per
 * task), and with `reconnecting` runs every call on a fresh stdio server. Callers keep one
 * object for the whole task; the process behind it is replaced transparently.
 */
import { TaskflowError, errorMessage, isTaskflowError } from '../errors.js';
import { raceAbort } from './settle-within.js';
import {
  isRerunnable,
  outcomeUnknown,
  timeoutAfterPolicy,
  tooManyStops,
  toolsChanged,
} from './tool-failure-messages.js';
import type { McpToolboxConnection } from './toolbox-connection.js';
import type {
  CloseOptions,
  ToolCallOptions,
  ToolCallOutcome,
  ToolInfo,
  ToolboxConnection,
} from './types.js';

/** Restarts of a stopped server per task (resilience.md). */
export const DEFAULT_MAX_RESTARTS = 2;
/** How long the output of a stopped server may take to end, for a complete stderr tail. */
const STOPPED_OUTPUT_WAIT_MS = 200;

export interface ResilientConnectionOptions {
  /** Starts a fresh connection to the same toolbox (with the task's start retries). */
  readonly start: (signal: AbortSignal) => Promise<McpToolboxConnection>;
  /** Default 2: the third stop fails the task. */
  readonly maxRestarts?: number;
  /** seclab `reconnecting`: every call gets its own server, closed after the call. */
  readonly perCall?: boolean;
  readonly logger?: (line: string) => void;
  readonly onWarning?: (message: string) => void;
}

interface PendingRestart {
  readonly from: McpToolboxConnection;
  readonly done: Promise<void>;
}

export class ResilientToolboxConnection implements ToolboxConnection {
  readonly name: string;
  /** The tools at task start; a restarted server must offer the same. */
  readonly tools: readonly ToolInfo[];
  readonly #options: ResilientConnectionOptions;
  readonly #maxRestarts: number;
  /** The shared server; undefined in per-call mode. */
  #current: McpToolboxConnection | undefined;
  /** Per-call servers in use, and every close still running. */
  readonly #perCall = new Set<McpToolboxConnection>();
  readonly #closes = new Set<Promise<void>>();
  #restart: PendingRestart | undefined;
  #stops = 0;
  #fatal: TaskflowError | undefined;
  #lastTail: string[] = [];
  readonly #lifetime = new AbortController();
  #closing: Promise<void> | undefined;

  /** Takes ownership of `initial`; in per-call mode it is closed at once (tools are known). */
  constructor(initial: McpToolboxConnection, options: ResilientConnectionOptions) {
    this.name = initial.name;
    this.tools = initial.tools;
    this.#options = options;
    this.#maxRestarts = options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    if (options.perCall === true) this.#track(initial.close());
    else this.#current = initial;
  }

  readonly stderrTail = (): string[] => {
    const tail = this.#current?.stderrTail() ?? [];
    return tail.length > 0 ? tail : this.#lastTail;
  };

  /** Servers that stopped during the task so far (each restart costs one). */
  get stops(): number {
    return this.#stops;
  }

  async callTool(
    tool: string,
    args: Record<string, unknown>,
    options: ToolCallOptions = {},
  ): Promise<ToolCallOutcome> {
    const rerunnable = isRerunnable(this.tools.find((info) => info.name === tool)?.annotations);
    let reExecuted = false;
    for (;;) {
      const connection = await this.#acquire(tool, options.signal);
      try {
        return await connection.callTool(tool, args, options);
      } catch (error) {
        if (!isTaskflowError(error) || this.#closing !== undefined) throw error;
        if (error.code === 'tool-timeout') {
          if (rerunnable && !reExecuted) {
            reExecuted = true;
            this.#log(`tool "${tool}" timed out; re-executing it once (read-only or idempotent)`);
            continue;
          }
          throw timeoutAfterPolicy(error, rerunnable);
        }
        if (error.code !== 'toolbox-closed') throw error;
        const next = !connection.launched ? 'none' : this.#current ? 'restarted' : 'per-call';
        if (next !== 'none') await this.#recover(connection, options.signal);
        if (next !== 'none' && rerunnable && !reExecuted) {
          reExecuted = true;
          this.#log(
            `re-executing tool "${tool}" after the server stopped (read-only or idempotent)`,
          );
          continue;
        }
        throw outcomeUnknown({
          toolbox: this.name,
          exit: connection.describeExit(),
          error,
          reExecuted,
          next,
          rerunnable,
        });
      } finally {
        if (this.#perCall.delete(connection)) this.#track(connection.close());
      }
    }
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(options: CloseOptions): Promise<void> {
    this.#lifetime.abort(new TaskflowError('toolbox-closed', `toolbox "${this.name}" is closed`));
    const open = [...this.#perCall, ...(this.#current ? [this.#current] : [])];
    this.#perCall.clear();
    await Promise.all(open.map((connection) => connection.close(options)));
    await this.#restart?.done.catch(() => undefined);
    // A restart that finished during the close left its server in #current.
    await this.#current?.close(options);
    while (this.#closes.size > 0) await Promise.all([...this.#closes]);
  }

  /** The connection a call goes to: the shared server (replaced if it stopped), or a new one. */
  async #acquire(tool: string, signal: AbortSignal | undefined): Promise<McpToolboxConnection> {
    if (this.#fatal) throw this.#fatal;
    if (this.#closing !== undefined) {
      throw new TaskflowError(
        'toolbox-closed',
        `toolbox "${this.name}" is closed; tool "${tool}" was not called`,
        { toolbox: this.name },
      );
    }
    if (signal?.aborted) {
      throw new TaskflowError('cancelled', `toolbox "${this.name}": tool "${tool}" was cancelled`, {
        toolbox: this.name,
        cause: signal.reason,
      });
    }
    if (this.#current === undefined) {
      let connection = await this.#startFresh(signal);
      // A server that died before the call counts as a stop, and the call is still unsent.
      while (connection.lost) {
        this.#track(connection.close());
        await this.#countStop(connection);
        connection = await this.#startFresh(signal);
      }
      this.#perCall.add(connection);
      return connection;
    }
    // A server that stopped between calls is replaced before the call is sent.
    for (let current = this.#current; current.lost; current = this.#current) {
      if (!current.launched) {
        throw new TaskflowError(
          'toolbox-closed',
          `toolbox "${this.name}" lost its connection; tool "${tool}" was not called`,
          { toolbox: this.name },
        );
      }
      await this.#recover(current, signal);
    }
    return this.#current;
  }

  /** A per-call server, abortable by the caller and by close(). */
  async #startFresh(signal: AbortSignal | undefined): Promise<McpToolboxConnection> {
    const starting = this.#options.start(this.#lifetime.signal);
    try {
      const connection = await (signal ? raceAbort(starting, signal) : starting);
      const changed = toolsChanged(this.name, this.tools, connection.tools);
      if (changed) {
        this.#track(connection.close());
        throw this.#fail(changed);
      }
      return connection;
    } catch (error) {
      // A start abandoned by its caller still owns a server once it finishes.
      void starting.then(
        (connection) => (signal?.aborted ? this.#track(connection.close()) : undefined),
        () => undefined,
      );
      throw this.#startError(error, signal);
    }
  }

  /**
   * Counts the stop of `lost` once however many calls saw it; in shared mode replaces the
   * server (one restart for all waiting callers).
   *
   * @throws the task-failing error when the budget is spent or the restart failed
   */
  async #recover(lost: McpToolboxConnection, signal: AbortSignal | undefined): Promise<void> {
    if (this.#current === undefined) {
      await this.#countStop(lost);
      return;
    }
    if (this.#restart?.from !== lost && this.#current === lost) {
      this.#restart = { from: lost, done: this.#restartAfter(lost) };
    }
    if (this.#restart?.from !== lost) return;
    const done = this.#restart.done;
    await (signal ? raceAbort(done, signal) : done).catch((error: unknown) => {
      throw this.#startError(error, signal);
    });
  }

  async #restartAfter(lost: McpToolboxConnection): Promise<void> {
    await this.#countStop(lost);
    this.#track(lost.close({ graceMs: 0 }));
    const exit = lost.describeExit();
    this.#warn(
      `toolbox "${this.name}" stopped${exit === '' ? '' : ` (${exit})`}; restarting it (restart ${this.#stops} of ${this.#maxRestarts})`,
    );
    let next: McpToolboxConnection;
    try {
      next = await this.#options.start(this.#lifetime.signal);
    } catch (error) {
      if (this.#closing !== undefined) throw error;
      const message = isTaskflowError(error) ? error.message : errorMessage(error);
      throw this.#fail(
        new TaskflowError(
          'toolbox-start',
          `toolbox "${this.name}" stopped during the task and could not be restarted: ${message}`,
          { toolbox: this.name, cause: error },
        ),
      );
    }
    const changed = toolsChanged(this.name, this.tools, next.tools);
    if (changed || this.#closing !== undefined) {
      await next.close();
      if (changed) throw this.#fail(changed);
      return;
    }
    this.#current = next;
  }

  async #countStop(lost: McpToolboxConnection): Promise<void> {
    this.#stops += 1;
    await lost.outputDrained(STOPPED_OUTPUT_WAIT_MS);
    this.#lastTail = lost.stderrTail();
    if (this.#stops <= this.#maxRestarts) return;
    const error = tooManyStops(
      this.name,
      this.#stops,
      this.#maxRestarts,
      lost.describeExit(),
      this.#lastTail,
    );
    throw this.#fail(error);
  }

  /** Remembers the first task-failing error: every later call fails with it too. */
  #fail(error: TaskflowError): TaskflowError {
    this.#fatal ??= error;
    return this.#fatal;
  }

  /** The caller's own cancellation reads as cancelled, not as a start failure. */
  #startError(error: unknown, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted !== true) return error;
    return new TaskflowError('cancelled', `toolbox "${this.name}" call was cancelled`, {
      toolbox: this.name,
      cause: error,
    });
  }

  #track(closing: Promise<void>): void {
    this.#closes.add(closing);
    void closing.finally(() => this.#closes.delete(closing));
  }

  #log(message: string): void {
    this.#options.logger?.(`[${this.name}] ${message}`);
  }

  #warn(message: string): void {
    this.#options.logger?.(`[${this.name}] ${message}`);
    this.#options.onWarning?.(message);
  }
}
