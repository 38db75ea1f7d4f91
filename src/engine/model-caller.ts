import type { ModelCaller } from '../agent/types.js';
import { emitEvent, type EventSink } from '../events.js';
import { answerOfError } from '../model/answer-of-error.js';
import type { ModelTarget } from '../model/resolve-model.js';
import type { ModelClient, ModelRequest, ModelResponse } from '../model/types.js';
import { BreakerRegistry } from '../resilience/breaker.js';
import { systemClock, type Clock } from '../resilience/clock.js';
import { GateRegistry } from '../resilience/gate.js';
import { estimateRequestTokens } from '../resilience/pacer-estimate.js';
import { PacerRegistry } from '../resilience/pacer-registry.js';
import type { PacerStore } from '../resilience/pacer-store.js';
import type { Pacer } from '../resilience/pacer.js';
import { systemRandom, type Random } from '../resilience/random.js';
import {
  declaredRateLimitsFor,
  type RateLimitsFromEnvironment,
} from '../resilience/rate-limits-config.js';
import type { RequestCounters } from '../resilience/request-policy.js';
import { runModelRequest, type RequestPacing } from '../resilience/request-runner.js';
import type { ResilienceOverrides } from '../resilience/resilience-settings.js';
import type { RunRecorder } from './run-recorder.js';

/**
 * Shared by every request of a run: pacers per (endpoint, model, credential), gates per
 * (endpoint, model), breakers per endpoint.
 */
export interface ResilienceRuntime {
  /** Absent: requests are not paced (a replay, or tests of the gate alone). */
  readonly pacers?: PacerRegistry;
  /** `TASKFLOW_RATE_LIMITS`, as the CLI parsed it. */
  readonly rateLimits?: RateLimitsFromEnvironment;
  readonly gates: GateRegistry;
  readonly breakers: BreakerRegistry;
  readonly clock: Clock;
  readonly random: Random;
}

export interface ResilienceRuntimeOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  /** Pace requests (default true); a replay is answered from a cassette and needs none. */
  readonly pacing?: boolean;
  /** Where pacing budgets live; default in memory, for this run. */
  readonly pacerStore?: PacerStore;
  readonly rateLimits?: RateLimitsFromEnvironment;
}

/** The runtime of one run (or one `ask`); create it once so every request shares it. */
export function createResilienceRuntime(options: ResilienceRuntimeOptions = {}): ResilienceRuntime {
  const clock = options.clock ?? systemClock;
  const pacers =
    options.pacing === false
      ? undefined
      : new PacerRegistry({
          clock,
          ...(options.pacerStore !== undefined && { store: options.pacerStore }),
        });
  return {
    ...(pacers !== undefined && { pacers }),
    ...(options.rateLimits !== undefined && { rateLimits: options.rateLimits }),
    gates: new GateRegistry({ clock }),
    breakers: new BreakerRegistry({ clock }),
    clock,
    random: options.random ?? systemRandom,
  };
}

/** What pacing needs of a model target: whose credential, which declared limits. */
export type PacedTarget = Pick<ModelTarget, 'token' | 'logicalName' | 'rateLimits'>;

export interface ModelCallerOptions {
  readonly client: ModelClient;
  readonly onEvent: EventSink;
  readonly runtime: ResilienceRuntime;
  /** The target the client talks to: its requests spend its credential's budget. */
  readonly target?: PacedTarget;
  /** The configured concurrency (async_limit): the ceiling of the gate's and pacer's AIMD. */
  readonly concurrencyLimit: number;
  readonly overrides?: ResilienceOverrides;
  /** Per-task accounting (attempts, retries by class, waiting time). */
  readonly counters?: RequestCounters;
  /** Persists attempt counts so resumes cannot reset them. */
  readonly recorder?: RunRecorder;
}

/** Tokens an answer reports; none when the server reported no usage. */
function reportedUsage(response: ModelResponse): ModelResponse['usage'] | undefined {
  const { inputTokens, outputTokens } = response.usage;
  return inputTokens + outputTokens > 0 ? response.usage : undefined;
}

