/**
 * The toolboxes of one task: started in parallel, all or nothing, closed in reverse order.
 */
import { connectToolbox } from './connect-toolbox.js';
import type { CloseOptions, ConnectOptions, ResolvedToolbox, ToolboxConnection } from './types.js';

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
 * Starts every toolbox in parallel. When one fails, the starts still running are aborted,
 * the ones that started are closed (reverse order), and the first failure is thrown.
 *
 * @throws the first TaskflowError of `connectToolbox` ('toolbox-start' or 'cancelled')
 */
export async function connectToolboxes(
  toolboxes: readonly ResolvedToolbox[],
  options: ConnectOptions = {},
): Promise<ToolboxSet> {
  const abandon = new AbortController();
  const signal =
    options.signal === undefined
      ? abandon.signal
      : AbortSignal.any([options.signal, abandon.signal]);
  let firstError: { error: unknown } | undefined;
  const results = await Promise.allSettled(
    toolboxes.map((toolbox) =>
      connectToolbox(toolbox, { ...options, signal }).catch((error: unknown) => {
        firstError ??= { error };
        abandon.abort(error);
        throw error;
      }),
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
