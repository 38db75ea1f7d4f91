/**
 * Server wait hints (resilience.md "Waits"): the first of `retry-after-ms`, `retry-after`,
 * the exhausted bucket's `x-ratelimit-reset-*` header, or a "try again in N s" message.
 */

import { parseDuration, readDurationPrefix } from '../duration.js';

export type HintSource = 'retry-after-ms' | 'retry-after' | 'reset-header' | 'message';

export interface RetryHint {
  readonly hintMs: number;
  readonly hintSource: HintSource;
}

/** Reads a header from a fetch `Headers` or a plain record (case-insensitive); undefined when absent. */
export function readHeader(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    const value: unknown = getter.call(headers, name);
    return typeof value === 'string' ? value : undefined;
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

/**
 * A `retry-after` value: a bare number of seconds, or an HTTP date (a past one is 0); ms.
 * Anything else is no hint: an HTTP date always names its day or month, and `Date.parse`
 * reads `-1` or `3.5.1` as dates of 2001 (a wait of 0 that would skip the later hints).
 */
export function parseRetryAfter(value: string, now: () => number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now());
}

function parseResetHeaders(headers: unknown, status: number | undefined): number | undefined {
  const requests = readHeader(headers, 'x-ratelimit-reset-requests');
  const tokens = readHeader(headers, 'x-ratelimit-reset-tokens');
  // `6ms`, `1m2.5s`, or a bare number of seconds.
  const requestsMs =
    requests === undefined ? undefined : parseDuration(requests, { bareNumber: 'seconds' });
  const tokensMs =
    tokens === undefined ? undefined : parseDuration(tokens, { bareNumber: 'seconds' });
  const requestsExhausted = readHeader(headers, 'x-ratelimit-remaining-requests')?.trim() === '0';
  const tokensExhausted = readHeader(headers, 'x-ratelimit-remaining-tokens')?.trim() === '0';
  if (requestsExhausted && requestsMs !== undefined) return requestsMs;
  if (tokensExhausted && tokensMs !== undefined) return tokensMs;
  // These headers ride on every response; only a 429 makes an unexhausted reset a wait.
  if (status !== 429) return undefined;
  if (requestsMs === undefined) return tokensMs;
  if (tokensMs === undefined) return requestsMs;
  return Math.max(requestsMs, tokensMs);
}

const messagePhrase = /\b(?:try again in|try again after|retry after|retry in|wait)\s+/gi;

/** "try again in 20s", "Please retry after 20 seconds", "wait 42 seconds"; a bare number is seconds. */
export function parseMessageHint(message: string): number | undefined {
  messagePhrase.lastIndex = 0;
  for (
    let match = messagePhrase.exec(message);
    match !== null;
    match = messagePhrase.exec(message)
  ) {
    const rest = message.slice(match.index + match[0].length);
    const parsed = readDurationPrefix(rest);
    if (parsed !== undefined) return parsed.ms;
    const bare = /^(\d+(?:\.\d+)?)(?![\d.]*[a-z%])/i.exec(rest);
    if (bare !== null) return Number(bare[1]) * 1000;
  }
  return undefined;
}

/** The first hint that parses, in the order of resilience.md "Waits". */
export function parseRetryHint(input: {
  headers: unknown;
  status: number | undefined;
  message: string;
  now: () => number;
}): RetryHint | undefined {
  const retryAfterMs = readHeader(input.headers, 'retry-after-ms');
  if (retryAfterMs !== undefined && /^\s*\d+(?:\.\d+)?\s*$/.test(retryAfterMs)) {
    return { hintMs: Number(retryAfterMs), hintSource: 'retry-after-ms' };
  }
  const retryAfter = readHeader(input.headers, 'retry-after');
  const retryAfterParsed =
    retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, input.now);
  if (retryAfterParsed !== undefined)
    return { hintMs: retryAfterParsed, hintSource: 'retry-after' };
  const reset = parseResetHeaders(input.headers, input.status);
  if (reset !== undefined) return { hintMs: reset, hintSource: 'reset-header' };
  const fromMessage = parseMessageHint(input.message);
  if (fromMessage !== undefined) return { hintMs: fromMessage, hintSource: 'message' };
  return undefined;
}
