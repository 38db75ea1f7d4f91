/**
 * One logical model request end to end: gate -> breaker -> send -> record -> retry/stop.
 * The engine supplies `send` (one classified attempt) and the shared gate and breaker.
 */
import { TaskflowError } from '../errors.js';
import type { ErrorClass } from '../model/model-error.js';
import type { BreakerPermit, Breaker } from './breaker.js';
import { systemClock, type Clock } from './clock.js';
import type { GatePermit, RateLimitGate } from './gate.js';
import { systemRandom, type Random } from './random.js';
import {
  RequestPolicy,
  classificationOf,
  createRequestCounters,
  ladderOf,
  type ModelRetryInfo,
  type RequestCounters,
} from './request-policy.js';
import { resolveResilienceSettings, type ResilienceOverrides } from './resilience-settings.js';
import { retry } from './retry.js';

export interface ModelRequestContext {
  /** Logical request id (as journaled); named in messages. */
  readonly key: string;
  /** Attempts made by earlier runs (restored from the journal on resume); default 0. */
  readonly previousAttempts?: number;
  /** Base URL, named in messages. */
  readonly endpoint?: string;
  /** Shared gate of (endpoint, model). */
  readonly gate?: RateLimitGate;
  /** Shared breaker of the endpoint. */
  readonly breaker?: Breaker;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly signal?: AbortSignal;
  /** Per-model settings, already validated by `parseResilienceOverrides`. */
  readonly overrides?: ResilienceOverrides;
  /** Accounting to add to (e.g. one per task). */
  readonly counters?: RequestCounters;
  /** An attempt is about to be sent (after the gate and breaker let it through). */
  readonly onAttemptStart?: (attempt: number) => void;
  /** A retry was decided; emit `model-retry`. */
  readonly onRetry?: (info: ModelRetryInfo) => void;
  /**
   * An attempt failed (not called for cancellation); journal `request-attempts` with
   * `attempts`. Awaited before the retry decision.
   */
  readonly onAttemptFailed?: (attempts: number, errorClass: ErrorClass) => void | Promise<void>;
}

/**
 * Runs one logical request with resilience.md's retries. `send` must throw a classified
 * `ModelError` for anything retryable; other errors stop at once. Resolves with `send`'s
 * result; rejects with the last error, a `ResumableStop` (code `stopped`), a `config`
 * error (local server refusing), or `cancelled` when `signal` fires. Throws `model` at
 * once when `previousAttempts` already used up the attempt cap.
 */
export async function runModelRequest<T>(
  send: (attempt: number, signal: AbortSignal | undefined) => Promise<T>,
  context: ModelRequestContext,
): Promise<T> {
  const clock = context.clock ?? systemClock;
  const settings = resolveResilienceSettings(context.overrides);
  const previousAttempts = context.previousAttempts ?? 0;
  const counters = context.counters ?? createRequestCounters();
  const { gate, breaker, signal } = context;
  if (previousAttempts >= settings.maxAttempts) {
    throw new TaskflowError(
      'model',
      `model request ${context.key} already made ${previousAttempts} of ${settings.maxAttempts} attempts in earlier runs`,
    );
  }
  const policy = new RequestPolicy({
    settings,
    clock,
    random: context.random ?? systemRandom,
    counters,
    ...(context.endpoint !== undefined && { endpoint: context.endpoint }),
    ...(gate !== undefined && { gate }),
    ...(breaker !== undefined && { breaker }),
    ...(context.onRetry !== undefined && { onRetry: context.onRetry }),
  });

  const attemptOnce = async (attempt: number, attemptSignal: AbortSignal | undefined) => {
    const waitOptions = attemptSignal === undefined ? {} : { signal: attemptSignal };
    const queuedFrom = clock.now();
    const gatePermit: GatePermit | undefined = await gate?.acquire(waitOptions);
    let breakerPermit: BreakerPermit | undefined;
    try {
      breakerPermit = await breaker?.acquire(waitOptions);
    } catch (error) {
      gatePermit?.release();
      throw error;
    }
    counters.queuedMs += clock.now() - queuedFrom;
    counters.attempts += 1;
    try {
      context.onAttemptStart?.(attempt);
      const result = await send(attempt, attemptSignal);
      gate?.recordSuccess();
      breakerPermit?.succeeded();
      return result;
    } catch (error) {
      const errorClass = classificationOf(error)?.errorClass;
      if (errorClass === 'rate-limited' && gatePermit !== undefined) {
        gate?.recordRateLimit(gatePermit.startedAt);
      }
      if (errorClass !== 'cancelled' && attemptSignal?.aborted !== true) {
        // The endpoint answered unless the failure is a transient one; an unclassified
        // error says nothing about it.
        if (errorClass !== undefined && ladderOf(errorClass) === 'transient')
          breakerPermit?.failed();
        else if (errorClass !== undefined) breakerPermit?.succeeded();
        await context.onAttemptFailed?.(attempt, errorClass ?? 'unknown');
      }
      throw error;
    } finally {
      breakerPermit?.release();
      gatePermit?.release();
    }
  };

  return retry(attemptOnce, policy, {
    clock,
    firstAttempt: previousAttempts + 1,
    ...(signal !== undefined && { signal }),
  });
}
