/**
 * Durations, read and written in one place (a leaf: imports nothing, so every folder may use
 * it). One written form everywhere — reporters, step summary, `sessions show`, error
 * messages: `850ms`, `1.5s`, `12.0s`, `2m05s`, `1h02m05s`. One reader for what people and
 * servers write: `90s`, `10m`, `1h30m`, `500ms`, `7d`, `1m2.5s`, `30 seconds`, `1 hour 2 mins`.
 */

/** Longest spellings first, so `ms` is not read as minutes nor `minutes` as `m` + junk. */
const TOKEN =
  /\s*(\d+(?:\.\d+)?)\s*(milliseconds?|msecs?|ms|minutes?|mins?|m|hours?|hrs?|h|days?|d|seconds?|secs?|s)(?![a-z])/iy;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function unitMs(spelling: string): number {
  const lower = spelling.toLowerCase();
  if (lower.startsWith('ms') || lower.startsWith('milli')) return 1;
  if (lower.startsWith('m')) return MINUTE_MS;
  if (lower.startsWith('h')) return HOUR_MS;
  if (lower.startsWith('d')) return DAY_MS;
  return 1000;
}

/**
 * The duration tokens at the very start of `text` (spaces allowed between and inside them):
 * their total in milliseconds (rounded) and how many characters they took; undefined when
 * `text` does not start with one. For durations inside prose ("try again in 20s. ...").
 */
export function readDurationPrefix(text: string): { ms: number; length: number } | undefined {
  TOKEN.lastIndex = 0;
  let total = 0;
  let length = 0;
  for (let match = TOKEN.exec(text); match !== null; match = TOKEN.exec(text)) {
    total += Number(match[1]) * unitMs(match[2] ?? 's');
    length = TOKEN.lastIndex;
  }
  return length === 0 ? undefined : { ms: Math.round(total), length };
}

export interface ParseDurationOptions {
  /** How to read a bare number (`"2"`); default: not a duration. HTTP headers use seconds. */
  readonly bareNumber?: 'seconds';
}

/**
 * A whole text that is a duration (surrounding spaces aside): milliseconds, rounded; or
 * undefined when anything else is in it.
 */
export function parseDuration(
  text: string,
  options: ParseDurationOptions = {},
): number | undefined {
  const trimmed = text.trim();
  if (options.bareNumber === 'seconds' && /^\d+(?:\.\d+)?$/.test(trimmed))
    return Math.round(Number(trimmed) * 1000);
  const read = readDurationPrefix(trimmed);
  return read !== undefined && read.length === trimmed.length ? read.ms : undefined;
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

/**
 * `850ms` below a second; seconds with one decimal below a minute (`1.5s`, `12.0s`); then
 * whole seconds, zero-padded: `2m05s`, `1h02m05s` (fixed widths keep columns steady).
 * Negative or non-finite input counts as 0.
 */
export function formatDuration(durationMs: number): string {
  const ms = Number.isFinite(durationMs) && durationMs > 0 ? durationMs : 0;
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  // 59.96 s would print as "60.0s": switch to minutes where the rounding would.
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = pad2(totalSeconds % 60);
  return hours > 0 ? `${hours}h${pad2(minutes)}m${seconds}s` : `${minutes}m${seconds}s`;
}

/**
 * A wait announced to a person (`retrying in 12s`): rounded up to whole seconds from one
 * second on, so a notice never promises a shorter wait than the real one.
 */
export function formatWait(delayMs: number): string {
  const ms = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : formatDuration(seconds * 1000);
}
