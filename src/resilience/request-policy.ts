/**
 * The business decisions for one logical model request (resilience.md "Classification",
 * "Waits"), read from the `ModelError.classification` made at the model boundary.
 */
import { TaskflowError, assertNever, errorMessage } from '../errors.js';
import type { ErrorClass, ErrorClassification } from '../model/model-error.js';
import type { Clock } from './clock.js';
import {
  LOCAL_REFUSED_MAX_ATTEMPTS,
  MAX_HONOURED_HINT_MS,
  hintDelay,
  honouredHint,
  rateLimitBackoff,
  transientBackoff,
  type HonouredHint,
} from './delays.js';
import type { Random } from './random.js';
import { ResumableStop } from './resumable-stop.js';
import type { DelaySource, RetryDecision, RetryInfo, RetryPolicy } from './retry.js';
import type { ResilienceSettings } from './resilience-settings.js';

export type Ladder = 'transient' | 'rate-limit';

/** The ladder a class retries on; undefined for classes that never retry here. */
export function ladderOf(errorClass: ErrorClass): Ladder | undefined {
  switch (errorClass) {
    case 'rate-limited':
      return 'rate-limit';
    case 'server':
    case 'transient-http':
    case 'network':
    case 'timeout':
    case 'stream-stalled':
    case 'stream-interrupted':
      return 'transient';
    case 'cancelled':
    case 'quota':
    case 'server-said-no':
    case 'auth':
    case 'config':
    case 'context-overflow':
    case 'bad-request':
    case 'content-filtered':
    case 'unknown':
      return undefined;
    default:
      return assertNever(errorClass, 'error class');
  }
}

/** The classification of a `ModelError` (read structurally: no value import from model/). */
export function classificationOf(error: unknown): ErrorClassification | undefined {
  if (!(error instanceof TaskflowError)) return undefined;
  const classification = (error as { classification?: Partial<ErrorClassification> })
    .classification;
  if (typeof classification?.errorClass !== 'string') return undefined;
  return classification as ErrorClassification;
}

/** What a `model-retry` event reports. */
export interface ModelRetryInfo {
  readonly errorClass: ErrorClass;
  readonly status: number | null;
  /** The attempt that failed, counted across resumes. */
  readonly attempt: number;
  /**
   * The attempt cap of the logical request (`maxAttempts`), the same on every notice so
   * `attempt/maxAttempts` only ever climbs; a ladder, the breaker or a stop may end the
   * request sooner, never later.
   */
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly delaySource: DelaySource;
  readonly message: string;
  /** The cause in a few words, as the model boundary gave it (`connection reset (ECONNRESET)`). */
  readonly reason?: string;
}

/** Accounting of one task's requests; the policy adds to it as it goes. */
export interface RequestCounters {
  attempts: number;
  retries: number;
  retriesByClass: Partial<Record<ErrorClass, number>>;
  /** Decided retry waits (backoff and hints). */
  waitMs: number;
  /** Time spent waiting for the rate-limit gate and the breaker. */
  queuedMs: number;
  /** Time spent waiting for the pacer's budget (before the gate). */
  pacedMs: number;
}

export function createRequestCounters(): RequestCounters {
  return { attempts: 0, retries: 0, retriesByClass: {}, waitMs: 0, queuedMs: 0, pacedMs: 0 };
}

export interface RequestPolicyOptions {
  readonly settings: ResilienceSettings;
  readonly clock: Clock;
  readonly random: Random;
  /** Named in messages. */
  readonly endpoint?: string;
  /** Rate-limit escalation and closure of the shared gate. */
  readonly gate?: { readonly consecutive429s: number; closeFor(ms: number): void };
  /** Whether the endpoint's breaker is open, and how long until it lets a probe through. */
  readonly breaker?: { probeWaitMs(): number | undefined };
  readonly counters?: RequestCounters;
  readonly onRetry?: (info: ModelRetryInfo) => void;
  /**
   * Whether the pacer read which limit a 429 hit (requests, tokens, concurrency) and has
   * adapted its budget to it: then the shared gate neither closes nor counts it, and the
   * backoff escalates on this request's own 429s only.
   */
  readonly pacerAdapted?: (error: unknown) => boolean;
}

