import { describe, expect, it } from 'vitest';
import { formatDuration, formatWait, parseDuration, readDurationPrefix } from '../src/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['7d', 604_800_000],
    ['1m2.5s', 62_500],
    ['1.5ms', 2],
    [' 1h 30m ', 5_400_000],
    ['30 seconds', 30_000],
    ['2 minutes', 120_000],
    ['1 hour 2 mins', 3_720_000],
    ['3 days', 259_200_000],
    ['250 milliseconds', 250],
    ['12H', 43_200_000],
  ])('%j -> %d ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each(['', '  ', 'soon', '5s later', '5x', '5', '1.5', 's', '-5s', '5 dollars'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('reads a bare number as seconds only when asked (HTTP headers)', () => {
    expect(parseDuration('2', { bareNumber: 'seconds' })).toBe(2000);
    expect(parseDuration('0.5', { bareNumber: 'seconds' })).toBe(500);
    expect(parseDuration('2s', { bareNumber: 'seconds' })).toBe(2000);
    expect(parseDuration('2 x', { bareNumber: 'seconds' })).toBeUndefined();
  });
});

describe('readDurationPrefix', () => {
  it('reads the duration at the start of a text and says how much it read', () => {
    expect(readDurationPrefix('20s. Visit https://x')).toEqual({ ms: 20_000, length: 3 });
    expect(readDurationPrefix('1m30s and more')).toEqual({ ms: 90_000, length: 5 });
    expect(readDurationPrefix('42 seconds before retrying')).toEqual({ ms: 42_000, length: 10 });
    expect(readDurationPrefix('20 requests per minute')).toBeUndefined();
    expect(readDurationPrefix('3')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1500, '1.5s'],
    [5000, '5.0s'],
    [12_345, '12.3s'],
    [59_940, '59.9s'],
    [59_960, '1m00s'],
    [65_000, '1m05s'],
    [125_000, '2m05s'],
    [5_400_000, '1h30m00s'],
    [3_725_000, '1h02m05s'],
    [-5, '0ms'],
    [Number.NaN, '0ms'],
  ])('%d ms -> %j', (milliseconds, expected) => {
    expect(formatDuration(milliseconds)).toBe(expected);
  });

  it('reads back as the same duration (to the precision shown)', () => {
    for (const milliseconds of [850, 1500, 65_000, 5_400_000, 3_725_000])
      expect(parseDuration(formatDuration(milliseconds))).toBe(milliseconds);
  });
});

describe('formatWait', () => {
  it('rounds announced waits up, so a notice never promises less than the real wait', () => {
    expect(formatWait(400)).toBe('400ms');
    expect(formatWait(11_400)).toBe('12s');
    expect(formatWait(59_100)).toBe('1m00s');
    expect(formatWait(90_100)).toBe('1m31s');
    expect(formatWait(-1)).toBe('0ms');
  });
});
