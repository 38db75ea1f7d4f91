/**
 * What an answer says about the budget behind it (scale-out.md "Pacing"): the
 * `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers in the OpenAI, Azure and
 * GitHub Models spellings, the server's wait, and for a 429 which limit was hit. Pure
 * functions over a `Headers` object or a plain record; no vendor imports.
 */
import { parseRetryAfter, readHeader } from '../model/retry-hints.js';

/** Which limit a 429 reports. */
export type RateLimitKind = 'requests' | 'tokens' | 'concurrency' | 'daily' | 'unknown';

/** One bucket as an answer reports it. */
export interface BucketReading {
  /** The bucket's size (`x-ratelimit-limit-*`), when sent. */
  readonly limit?: number;
  readonly remaining: number;
  /** Until the bucket is full again (`x-ratelimit-reset-*` as a duration), ms. */
  readonly resetMs?: number;
  /** The duration's rounding: the true reset may be up to this much longer, ms. */
  readonly resetPrecisionMs?: number;
  /** The reset as an absolute time (epoch seconds or a date): a fixed window ending then. */
  readonly windowEndsAt?: number;
}

/** A limit stated in a 429's message ("Rate limit of 10 per 60s exceeded for ..."). */
export interface StatedLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitReading {
  readonly requests?: BucketReading;
  readonly tokens?: BucketReading;
  /** The server's own wait: `retry-after-ms`, `retry-after`, `x-ratelimit-timeremaining`; ms. */
  readonly retryAfterMs?: number;
  /** Set for a 429 only. */
  readonly kind?: RateLimitKind;
  readonly statedLimit?: StatedLimit;
}

/** An answer as the pacer sees it. */
export interface PacerAnswer {
  readonly status?: number;
  /** Response headers: a fetch `Headers` or a plain record. */
  readonly headers?: unknown;
  /** The API's error message and code, for a failed answer. */
  readonly message?: string;
  readonly code?: string;
}

/** A header from a fetch `Headers` or a plain record (case-insensitive), trimmed; undefined when absent or empty. */
export function headerValue(headers: unknown, name: string): string | undefined {
  const value = readHeader(headers, name)?.trim();
  return value === '' ? undefined : value;
}

const unitMs: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const durationPart = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
/** Below this a bare number is seconds; from it on, epoch seconds (2001-09-09). */
const epochSecondsFrom = 1e9;
/** From here on a bare number is epoch milliseconds. */
const epochMsFrom = 1e12;

/** Precision of a number written with `text`'s decimals in `unit` ms. */
function precisionOf(text: string, unit: number): number {
  const decimals = text.split('.')[1]?.length ?? 0;
  return unit / 10 ** decimals;
}

export interface ParsedReset {
  readonly resetMs?: number;
  readonly precisionMs?: number;
  readonly windowEndsAt?: number;
}

/**
 * A reset value: a Go-style duration (`6m0s`, `1s`, `120ms`, `1h2m3.5s`), a bare number of
 * seconds (Azure), epoch seconds or milliseconds (a bare number past 2001), or an HTTP /
 * ISO date. Durations come with their precision (the smallest unit written); absolute
 * times come as `windowEndsAt`. Undefined for anything else, negative numbers included.
 */
export function parseResetValue(value: string, nowMs: number): ParsedReset | undefined {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    const number = Number(text);
    if (number >= epochMsFrom) return { windowEndsAt: number };
    if (number >= epochSecondsFrom) return { windowEndsAt: number * 1000 };
    return { resetMs: number * 1000, precisionMs: precisionOf(text, 1000) };
  }
  durationPart.lastIndex = 0;
  let total = 0;
  let precisionMs = Number.POSITIVE_INFINITY;
  let end = 0;
  for (let match = durationPart.exec(text); match !== null; match = durationPart.exec(text)) {
    const unit = unitMs[match[2] ?? 's'] ?? 1000;
    const amount = match[1] ?? '0';
    total += Number(amount) * unit;
    precisionMs = Math.min(precisionMs, precisionOf(amount, unit));
    end = durationPart.lastIndex;
  }
  if (end > 0 && end === text.length) return { resetMs: total, precisionMs };
  // Only dates with letters (HTTP dates, ISO with T/Z): "-1" would parse as year -1.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return date > nowMs ? { windowEndsAt: date } : { resetMs: 0, precisionMs: 1000 };
}

