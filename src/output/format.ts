/**
 * Value formatting shared by the human reporters and the step summary. Pure functions, no
 * ANSI: colour is applied by the caller.
 */
import type { TaskflowEvent } from '../events.js';

type ModelRetryEvent = Extract<TaskflowEvent, { type: 'model-retry' }>;

/** `850ms`, `12.3s`, `2m05s`, `1h02m05s`. Negative or non-finite input counts as 0. */
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
 * A wait announced to the user (`retrying in 12s`). Rounded up so the notice never
 * promises a shorter wait than the real one.
 */
export function formatWait(delayMs: number): string {
  const ms = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${Math.ceil(ms / 1000)}s`;
  return formatDuration(Math.ceil(ms / 1000) * 1000);
}

/** `1,234` */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `1,234 in / 567 out` */
export function formatTokens(usage: { inputTokens: number; outputTokens: number }): string {
  return `${formatCount(usage.inputTokens)} in / ${formatCount(usage.outputTokens)} out`;
}

/** Why a model request failed, in words: `rate limited (429)`, `network error`. */
export function describeErrorClass(errorClass: string, status: number | null): string {
  const withStatus = (words: string): string => (status === null ? words : `${words} (${status})`);
  switch (errorClass) {
    case 'rate-limited':
      return withStatus('rate limited');
    case 'server':
      return withStatus('server error');
    case 'transient-http':
      return withStatus('request failed');
    case 'network':
      return withStatus('network error');
    case 'timeout':
      return withStatus('request timed out');
    case 'stream-stalled':
      return withStatus('stream stalled');
    case 'stream-interrupted':
      return withStatus('stream interrupted');
    case 'context-overflow':
      return withStatus('context too long');
    default:
      return withStatus(`${errorClass.replaceAll('-', ' ')} error`);
  }
}

/** `rate limited (429), retrying in 12s (attempt 3/8)` */
export function describeRetry(event: ModelRetryEvent): string {
  const why = describeErrorClass(event.errorClass, event.status);
  return `${why}, retrying in ${formatWait(event.delayMs)} (attempt ${event.attempt}/${event.maxAttempts})`;
}

/**
 * `[item 3] ` for tasks that run more than one item (their lines interleave), else ''.
 * Items are shown 1-based, like tasks.
 */
export function itemPrefix(itemCount: number | undefined, itemIndex: number | undefined): string {
  if (itemIndex === undefined || itemCount === undefined || itemCount <= 1) return '';
  return `[item ${itemIndex + 1}] `;
}

/** First line of `text`, sanitised, at most `maxLength` characters; `…` marks anything cut. */
export function oneLine(text: string, maxLength = 200): string {
  const lines = sanitizeText(text).trim().split('\n');
  const first = lines[0] ?? '';
  if (first.length > maxLength) return `${first.slice(0, maxLength - 1)}…`;
  return lines.length > 1 ? `${first} …` : first;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

// Terminal escape sequences (CSI, OSC, two-byte) in model text or tool output could recolour
// or rewrite the user's terminal and would break the no-ANSI promise of plain mode.
/* eslint-disable no-control-regex -- matching control characters is the point */
const ESCAPE_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]/g;
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

/** Text from the model or a tool, safe to print: escapes and control characters removed, `\r` as `\n`. */
export function sanitizeText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ESCAPE_SEQUENCE, '').replace(CONTROL_CHARACTER, '');
}

/**
 * A completed model message as output lines: `[item 2] agent: text` when it is one line,
 * else a header line and the text indented by two spaces. Empty when there is no text.
 */
export function messageLines(prefix: string, agent: string, text: string): string[] {
  const clean = sanitizeText(text).trim();
  if (clean === '') return [];
  const lines = clean.split('\n');
  const speaker = agent === '' ? 'model' : agent;
  if (lines.length === 1) return [`${prefix}${speaker}: ${clean}`];
  return [
    `${prefix}${speaker}:`,
    ...lines.map((line) => (line === '' ? '' : `  ${line.trimEnd()}`)),
  ];
}

/**
 * The error worth showing at the end of a run: none for an interrupted run, whose
 * cancellation message only repeats the status.
 */
export function runEndError(event: { status: string; error?: string }): string | undefined {
  return event.status === 'interrupted' ? undefined : event.error;
}