/**
 * The function agents use to send a logical model request. This is the one place where
 * retries happen (resilience.md "One owner per failure"): the pacer (when the runtime has
 * one and the target is known), the gate, the breaker, the attempt budget across resumes
 * and re-asks of the same request key, and the `rate-limit-wait` / `model-request-start` /
 * `model-retry` events.
 */
export function createModelCaller(options: ModelCallerOptions): ModelCaller {
  const { client, runtime, onEvent, target } = options;
  // One pacer per provider model id this caller sends to, looked up once.
  const pacers = new Map<string, Pacer>();
  const pacerFor = (model: string): Pacer | undefined => {
    if (runtime.pacers === undefined || target === undefined) return undefined;
    let pacer = pacers.get(model);
    if (pacer === undefined) {
      const declared = declaredRateLimitsFor(
        { logicalName: target.logicalName, providerModel: model },
        target.rateLimits,
        runtime.rateLimits,
      );
      pacer = runtime.pacers.get(
        { endpoint: client.endpoint, model, credential: target.token },
        declared,
      );
      pacers.set(model, pacer);
    }
    return pacer;
  };
  const pacingOf = (
    request: ModelRequest,
    location: { taskIndex: number; itemIndex: number },
  ): RequestPacing<ModelResponse> | undefined => {
    const pacer = pacerFor(request.model);
    if (pacer === undefined) return undefined;
    return {
      pacer,
      demand: { ...estimateRequestTokens(request), concurrencyLimit: options.concurrencyLimit },
      onWait: (wait) =>
        emitEvent(onEvent, {
          type: 'rate-limit-wait',
          ...location,
          model: request.model,
          reason: wait.reason,
          delayMs: wait.delayMs ?? null,
          remaining: wait.remaining ?? null,
        }),
      usageOf: reportedUsage,
      answerOf: answerOfError,
    };
  };
  // The last attempt number started per request key in this process: a re-ask under the
  // same key (context repair) continues the count instead of restarting it, whether or
  // not the recorder has seen the failures yet.
  const lastAttempt = new Map<string, number>();
  return (request, callOptions) => {
    const { location, requestKey } = callOptions;
    const previousAttempts = Math.max(
      options.recorder?.previousAttempts(requestKey) ?? 0,
      lastAttempt.get(requestKey) ?? 0,
    );
    const pacing = pacingOf(request, location);
    return runModelRequest(
      (_attempt, signal, observer) =>
        client.complete(request, {
          ...(signal && { signal }),
          ...(callOptions.onTextDelta && { onTextDelta: callOptions.onTextDelta }),
          onRequest: () => observer.sent(),
          onResponse: (status, headers) => observer.answered({ status, headers }),
        }),
      {
        key: requestKey,
        ...(pacing !== undefined && { pacing }),
        previousAttempts,
        endpoint: client.endpoint,
        gate: runtime.gates.get(client.endpoint, request.model, options.concurrencyLimit),
        breaker: runtime.breakers.get(client.endpoint),
        clock: runtime.clock,
        random: runtime.random,
        ...(callOptions.signal && { signal: callOptions.signal }),
        ...(options.overrides && { overrides: options.overrides }),
        ...(options.counters && { counters: options.counters }),
        onAttemptStart: (attempt) => {
          lastAttempt.set(requestKey, attempt);
          emitEvent(onEvent, {
            type: 'model-request-start',
            ...location,
            model: request.model,
            attempt,
          });
        },
        onRetry: (info) =>
          emitEvent(onEvent, {
            type: 'model-retry',
            ...location,
            errorClass: info.errorClass,
            status: info.status,
            attempt: info.attempt,
            maxAttempts: info.maxAttempts,
            delayMs: info.delayMs,
            delaySource: info.delaySource,
            message: info.message,
            ...(info.reason !== undefined && { cause: info.reason }),
          }),
        onAttemptFailed: (attempts, errorClass) =>
          options.recorder?.requestAttempts(requestKey, attempts, {
            taskIndex: location.taskIndex,
            errorClass,
            waitMs: 0,
          }),
      },
    );
  };
}
