/**
 * The waits of resilience.md "Waits" as pure functions of an injected `Random`, and the
 * numbers of the spec as named constants. All durations are milliseconds.
 */
import type { Random } from './random.js';

/** A server hint gets up to this much extra... */
export const HINT_EXTRA_MAX_MS = 1000;
/** ...and at most this fraction of the hint. */
export const HINT_EXTRA_FRACTION = 0.1;

export const TRANSIENT_BASE_MS = 1000;
export const TRANSIENT_CAP_MS = 30_000;
/** Attempts of one logical request on the transient ladder. */
export const TRANSIENT_MAX_ATTEMPTS = 6;

export const RATE_LIMIT_BASE_MS = 2000;
export const RATE_LIMIT_CAP_MS = 60_000;
/** Attempts of one logical request on the rate-limit ladder. */
export const RATE_LIMIT_MAX_ATTEMPTS = 8;

/** Attempts of one logical request across all layers and all resumes. */
export const MAX_ATTEMPTS_PER_REQUEST = 12;
/** A hint longer than this is not slept in-process: checkpoint, stop, exit 75. */
export const MAX_INLINE_WAIT_MS = 300_000;
/**
 * The longest server wait taken at its word. A longer hint (`retry-after: 1e20`, a date in
 * year 9999, Infinity) is implausible and counts as this long, so a stop's
 * `resumeNotBefore` is always a valid date within a week.
 */
export const MAX_HONOURED_HINT_MS = 7 * 24 * 3_600_000;
/** Waiting budget of one logical request; past it: stop, exit 75. */
export const MAX_WAIT_PER_REQUEST_MS = 20 * 60_000;
/** Connection refused by a loopback server: this many attempts, then a config error. */
export const LOCAL_REFUSED_MAX_ATTEMPTS = 2;

/** Watchdogs of one attempt (resilience.md row 8). */
export const HEADERS_TIMEOUT_MS = 120_000;
export const IDLE_TIMEOUT_MS = 120_000;

/** A server hint as honoured: `ms` within [0, MAX_HONOURED_HINT_MS]; `capped` when it was longer. */
export interface HonouredHint {
  readonly ms: number;
  readonly capped: boolean;
}

/**
 * The hint a wait may be built on: NaN (or none) is no hint; a negative one is 0 (retry at
 * once, like a date in the past); one above MAX_HONOURED_HINT_MS (Infinity included) is
 * that bound, marked `capped`.
 */
export function honouredHint(hintMs: number | undefined): HonouredHint | undefined {
  if (hintMs === undefined || Number.isNaN(hintMs)) return undefined;
  if (hintMs > MAX_HONOURED_HINT_MS) return { ms: MAX_HONOURED_HINT_MS, capped: true };
  return { ms: Math.max(0, hintMs), capped: false };
}

/**
 * The wait for a server hint: `hintMs` plus a random extra in
 * [0, min(HINT_EXTRA_MAX_MS, HINT_EXTRA_FRACTION * hintMs)]. Never shorter than the hint;
 * a negative or NaN hint counts as 0.
 */
export function hintDelay(hintMs: number, random: Random): number {
  const base = Number.isNaN(hintMs) ? 0 : Math.max(0, hintMs);
  const maxExtraMs = Math.min(HINT_EXTRA_MAX_MS, HINT_EXTRA_FRACTION * base);
  return base + Math.floor(random() * maxExtraMs);
}

/**
 * Exponential backoff with equal jitter: d = min(capMs, baseMs * 2^(step - 1)), wait in
 * [d/2, d]. `step` counts from 1 (values below 1 count as 1). Whole milliseconds.
 */
export function equalJitterBackoff(
  step: number,
  baseMs: number,
  capMs: number,
  random: Random,
): number {
  const exponent = Math.max(0, Math.floor(step) - 1);
  const ceilingMs = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
}

/** Transient ladder: `attempt` 1 waits [0.5, 1] s, 2 waits [1, 2] s, ... capped at [15, 30] s. */
export function transientBackoff(attempt: number, random: Random): number {
  return equalJitterBackoff(attempt, TRANSIENT_BASE_MS, TRANSIENT_CAP_MS, random);
}

/**
 * Rate-limit ladder by the shared gate's count of consecutive 429s: 1 waits [1, 2] s,
 * 2 waits [2, 4] s, ... capped at [30, 60] s.
 */
export function rateLimitBackoff(consecutive429s: number, random: Random): number {
  return equalJitterBackoff(consecutive429s, RATE_LIMIT_BASE_MS, RATE_LIMIT_CAP_MS, random);
}
