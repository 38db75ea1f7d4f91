/**
 * The toolboxes of one task: started in parallel (each with the start retries), all or
 * nothing, kept running through restarts, closed in reverse order.
 */
import { connectToolboxWithRetries } from './connect-toolbox-with-retries.js';
import { ResilientToolboxConnection } from './resilient-toolbox-connection.js';
import type { McpToolboxConnection } from './toolbox-connection.js';
import type {
  CloseOptions,
  ConnectOptions,
  ResolvedToolbox,
  ToolboxConnection,
  ToolboxResilienceOptions,
} from './types.js';

export class ToolboxSet implements AsyncDisposable {
  /** In the order the toolboxes were given. */
  readonly connections: readonly ToolboxConnection[];
  #closing: Promise<void> | undefined;

  constructor(connections: readonly ToolboxConnection[]) {
    this.connections = connections;
  }

  get(name: string): ToolboxConnection | undefined {
    return this.connections.find((connection) => connection.name === name);
  }

  /**
   * Closes the connections one after another in reverse order (a later toolbox may depend
   * on an earlier one). Idempotent, never throws; each close is bounded by its grace.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= closeInReverse(this.connections, options);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts every toolbox in parallel, each retried per `startRetryDelaysMs` (default 5 s, then
 * 15 s). When one fails for good, the starts still running are aborted, the ones that
 * started are closed (reverse order), and the first failure is thrown. The connections are
 * `ResilientToolboxConnection`s sharing one restart budget per toolbox for the task; a
 * `reconnecting` stdio toolbox gets a fresh server per call.
 *
 * @throws the first TaskflowError of `connectToolboxWithRetries` ('toolbox-start' or 'cancelled')
 */
export async function connectToolboxes(
  toolboxes: readonly ResolvedToolbox[],
  options: ConnectOptions & ToolboxResilienceOptions = {},
): Promise<ToolboxSet> {
  const abandon = new AbortController();
  const signal =
    options.signal === undefined
      ? abandon.signal
      : AbortSignal.any([options.signal, abandon.signal]);
  const { logger, onWarning, maxRestarts, startRetryDelaysMs, clock } = options;
  // Restarts happen later in the task: they are not bound to the start's signal.
  const startOptions = {
    ...(logger && { logger }),
    ...(onWarning && { onWarning }),
    ...(startRetryDelaysMs && { startRetryDelaysMs }),
    ...(clock && { clock }),
  };
  const makeResilient = (toolbox: ResolvedToolbox, initial: McpToolboxConnection) =>
    new ResilientToolboxConnection(initial, {
      start: (restartSignal) =>
        connectToolboxWithRetries(toolbox, { ...startOptions, signal: restartSignal }),
      perCall: toolbox.reconnecting === true && toolbox.kind === 'stdio',
      ...(maxRestarts !== undefined && { maxRestarts }),
      ...(logger && { logger }),
      ...(onWarning && { onWarning }),
    });
  let firstError: { error: unknown } | undefined;
  const results = await Promise.allSettled(
    toolboxes.map((toolbox) =>
      connectToolboxWithRetries(toolbox, { ...startOptions, signal }).then(
        (initial) => makeResilient(toolbox, initial),
        (error: unknown) => {
          firstError ??= { error };
          abandon.abort(error);
          throw error;
        },
      ),
    ),
  );
  const connections = results.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  if (firstError !== undefined) {
    await closeInReverse(connections, {});
    throw firstError.error;
  }
  return new ToolboxSet(connections);
}

async function closeInReverse(
  connections: readonly ToolboxConnection[],
  options: CloseOptions,
): Promise<void> {
  for (const connection of [...connections].reverse()) {
    await connection.close(options);
  }
}
