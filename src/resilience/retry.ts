import { abortError, throwIfAborted } from './abort.js';
import type { Clock } from './clock.js';

/** Where a retry wait came from (the `delaySource` of the `model-retry` event). */
export type DelaySource = 'retry-after-ms' | 'retry-after' | 'reset-header' | 'backoff';

/**
 * A policy's verdict on one failure: retry after `delayMs`, or stop and throw `error`
 * (the failure itself when absent).
 */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly source: DelaySource }
  | { readonly retry: false; readonly error?: unknown };

export interface RetryInfo {
  readonly error: unknown;
  /** The attempt that failed. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly source: DelaySource;
}

/** The business decisions the loop delegates; the policy must eventually say stop. */
export interface RetryPolicy {
  decide(error: unknown, attempt: number): RetryDecision;
  /** Called after a decision to retry, before the wait. */
  onRetry?(info: RetryInfo): void;
  /** Awaited before every attempt, the first included. */
  beforeAttempt?(attempt: number, options: { signal?: AbortSignal }): Promise<void>;
}

export interface RetryOptions {
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** Number of the first attempt, for callers continuing an earlier count; default 1. */
  readonly firstAttempt?: number;
}

/**
 * Runs `operation` until it succeeds or `policy` says stop, sleeping the decided delay on
 * `clock` between attempts. Throws the last failure (or the policy's replacement). When
 * `signal` fires — before an attempt, during one or during a wait — it throws
 * `abortError(signal)` and starts no further attempt. Knows nothing about HTTP.
 */
export async function retry<T>(
  operation: (attempt: number, signal: AbortSignal | undefined) => Promise<T>,
  policy: RetryPolicy,
  options: RetryOptions,
): Promise<T> {
  const { clock, signal } = options;
  for (let attempt = options.firstAttempt ?? 1; ; attempt += 1) {
    throwIfAborted(signal);
    await policy.beforeAttempt?.(attempt, signal === undefined ? {} : { signal });
    try {
      return await operation(attempt, signal);
    } catch (error) {
      if (signal?.aborted === true) throw abortError(signal);
      const decision = policy.decide(error, attempt);
      if (!decision.retry) throw decision.error ?? error;
      policy.onRetry?.({ error, attempt, delayMs: decision.delayMs, source: decision.source });
      await clock.sleep(decision.delayMs, signal === undefined ? {} : { signal });
    }
  }
}