function nonNegative(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(?:\.\d+)?$/.test(value)) return undefined;
  return Number(value);
}

function readBucket(
  headers: unknown,
  unit: 'requests' | 'tokens',
  nowMs: number,
): BucketReading | undefined {
  // Azure sends -1 for a limit it does not apply: not a number here, so no bucket.
  const remaining = nonNegative(headerValue(headers, `x-ratelimit-remaining-${unit}`));
  if (remaining === undefined) return undefined;
  const limit = nonNegative(headerValue(headers, `x-ratelimit-limit-${unit}`));
  const resetText = headerValue(headers, `x-ratelimit-reset-${unit}`);
  const reset = resetText === undefined ? undefined : parseResetValue(resetText, nowMs);
  return {
    remaining,
    ...(limit !== undefined && limit > 0 && { limit: Math.max(limit, remaining) }),
    ...(reset?.resetMs !== undefined && { resetMs: reset.resetMs }),
    ...(reset?.precisionMs !== undefined && { resetPrecisionMs: reset.precisionMs }),
    ...(reset?.windowEndsAt !== undefined && { windowEndsAt: reset.windowEndsAt }),
  };
}

function retryAfterOf(headers: unknown, nowMs: number): number | undefined {
  const ms = nonNegative(headerValue(headers, 'retry-after-ms'));
  if (ms !== undefined) return ms;
  const after = headerValue(headers, 'retry-after');
  const afterMs = after === undefined ? undefined : parseRetryAfter(after, () => nowMs);
  if (afterMs !== undefined) return afterMs;
  // GitHub Models / Azure AI: seconds left in the window that was hit.
  const left = nonNegative(headerValue(headers, 'x-ratelimit-timeremaining'));
  return left === undefined ? undefined : left * 1000;
}

const statedLimitText = /\brate limit of\s+(\d+)\s+per\s+(\d+(?:\.\d+)?)\s*s\b/i;
const concurrencyText = /concurren/i;
const dailyText = /by\s*day|\bdaily\b|\bper day\b|\bper 86400\s*s\b/i;

/**
 * Which limit a 429 hit, first match wins: concurrency (GitHub Models'
 * `UserConcurrentRequests`, "too many concurrent requests"), a daily quota
 * (`x-ratelimit-type: UserByModelByDay`, a stated window of a day), tokens or requests
 * (the type names them, or that bucket's `remaining` is 0), else unknown.
 */
export function rateLimitKindOf(
  answer: PacerAnswer,
  reading: Pick<RateLimitReading, 'requests' | 'tokens' | 'statedLimit'>,
): RateLimitKind {
  const type = headerValue(answer.headers, 'x-ratelimit-type') ?? '';
  const said = `${type} ${answer.code ?? ''} ${answer.message ?? ''}`;
  if (concurrencyText.test(said)) return 'concurrency';
  if (dailyText.test(said) || (reading.statedLimit?.windowMs ?? 0) >= 86_400_000) return 'daily';
  if (/token/i.test(type) || reading.tokens?.remaining === 0) return 'tokens';
  if (/request|minute/i.test(type) || reading.requests?.remaining === 0) return 'requests';
  return 'unknown';
}

/**
 * Everything an answer says about the budget. `nowMs` turns absolute times into waits.
 * Buckets come from any answer; `kind` and `statedLimit` only from a 429.
 */
export function readRateLimitAnswer(answer: PacerAnswer, nowMs: number): RateLimitReading {
  const requests = readBucket(answer.headers, 'requests', nowMs);
  const tokens = readBucket(answer.headers, 'tokens', nowMs);
  const retryAfterMs = retryAfterOf(answer.headers, nowMs);
  const base = {
    ...(requests !== undefined && { requests }),
    ...(tokens !== undefined && { tokens }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
  if (answer.status !== 429) return base;
  const stated = statedLimitText.exec(answer.message ?? '');
  const statedLimit =
    stated === null ? undefined : { limit: Number(stated[1]), windowMs: Number(stated[2]) * 1000 };
  const usableStated =
    statedLimit !== undefined && statedLimit.limit > 0 && statedLimit.windowMs > 0
      ? statedLimit
      : undefined;
  const withStated = { ...base, ...(usableStated !== undefined && { statedLimit: usableStated }) };
  return { ...withStated, kind: rateLimitKindOf(answer, withStated) };
}
