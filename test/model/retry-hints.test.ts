import { describe, expect, it } from 'vitest';
import { parseMessageHint, parseRetryHint } from '../../src/model/retry-hints.js';

describe('parseMessageHint', () => {
  it.each([
    ['Rate limit reached. Please try again in 20s.', 20_000],
    ['Please try again in 1m30s.', 90_000],
    ['Please try again in 6ms.', 6],
    ['Please retry after 20 seconds.', 20_000],
    ['Rate limit of 150 per 86400s exceeded. Please wait 42 seconds before retrying.', 42_000],
    ['retry after 3', 3000],
  ])('%j -> %d ms', (text, expected) => {
    expect(parseMessageHint(text)).toBe(expected);
  });

  it('ignores numbers that are not waits', () => {
    expect(parseMessageHint('limit is 20 requests per minute')).toBeUndefined();
  });
});

describe('parseRetryHint order', () => {
  const now = () => 0;
  it('prefers retry-after-ms, then retry-after, then reset headers, then the message', () => {
    const headers = {
      'retry-after-ms': '250',
      'retry-after': '2',
      'x-ratelimit-reset-requests': '3s',
    };
    const message = 'try again in 4s';
    expect(parseRetryHint({ headers, status: 429, message, now })).toEqual({
      hintMs: 250,
      hintSource: 'retry-after-ms',
    });
    const { 'retry-after-ms': _ms, ...rest } = headers;
    expect(parseRetryHint({ headers: rest, status: 429, message, now })?.hintSource).toBe(
      'retry-after',
    );
    const { 'retry-after': _seconds, ...resetOnly } = rest;
    expect(parseRetryHint({ headers: resetOnly, status: 429, message, now })).toEqual({
      hintMs: 3000,
      hintSource: 'reset-header',
    });
    expect(parseRetryHint({ headers: {}, status: 429, message, now })).toEqual({
      hintMs: 4000,
      hintSource: 'message',
    });
  });

  it('uses reset headers on other statuses only when a bucket is exhausted', () => {
    const headers = { 'x-ratelimit-reset-tokens': '10s', 'x-ratelimit-remaining-tokens': '10' };
    expect(parseRetryHint({ headers, status: 503, message: '', now })).toBeUndefined();
    const exhausted = { ...headers, 'x-ratelimit-remaining-tokens': '0' };
    expect(parseRetryHint({ headers: exhausted, status: 503, message: '', now })?.hintMs).toBe(
      10_000,
    );
  });
});

describe('retry-after values that are neither seconds nor an HTTP date', () => {
  const now = () => Date.parse('2026-12-02T12:00:00Z');
  const reset = { 'x-ratelimit-reset-requests': '3s', 'x-ratelimit-remaining-requests': '0' };

  it.each(['-1', '-5', '3.5.1', '12 s', 'soon'])(
    'retry-after %j is ignored: the next hint (the reset header) applies',
    (value) => {
      const headers = { 'retry-after': value, ...reset };
      expect(parseRetryHint({ headers, status: 429, message: '', now })).toEqual({
        hintMs: 3000,
        hintSource: 'reset-header',
      });
    },
  );

  it('an HTTP date still counts, a past one as no wait', () => {
    const later = { 'retry-after': 'Wed, 02 Dec 2026 12:00:30 GMT' };
    expect(parseRetryHint({ headers: later, status: 429, message: '', now })?.hintMs).toBe(30_000);
    const past = { 'retry-after': 'Wed, 02 Dec 2026 11:00:00 GMT' };
    expect(parseRetryHint({ headers: past, status: 429, message: '', now })?.hintMs).toBe(0);
  });
});
