import { TaskflowError } from '../errors.js';

/**
 * The error a wait rejects with when `signal` fired: the signal's reason when it already is
 * a `TaskflowError` (so a deliberate stop, e.g. a `ResumableStop`, travels unchanged),
 * otherwise a `TaskflowError` with code `cancelled` whose `cause` is the reason.
 */
export function abortError(signal: AbortSignal): TaskflowError {
  const reason: unknown = signal.reason;
  if (reason instanceof TaskflowError) return reason;
  return new TaskflowError('cancelled', 'cancelled', { cause: reason });
}

/** Throws `abortError(signal)` when the signal has fired; does nothing without a signal. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal);
}

/** True for our `cancelled` errors and for platform `AbortError`s (fetch, timers, streams). */
export function isAbortError(error: unknown): boolean {
  if (error instanceof TaskflowError) return error.code === 'cancelled';
  if (typeof error !== 'object' || error === null) return false;
  return (error as { name?: unknown }).name === 'AbortError';
}

/**
 * A signal that fires when any of `signals` fires, with that signal's reason. Undefined
 * entries are skipped; with one signal left it is returned as is.
 */
export function anySignal(...signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 1 && present[0] !== undefined) return present[0];
  return AbortSignal.any(present);
}
