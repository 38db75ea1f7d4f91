/**
 * Starting a toolbox the way a task does (resilience.md "Tools"): a server that fails to
 * start gets two more attempts, 5 s and then 15 s later, before the task fails.
 */
import { TaskflowError, isTaskflowError } from '../errors.js';
import { systemClock } from '../resilience/clock.js';
import { connectToolbox, isPermanentStartFailure } from './connect-toolbox.js';
import { formatSpacedSeconds } from './toolbox-connection.js';
import type { McpToolboxConnection } from './toolbox-connection.js';
import type { ConnectOptions, ResolvedToolbox, StartRetryOptions } from './types.js';

/** Waits before the 2nd and 3rd start attempt. */
export const DEFAULT_START_RETRY_DELAYS_MS: readonly number[] = [5000, 15_000];

/**
 * `connectToolbox`, retried after each of `startRetryDelaysMs` on a 'toolbox-start' failure
 * that another attempt could fix (not a missing command or a refused URL, see
 * `isPermanentStartFailure`). The waits use `clock` and end at once when `signal` aborts.
 *
 * @throws TaskflowError 'toolbox-start': the last attempt's message, with "(N attempts)"
 *   after the head when more than one was made
 * @throws TaskflowError 'cancelled' when `signal` aborts (during an attempt or a wait)
 */
export async function connectToolboxWithRetries(
  toolbox: ResolvedToolbox,
  options: ConnectOptions & StartRetryOptions = {},
): Promise<McpToolboxConnection> {
  const delaysMs = options.startRetryDelaysMs ?? DEFAULT_START_RETRY_DELAYS_MS;
  const clock = options.clock ?? systemClock;
  const attempts = delaysMs.length + 1;
  const { signal, logger } = options;
  const connectOptions: ConnectOptions = {
    ...(signal && { signal }),
    ...(logger && { logger }),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectToolbox(toolbox, connectOptions);
    } catch (error) {
      if (!isTaskflowError(error) || error.code !== 'toolbox-start') throw error;
      if (attempt >= attempts || isPermanentStartFailure(error)) {
        throw attempt === 1 ? error : withAttemptCount(error, attempt);
      }
      const delayMs = delaysMs[attempt - 1] ?? 0;
      const notice = `${error.message} — attempt ${attempt} of ${attempts}; retrying in ${formatSpacedSeconds(delayMs)}`;
      logger?.(`[${toolbox.name}] ${notice}`);
      options.onWarning?.(notice);
      try {
        await clock.sleep(delayMs, signal ? { signal } : {});
      } catch (sleepError) {
        throw new TaskflowError('cancelled', `toolbox "${toolbox.name}" start was cancelled`, {
          toolbox: toolbox.name,
          cause: sleepError,
        });
      }
    }
  }
}

/** `toolbox "x" failed to start within 1s: ...` -> `... within 1s (3 attempts): ...`. */
function withAttemptCount(error: TaskflowError, attempts: number): TaskflowError {
  const head = /^toolbox "[^"]*" failed to start(?: within [\d.]+s)?/.exec(error.message)?.[0];
  const message =
    head === undefined
      ? `${error.message} (${attempts} attempts)`
      : `${head} (${attempts} attempts)${error.message.slice(head.length)}`;
  return new TaskflowError('toolbox-start', message, {
    cause: error,
    ...(error.toolbox !== undefined && { toolbox: error.toolbox }),
    ...(error.status !== undefined && { status: error.status }),
    details: error.details,
  });
}
