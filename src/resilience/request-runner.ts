/**
 * One logical model request end to end: pacer -> gate -> breaker -> send -> record ->
 * retry/stop. The engine supplies `send` (one classified attempt) and the shared pacer,
 * gate and breaker.
 */
import { TaskflowError } from '../errors.js';
import type { ErrorClass } from '../model/model-error.js';
import type { BreakerPermit, Breaker } from './breaker.js';
import { systemClock, type Clock } from './clock.js';
import type { GatePermit, RateLimitGate } from './gate.js';
import type { PacerDemand } from './pacer-budget.js';
import type { PacerAnswer, RateLimitKind } from './pacer-headers.js';
import type { Pacer, PacerOutcome, PacerPermit, PacerWait } from './pacer.js';
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

/** The pacer in front of the gate (scale-out.md "Pacing"), and how answers reach it. */
export interface RequestPacing<T> {
  readonly pacer: Pacer;
  /** What every attempt of the request asks of the budget. */
  readonly demand: PacerDemand;
  /** An attempt has to wait for the budget; called once per attempt that waits. */
  readonly onWait?: (wait: PacerWait) => void;
  /** Tokens the server counted for a result, when it reported them. */
  readonly usageOf?: (result: T) => { inputTokens: number; outputTokens: number } | undefined;
  /** The HTTP answer behind a failed attempt (status, headers, the API's message and code). */
  readonly answerOf?: (error: unknown) => PacerAnswer | undefined;
}

/** What `send` tells the pacer about its HTTP exchange as it happens. */
export interface AttemptObserver {
  /** The request leaves now (later than when `send` was called, when known). */
  sent(): void;
  /**
   * Status and headers arrived. Only answers below 400 are taken here; a failed one is
   * read from its error, body included (`RequestPacing.answerOf`).
   */
  answered(answer: PacerAnswer): void;
}

export interface ModelRequestContext<T = unknown> {
  /** Logical request id (as journaled); named in messages. */
  readonly key: string;
  /** Attempts made by earlier runs (restored from the journal on resume); default 0. */
  readonly previousAttempts?: number;
  /** Base URL, named in messages. */
  readonly endpoint?: string;
  /** Shared pacer of (endpoint, model, credential): waits for the budget before the gate. */
  readonly pacing?: RequestPacing<T>;
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
  send: (attempt: number, signal: AbortSignal | undefined, observer: AttemptObserver) => Promise<T>,
  context: ModelRequestContext<T>,
): Promise<T> {
  const clock = context.clock ?? systemClock;
  const settings = resolveResilienceSettings(context.overrides);
  const previousAttempts = context.previousAttempts ?? 0;
  const counters = context.counters ?? createRequestCounters();
  const { pacing, gate, breaker, signal } = context;
  /** 429s whose limit the pacer read and adapted its budget to: the gate leaves them alone. */
  const pacerAdapted = new WeakSet<object>();
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
    pacerAdapted: (error) => typeof error === 'object' && error !== null && pacerAdapted.has(error),
  });

  const attemptOnce = async (attempt: number, attemptSignal: AbortSignal | undefined) => {
    const waitOptions = attemptSignal === undefined ? {} : { signal: attemptSignal };
    const permit = await pacing?.pacer.acquire(pacing.demand, {
      ...waitOptions,
      ...(pacing.onWait !== undefined && { onWait: pacing.onWait }),
    });
    if (permit !== undefined) counters.pacedMs += permit.waitedMs;
    const queuedFrom = clock.now();
    let gatePermit: GatePermit | undefined;
    let breakerPermit: BreakerPermit | undefined;
    try {
      gatePermit = await gate?.acquire(waitOptions);
      breakerPermit = await breaker?.acquire(waitOptions);
    } catch (error) {
      gatePermit?.release();
      await settleQuietly(permit, { sent: false });
      throw error;
    }
    counters.queuedMs += clock.now() - queuedFrom;
    counters.attempts += 1;
    permit?.markSent();
    const observer: AttemptObserver = {
      sent: () => permit?.markSent(),
      answered: (answer) => {
        if (permit === undefined || (answer.status ?? 0) >= 400) return;
        // Learning from headers must never fail the request that carried them.
        permit.observe(answer).catch(() => undefined);
      },
    };
    try {
      context.onAttemptStart?.(attempt);
      const result = await send(attempt, attemptSignal, observer);
      const usage = pacing?.usageOf?.(result);
      await settleQuietly(permit, {
        sent: true,
        answer: { status: 200 },
        ...(usage !== undefined && { usage }),
      });
      gate?.recordSuccess();
      breakerPermit?.succeeded();
      return result;
    } catch (error) {
      const errorClass = classificationOf(error)?.errorClass;
      const kind = await settleFailed(permit, pacing?.answerOf?.(error));
      const adapted = kind === 'requests' || kind === 'tokens' || kind === 'concurrency';
      if (adapted && typeof error === 'object' && error !== null) {
        pacerAdapted.add(error);
      } else if (errorClass === 'rate-limited' && gatePermit !== undefined) {
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

/** Ends a permit; a store that fails here costs a slot's accounting, not the request. */
async function settleQuietly(
  permit: PacerPermit | undefined,
  outcome: PacerOutcome,
): Promise<void> {
  try {
    await permit?.settle(outcome);
  } catch {
    // The next `acquire` meets the store's failure and reports it.
  }
}

/** Ends the permit of a failed attempt; resolves with the kind of limit a 429 hit. */
async function settleFailed(
  permit: PacerPermit | undefined,
  answer: PacerAnswer | undefined,
): Promise<RateLimitKind | undefined> {
  if (permit === undefined) return undefined;
  let kind: RateLimitKind | undefined;
  try {
    if (answer !== undefined) kind = (await permit.observe(answer))?.kind;
  } catch {
    // As in settleQuietly.
  }
  await settleQuietly(permit, answer === undefined ? { sent: true } : { sent: true, answer });
  return kind;
}
