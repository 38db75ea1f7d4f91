import { describe, expect, it } from 'vitest';
import {
  headerValue,
  parseResetValue,
  readRateLimitAnswer,
} from '../../src/resilience/pacer-headers.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

describe('parseResetValue', () => {
  it.each([
    ['6m0s', 360_000, 1000],
    ['1s', 1000, 1000],
    ['120ms', 120, 1],
    ['20ms', 20, 1],
    ['1m2.5s', 62_500, 100],
    ['1h2m3s', 3_723_000, 1000],
    ['0s', 0, 1000],
  ])('reads the duration %s', (text, resetMs, precisionMs) => {
    expect(parseResetValue(text, NOW)).toEqual({ resetMs, precisionMs });
  });

  it('reads plain seconds (Azure), with their precision', () => {
    expect(parseResetValue('10', NOW)).toEqual({ resetMs: 10_000, precisionMs: 1000 });
    expect(parseResetValue('0.25', NOW)).toEqual({ resetMs: 250, precisionMs: 10 });
  });

  it('reads epoch seconds, epoch milliseconds and dates as the end of a window', () => {
    expect(parseResetValue('1748779260', NOW)).toEqual({ windowEndsAt: 1_748_779_260_000 });
    expect(parseResetValue('1748779260500', NOW)).toEqual({ windowEndsAt: 1_748_779_260_500 });
    expect(parseResetValue('2025-06-01T12:00:30Z', NOW)).toEqual({ windowEndsAt: NOW + 30_000 });
    // A date already past: full again now.
    expect(parseResetValue('Sun, 01 Jun 2025 11:00:00 GMT', NOW)).toEqual({
      resetMs: 0,
      precisionMs: 1000,
    });
  });

  it('rejects junk, negatives and partial durations', () => {
    for (const text of ['soon', '-1', '5 minutes', '1m2', 'ms', '']) {
      expect(parseResetValue(text, NOW), text).toBeUndefined();
    }
  });
});

describe('readRateLimitAnswer', () => {
  it('reads both OpenAI buckets from a success', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '5000',
      'x-ratelimit-remaining-requests': '4999',
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-limit-tokens': '160000',
      'x-ratelimit-remaining-tokens': '159976',
      'x-ratelimit-reset-tokens': '9ms',
    });
    expect(readRateLimitAnswer({ status: 200, headers }, NOW)).toEqual({
      requests: { limit: 5000, remaining: 4999, resetMs: 12, resetPrecisionMs: 1 },
      tokens: { limit: 160_000, remaining: 159_976, resetMs: 9, resetPrecisionMs: 1 },
    });
  });

  it('reads Azure: remaining and reset in seconds, -1 meaning no such limit', () => {
    const headers = {
      'X-RateLimit-Remaining-Requests': '59',
      'x-ratelimit-reset-requests': '10',
      'x-ratelimit-limit-tokens': '-1',
      'x-ratelimit-remaining-tokens': '-1',
      'x-ratelimit-reset-tokens': '0',
    };
    expect(readRateLimitAnswer({ status: 200, headers }, NOW)).toEqual({
      requests: { remaining: 59, resetMs: 10_000, resetPrecisionMs: 1000 },
    });
  });

  it('reads a GitHub Models window ending at an epoch time', () => {
    const headers = {
      'x-ratelimit-limit-requests': '15',
      'x-ratelimit-remaining-requests': '3',
      'x-ratelimit-reset-requests': String(NOW / 1000 + 45),
    };
    expect(readRateLimitAnswer({ status: 200, headers }, NOW).requests).toEqual({
      limit: 15,
      remaining: 3,
      windowEndsAt: NOW + 45_000,
    });
  });

  it('takes the server wait from retry-after-ms, retry-after (seconds or date), or x-ratelimit-timeremaining', () => {
    const wait = (headers: Record<string, string>) =>
      readRateLimitAnswer({ status: 429, headers }, NOW).retryAfterMs;
    expect(wait({ 'retry-after-ms': '1500', 'retry-after': '2' })).toBe(1500);
    expect(wait({ 'retry-after': '20' })).toBe(20_000);
    expect(wait({ 'retry-after': 'Sun, 01 Jun 2025 12:01:00 GMT' })).toBe(60_000);
    expect(wait({ 'x-ratelimit-timeremaining': '28' })).toBe(28_000);
    expect(wait({})).toBeUndefined();
  });

  it('tells a daily quota (GitHub Models UserByModelByDay) from a per-minute limit', () => {
    const daily = readRateLimitAnswer(
      {
        status: 429,
        headers: { 'x-ratelimit-type': 'UserByModelByDay', 'retry-after': '24367' },
        message: 'Rate limit of 150 per 86400s exceeded for UserByModelByDay.',
      },
      NOW,
    );
    expect(daily).toMatchObject({ kind: 'daily', retryAfterMs: 24_367_000 });
    const minute = readRateLimitAnswer(
      {
        status: 429,
        headers: { 'x-ratelimit-type': 'UserByModelByMinute', 'retry-after': '46' },
        message:
          'Rate limit of 10 per 60s exceeded for UserByModelByMinute. Please wait 46 seconds before retrying.',
      },
      NOW,
    );
    expect(minute).toEqual({
      kind: 'requests',
      retryAfterMs: 46_000,
      statedLimit: { limit: 10, windowMs: 60_000 },
    });
  });

  it('recognises concurrency 429s by type, code or message', () => {
    const kind = (answer: { headers?: Record<string, string>; message?: string; code?: string }) =>
      readRateLimitAnswer({ status: 429, ...answer }, NOW).kind;
    expect(kind({ headers: { 'x-ratelimit-type': 'UserConcurrentRequests' } })).toBe('concurrency');
    expect(kind({ message: 'Too many concurrent requests' })).toBe('concurrency');
    expect(kind({ code: 'concurrency_limit_exceeded' })).toBe('concurrency');
  });

  it('names the exhausted bucket of a 429, else unknown', () => {
    const kind = (headers: Record<string, string>) =>
      readRateLimitAnswer({ status: 429, headers }, NOW).kind;
    expect(
      kind({ 'x-ratelimit-remaining-requests': '12', 'x-ratelimit-remaining-tokens': '0' }),
    ).toBe('tokens');
    expect(
      kind({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining-tokens': '900' }),
    ).toBe('requests');
    expect(kind({})).toBe('unknown');
  });

  it('gives no kind to answers that are not 429s, whatever their headers say', () => {
    const reading = readRateLimitAnswer(
      { status: 200, headers: { 'x-ratelimit-type': 'UserByModelByDay' }, message: 'ok' },
      NOW,
    );
    expect(reading).toEqual({});
  });
});

describe('headerValue', () => {
  it('reads Headers and records case-insensitively, first of an array, nothing for blanks', () => {
    expect(headerValue(new Headers({ 'Retry-After': '3' }), 'retry-after')).toBe('3');
    expect(headerValue({ 'RETRY-AFTER': ['4', '5'] }, 'retry-after')).toBe('4');
    expect(headerValue({ 'retry-after': '  ' }, 'retry-after')).toBeUndefined();
    expect(headerValue(undefined, 'retry-after')).toBeUndefined();
  });
});
