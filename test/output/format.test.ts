import { describe, expect, it } from 'vitest';
import {
  describeErrorClass,
  formatCount,
  formatTokens,
  oneLine,
  runEndError,
  sanitizeText,
} from '../../src/output/format.js';

describe('format', () => {
  it('formats token counts with separators', () => {
    expect(formatTokens({ inputTokens: 1234, outputTokens: 567 })).toBe('1,234 in / 567 out');
    expect(formatTokens({ inputTokens: 1_234_567, outputTokens: 0 })).toBe('1,234,567 in / 0 out');
  });

  it('groups digits as en-US does, rounding first', () => {
    const values = [0, 7, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 1234.5, 2_147_483_647];
    for (const value of [...values, ...values.map((positive) => -positive - 1)]) {
      expect(formatCount(value)).toBe(Math.round(value).toLocaleString('en-US'));
    }
  });

  it('words error classes for retry notices', () => {
    expect(describeErrorClass('rate-limited', 429)).toBe('rate limited (429)');
    expect(describeErrorClass('server', 503)).toBe('server error (503)');
    expect(describeErrorClass('network', null)).toBe('network error');
    expect(describeErrorClass('stream-interrupted', null)).toBe('stream interrupted');
    expect(describeErrorClass('timeout', null)).toBe('request timed out');
    expect(describeErrorClass('something-new', 418)).toBe('something new error (418)');
  });

  it('removes terminal escapes and control characters', () => {
    expect(
      sanitizeText('\u001b[1;31mred\u001b[0m \u001b]8;;http://x\u0007link\u001b]8;;\u0007\tok\r\n'),
    ).toBe('red link\tok\n');
    expect(oneLine('first\nsecond')).toBe('first …');
    expect(oneLine('x'.repeat(10), 5)).toBe('xxxx…');
  });
});

describe('runEndError', () => {
  it('drops the cancellation message of an interrupted run and keeps real errors', () => {
    expect(runEndError({ status: 'interrupted', error: 'interrupted' })).toBeUndefined();
    expect(runEndError({ status: 'failed', error: 'task "x" failed' })).toBe('task "x" failed');
    expect(runEndError({ status: 'succeeded' })).toBeUndefined();
  });
});
