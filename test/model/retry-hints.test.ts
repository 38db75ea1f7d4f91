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
