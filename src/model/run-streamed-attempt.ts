import { AttemptWatchdog } from './attempt-watchdog.js';
import type { Fetch, StopReason, WatchdogTimeouts } from './attempt-watchdog.js';
import { classifyModelError } from './classify-error.js';
import { ModelError } from './model-error.js';
import type { ModelResponse } from './types.js';

/** Collects a streamed reply; `result()` is defined once the reply is complete. */
export interface ReplyCollector {
  /** The reply once its finish reason / terminal event arrived, else `undefined`. */
  result(): ModelResponse | undefined;
}

export interface AttemptSettings {
  readonly endpoint: string;
  readonly model: string;
  readonly tokenVariable: string;
  readonly timeouts: WatchdogTimeouts;
  readonly fetch: Fetch;
  readonly signal?: AbortSignal;
  /** Each HTTP request as it is handed to `fetch`. */
  readonly onRequest?: () => void;
  /** Status and headers of each HTTP answer, as they arrive. */
  readonly onResponse?: (status: number, headers: Headers) => void;
}

/** What the wire-specific code gets: the attempt's signal and a watched `fetch`. */
export interface AttemptIo {
  readonly signal: AbortSignal;
  readonly fetch: Fetch;
}

function seconds(durationMs: number): string {
  return `${Number((durationMs / 1000).toFixed(3))}s`;
}

function stopError(reason: StopReason, settings: AttemptSettings): ModelError {
  const { endpoint, model, timeouts } = settings;
  switch (reason) {
    case 'cancelled':
      return new ModelError(`request to ${endpoint} cancelled (model ${model})`, {
        errorClass: 'cancelled',
        retryable: false,
      });
    case 'timeout':
      return new ModelError(
        `no response headers from ${endpoint} within ${seconds(timeouts.headersMs)} (model ${model})`,
        { errorClass: 'timeout', retryable: true },
      );
    case 'stream-stalled':
      return new ModelError(
        `stream from ${endpoint} stalled: no data for ${seconds(timeouts.idleMs)} (model ${model})`,
        { errorClass: 'stream-stalled', retryable: true },
      );
  }
}

/**
 * Runs one streamed attempt under the watchdogs and turns every outcome into a reply or a
 * classified `ModelError`:
 * - caller abort → `cancelled`, even when the reply had completed;
 * - a complete reply (finish reason seen) is returned even if the teardown then failed or stalled;
 * - a watchdog abort → `timeout` / `stream-stalled`;
 * - a thrown error → `classifyModelError`;
 * - a stream that ended without a finish reason → `stream-interrupted`;
 * - finish reason `content_filter` → `content-filtered` (no retry; the reply is unusable).
 */
export async function runStreamedAttempt(
  settings: AttemptSettings,
  collector: ReplyCollector,
  stream: (io: AttemptIo) => Promise<void>,
): Promise<ModelResponse> {
  const watchdog = new AttemptWatchdog(settings.timeouts, settings.signal);
  let failure: { error: unknown } | undefined;
  try {
    const { onRequest, onResponse } = settings;
    const fetch = watchdog.wrapFetch(settings.fetch, {
      ...(onRequest !== undefined && { onRequest }),
      ...(onResponse !== undefined && { onResponse }),
    });
    await stream({ signal: watchdog.signal, fetch });
  } catch (error) {
    failure = { error };
  } finally {
    watchdog.dispose();
  }
  const { endpoint, model } = settings;
  if (watchdog.stopReason === 'cancelled' || settings.signal?.aborted === true) {
    throw stopError('cancelled', settings);
  }
  const reply = collector.result();
  if (reply !== undefined) {
    if (reply.finishReason !== 'content_filter') return reply;
    throw new ModelError(`content filter stopped the reply from ${endpoint} for model ${model}`, {
      errorClass: 'content-filtered',
      retryable: false,
    });
  }
  if (watchdog.stopReason !== undefined) throw stopError(watchdog.stopReason, settings);
  if (failure !== undefined) {
    throw classifyModelError(failure.error, {
      endpoint,
      model,
      tokenVariable: settings.tokenVariable,
      streamStarted: watchdog.headersReceived,
      ...(settings.signal !== undefined && { signal: settings.signal }),
    });
  }
  throw new ModelError(
    `stream from ${endpoint} ended before the reply was complete (model ${model})`,
    { errorClass: 'stream-interrupted', retryable: true },
  );
}