/** Hint sources map onto the event's vocabulary; a hint read from the message is a retry-after. */
function sourceOf(classification: ErrorClassification): DelaySource {
  const source = classification.hintSource;
  return source === undefined || source === 'message' ? 'retry-after' : source;
}

/** The short cause a classified error carries (read structurally, like the classification). */
function reasonOf(error: unknown): string | undefined {
  const reason = (error as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

/** A hint as told to the user; a capped one never prints its absurd value. */
function hintText(hint: HonouredHint): string {
  if (!hint.capped) return seconds(hint.ms);
  const days = Math.round(MAX_HONOURED_HINT_MS / 86_400_000);
  return `more than ${days} days (taken as ${days} days)`;
}

/**
 * A `RetryPolicy` for one logical request. Attempt numbers are absolute (they continue
 * the count of earlier runs). Stops: non-retryable classes rethrow as they are; quota
 * rethrows (code `quota`), or with a known reset becomes a `ResumableStop`; a loopback
 * `ECONNREFUSED` twice becomes a `config` error; the overall attempt cap and an exhausted
 * transient ladder rethrow the last error, except that an exhausted ladder keeps waiting
 * while the endpoint's breaker is open; an exhausted rate-limit ladder, a hint above
 * `maxInlineWaitMs` and a wait past the budget become `ResumableStop`s.
 *
 * Server hints are read through `honouredHint`: NaN is no hint, a negative one is 0, one
 * above `MAX_HONOURED_HINT_MS` (7 days) counts as 7 days, so every `resumeNotBefore` is a
 * valid date. An exhausted rate-limit ladder stops with `resumeNotBefore` = now + the wait
 * the ladder would take next (the hint, else the backoff at the current escalation).
 */
export class RequestPolicy implements RetryPolicy {
  readonly #options: RequestPolicyOptions;
  readonly #counters: RequestCounters;
  readonly #ladderFailures: Record<Ladder, number> = { transient: 0, 'rate-limit': 0 };
  #refusals = 0;
  #waitedMs = 0;

  constructor(options: RequestPolicyOptions) {
    this.#options = options;
    this.#counters = options.counters ?? createRequestCounters();
  }

  get counters(): RequestCounters {
    return this.#counters;
  }

  decide(error: unknown, attempt: number): RetryDecision {
    const classification = classificationOf(error);
    if (classification === undefined) return { retry: false };
    const { settings, clock } = this.#options;
    const { errorClass } = classification;
    const hint = honouredHint(classification.hintMs);
    if (errorClass === 'quota') return this.#quota(error, hint);
    const ladder = ladderOf(errorClass);
    if (ladder === undefined) return { retry: false };
    const failures = (this.#ladderFailures[ladder] += 1);
    if (classification.localRefused === true) {
      this.#refusals += 1;
      if (this.#refusals >= LOCAL_REFUSED_MAX_ATTEMPTS)
        return { retry: false, error: this.#refused(error) };
    }
    if (attempt >= settings.maxAttempts) return { retry: false };
    const probeWaitMs = this.#options.breaker?.probeWaitMs();
    if (failures >= this.#ladderCap(ladder) && probeWaitMs === undefined) {
      if (ladder === 'transient') return { retry: false };
      return { retry: false, error: this.#rateLimitExhausted(error, classification, hint) };
    }
    if (hint !== undefined && hint.ms > settings.maxInlineWaitMs) {
      const reason = ladder === 'rate-limit' ? 'rate-limit' : 'outage';
      const message = `${this.#where()} asks to wait ${hintText(hint)}, longer than the ${seconds(settings.maxInlineWaitMs)} slept in-process`;
      const resumeNotBefore = clock.now() + hint.ms;
      return {
        retry: false,
        error: new ResumableStop(reason, message, { cause: error, resumeNotBefore }),
      };
    }
    let { delayMs, source } = this.#delay(error, classification, hint, ladder, failures);
    if (probeWaitMs !== undefined && probeWaitMs > delayMs) {
      delayMs = probeWaitMs;
      source = 'backoff';
    }
    if (this.#waitedMs + delayMs > settings.maxWaitPerRequestMs) {
      const message = `${this.#where()}: waiting ${seconds(delayMs)} more would exceed the ${seconds(settings.maxWaitPerRequestMs)} waiting budget of one request`;
      const resumeNotBefore = clock.now() + delayMs;
      return {
        retry: false,
        error: new ResumableStop('wait-budget', message, { cause: error, resumeNotBefore }),
      };
    }
    if (ladder === 'rate-limit' && this.#options.pacerAdapted?.(error) !== true) {
      this.#options.gate?.closeFor(delayMs);
    }
    this.#waitedMs += delayMs;
    this.#counters.retries += 1;
    this.#counters.retriesByClass[errorClass] =
      (this.#counters.retriesByClass[errorClass] ?? 0) + 1;
    this.#counters.waitMs += delayMs;
    return { retry: true, delayMs, source };
  }

  onRetry(info: RetryInfo): void {
    const classification = classificationOf(info.error);
    const onRetry = this.#options.onRetry;
    if (classification === undefined || onRetry === undefined) return;
    const reason = reasonOf(info.error);
    onRetry({
      errorClass: classification.errorClass,
      status: classification.status ?? null,
      attempt: info.attempt,
      // One total per request: a per-ladder total jumped (5/6 -> 6/12) when the breaker
      // held a request past its ladder or a failure of another class followed.
      maxAttempts: this.#options.settings.maxAttempts,
      delayMs: info.delayMs,
      delaySource: info.source,
      message: errorMessage(info.error),
      ...(reason !== undefined && { reason }),
    });
  }

  #ladderCap(ladder: Ladder): number {
    const { settings } = this.#options;
    return ladder === 'transient' ? settings.transientMaxAttempts : settings.rateLimitMaxAttempts;
  }

  #delay(
    error: unknown,
    classification: ErrorClassification,
    hint: HonouredHint | undefined,
    ladder: Ladder,
    failures: number,
  ): { delayMs: number; source: DelaySource } {
    const { random, gate } = this.#options;
    if (hint !== undefined) {
      return { delayMs: hintDelay(hint.ms, random), source: sourceOf(classification) };
    }
    if (ladder === 'transient')
      return { delayMs: transientBackoff(failures, random), source: 'backoff' };
    // Escalation is shared through the gate; without one (or for a 429 the pacer adapted
    // to), this request's own 429s count.
    const shared = gate !== undefined && this.#options.pacerAdapted?.(error) !== true;
    const escalation = shared ? Math.max(1, gate.consecutive429s) : failures;
    return { delayMs: rateLimitBackoff(escalation, random), source: 'backoff' };
  }

  #quota(error: unknown, hint: HonouredHint | undefined): RetryDecision {
    if (hint === undefined) return { retry: false };
    const message = `${this.#where()}: quota exhausted; it resets in ${hintText(hint)}`;
    const resumeNotBefore = this.#options.clock.now() + hint.ms;
    return {
      retry: false,
      error: new ResumableStop('quota', message, { cause: error, resumeNotBefore }),
    };
  }

  /**
   * 429s used up the rate-limit ladder: a resumable stop, not a failed task — the limit
   * will lift. Resume is allowed after the wait the ladder would have taken next.
   */
  #rateLimitExhausted(
    error: unknown,
    classification: ErrorClassification,
    hint: HonouredHint | undefined,
  ): ResumableStop {
    const failures = this.#ladderFailures['rate-limit'];
    const { delayMs } = this.#delay(error, classification, hint, 'rate-limit', failures);
    const message = `${this.#where()} kept answering 429 (rate limited): ${failures} attempts, the rate-limit ladder's limit; resume after ${seconds(delayMs)}`;
    const resumeNotBefore = this.#options.clock.now() + delayMs;
    return new ResumableStop('rate-limit', message, { cause: error, resumeNotBefore });
  }

  #refused(error: unknown): TaskflowError {
    const endpoint = this.#options.endpoint ?? 'the local model server';
    return new TaskflowError(
      'config',
      `${endpoint}: connection refused ${LOCAL_REFUSED_MAX_ATTEMPTS} times — is the local server running?`,
      { cause: error },
    );
  }

  #where(): string {
    return this.#options.endpoint ?? 'the model endpoint';
  }
}
