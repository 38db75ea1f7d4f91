import { ModelError, type ErrorClassification } from '../../src/model/model-error.js';
import type { FakeClock } from '../../src/resilience/clock.js';

/** Resilience tests: classified errors and scripted senders on a fake clock. */

export function modelError(
  errorClass: ErrorClassification['errorClass'],
  extra: Partial<ErrorClassification> = {},
): ModelError {
  const retryable = [
    'rate-limited',
    'server',
    'transient-http',
    'network',
    'timeout',
    'stream-stalled',
    'stream-interrupted',
  ].includes(errorClass);
  return new ModelError(`${errorClass} failure`, { errorClass, retryable, ...extra });
}

export const serverError = (status = 503) => modelError('server', { status });
export const rateLimited = (extra: Partial<ErrorClassification> = {}) =>
  modelError('rate-limited', { status: 429, ...extra });

/** A step of a scripted sender: a value to return or an error to throw. */
export type Step<T> = { value: T } | { error: Error };

/**
 * A `send` that plays `steps` in order (the last one repeats) and records the clock time
 * of every attempt.
 */
export function scriptedSend<T>(clock: FakeClock, steps: readonly Step<T>[]) {
  const startedAt: number[] = [];
  const attempts: number[] = [];
  const send = (attempt: number): Promise<T> => {
    const step = steps[Math.min(startedAt.length, steps.length - 1)];
    startedAt.push(clock.now());
    attempts.push(attempt);
    if (step === undefined) throw new Error('scriptedSend: no steps');
    return 'error' in step ? Promise.reject(step.error) : Promise.resolve(step.value);
  };
  return { send, startedAt, attempts };
}

/** Gaps between consecutive times. */
export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, index) => time - (times[index] ?? 0));
}

/** Settles `promise` into a result record so a rejection is never unhandled while time runs. */
export function capture<T>(promise: Promise<T>) {
  const outcome: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  const done = promise.then(
    (value) => {
      outcome.value = value;
      outcome.settled = true;
    },
    (error: unknown) => {
      outcome.error = error;
      outcome.settled = true;
    },
  );
  return { outcome, done };
}
