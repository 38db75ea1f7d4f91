/**
 * Value formatting shared by the human reporters and the step summary. Pure functions, no
 * ANSI: colour is applied by the caller.
 */
import { formatDuration, formatWait } from '../duration.js';
import type { TaskflowEvent, TaskflowEventBody } from '../events.js';

type ModelRetryEvent = Extract<TaskflowEvent, { type: 'model-retry' }>;

// Durations have one written form, shared with messages and `sessions show` (src/duration.ts).
export { formatDuration, formatWait };

/** `1,234` (by hand: the first toLocaleString call loads ICU data, ~5 ms of start-up). */
export function formatCount(value: number): string {
  const rounded = Math.round(value);
  if (!Number.isFinite(rounded)) return String(rounded);
  const digits = String(Math.abs(rounded));
  let grouped = '';
  for (let end = digits.length; end > 0; end -= 3) {
    const group = digits.slice(Math.max(0, end - 3), end);
    grouped = grouped === '' ? group : `${group},${grouped}`;
  }
  return rounded < 0 ? `-${grouped}` : grouped;
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

/**
 * `rate limited (429): Rate limit reached; retrying in 12s (attempt 3/12)`: the cause is the
 * event's short `cause`, else its message; the total is the same on every notice.
 */
export function describeRetry(event: ModelRetryEvent): string {
  const why = describeErrorClass(event.errorClass, event.status);
  const cause = oneLine(event.cause ?? event.message, 160);
  const said = cause === '' ? `${why},` : `${why}: ${cause};`;
  return `${said} retrying in ${formatWait(event.delayMs)} (attempt ${event.attempt}/${event.maxAttempts})`;
}

type RateLimitWaitEvent = Extract<TaskflowEventBody, { type: 'rate-limit-wait' }>;

/**
 * Why a request waits for the pacer and how long, in words:
 * `request budget of gpt-4.1 spent (0 left), next in 2s`.
 */
export function describeRateLimitWait(event: RateLimitWaitEvent): string {
  const next = event.delayMs === null ? '' : `, next in ${formatWait(event.delayMs)}`;
  const left = event.remaining === null ? '' : ` (${formatCount(event.remaining)} left)`;
  switch (event.reason) {
    case 'first-answer':
      return `learning the rate limits of ${event.model} from its first answer`;
    case 'concurrency':
      return `at the concurrency limit of ${event.model}, waiting for a free slot${next}`;
    case 'requests':
      return `request budget of ${event.model} spent${left}${next}`;
    case 'tokens':
      return `token budget of ${event.model} spent${left}${next}`;
    case 'server-wait':
      return `${event.model} asked to wait${next}`;
    case 'daily-quota':
      return `daily quota of ${event.model} spent${next}`;
  }
}

/** `paced 12.3s · retry back-off 1.0s`: where the waiting time of a run went. */
export function describeWaiting(waiting: { pacedMs: number; waitMs: number }): string {
  return `paced ${formatDuration(waiting.pacedMs)} · retry back-off ${formatDuration(waiting.waitMs)}`;
}

/** A pacing wait long enough to mention on its own line (shorter ones only show in the summary). */
export function isNoticeableWait(event: RateLimitWaitEvent): boolean {
  return event.delayMs !== null && event.delayMs >= 1000;
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
