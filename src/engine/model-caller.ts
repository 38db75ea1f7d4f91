import type { ModelCaller } from '../agent/types.js';
import { emitEvent, type EventSink } from '../events.js';
import type { ModelClient } from '../model/types.js';
import { BreakerRegistry } from '../resilience/breaker.js';
import { systemClock, type Clock } from '../resilience/clock.js';
import { GateRegistry } from '../resilience/gate.js';
import { systemRandom, type Random } from '../resilience/random.js';
import type { RequestCounters } from '../resilience/request-policy.js';
import { runModelRequest } from '../resilience/request-runner.js';
import type { ResilienceOverrides } from '../resilience/resilience-settings.js';
import type { RunRecorder } from './run-recorder.js';

/** Shared by every request of a run: gates per (endpoint, model), breakers per endpoint. */
export interface ResilienceRuntime {
  readonly gates: GateRegistry;
  readonly breakers: BreakerRegistry;
  readonly clock: Clock;
  readonly random: Random;
}

export function createResilienceRuntime(
  clock: Clock = systemClock,
  random: Random = systemRandom,
): ResilienceRuntime {
  return {
    gates: new GateRegistry({ clock }),
    breakers: new BreakerRegistry({ clock }),
    clock,
    random,
  };
}

export interface ModelCallerOptions {
  readonly client: ModelClient;
  readonly onEvent: EventSink;
  readonly runtime: ResilienceRuntime;
  /** The configured concurrency (async_limit): the gate's ceiling for AIMD. */
  readonly concurrencyLimit: number;
  readonly overrides?: ResilienceOverrides;
  /** Per-task accounting (attempts, retries by class, waiting time). */
  readonly counters?: RequestCounters;
  /** Persists attempt counts so resumes cannot reset them. */
  readonly recorder?: RunRecorder;
}

/**
 * The function agents use to send a logical model request. This is the one place where
 * retries happen (resilience.md "One owner per failure"): the gate, the breaker, the
 * attempt budget across resumes and re-asks of the same request key, and the
 * `model-request-start` / `model-retry` events.
 */
export function createModelCaller(options: ModelCallerOptions): ModelCaller {
  const { client, runtime, onEvent } = options;
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
    return runModelRequest(
      (_attempt, signal) =>
        client.complete(request, {
          ...(signal && { signal }),
          ...(callOptions.onTextDelta && { onTextDelta: callOptions.onTextDelta }),
        }),
      {
        key: requestKey,
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
