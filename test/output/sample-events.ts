/** Event sequences and a collecting stream shared by the reporter tests. */
import { Writable } from 'node:stream';
import type { TaskflowEvent, TaskflowEventBody } from '../../src/events.js';

/** An ANSI CSI introducer: ESC followed by `[`. */
export const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

export interface Collected {
  readonly stream: NodeJS.WritableStream;
  text(): string;
}

/** A stream that records every write synchronously. */
export function collectingStream(): Collected {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

const START = Date.parse('2025-03-01T10:00:00.000Z');

/** Stamp bodies one second apart. */
export function stamp(bodies: readonly TaskflowEventBody[]): TaskflowEvent[] {
  return bodies.map((body, index): TaskflowEvent => ({
    ...body,
    timestamp: new Date(START + index * 1000).toISOString(),
  }));
}

const at = { taskIndex: 0, itemIndex: 0 };

/**
 * One task, one item: a 429 before the first answer, a streamed message, a tool call, then a
 * stream broken after partial text ("Echo replied hel") and the retried answer.
 */
export function singleItemRun(): TaskflowEvent[] {
  return stamp([
    {
      type: 'taskflow-start',
      sessionId: 'ses-1',
      taskflow: 'examples.taskflows.echo',
      resumed: false,
    },
    { type: 'task-start', taskIndex: 0, taskName: 'echo-task', itemCount: 1 },
    { type: 'item-start', ...at },
    { type: 'model-request-start', ...at, model: 'gpt-4.1', attempt: 1 },
    {
      type: 'model-retry',
      ...at,
      errorClass: 'rate-limited',
      status: 429,
      attempt: 3,
      maxAttempts: 8,
      delayMs: 11_400,
      delaySource: 'retry-after',
      message: '429 Too Many Requests',
    },
    { type: 'model-request-start', ...at, model: 'gpt-4.1', attempt: 2 },
    { type: 'text-delta', ...at, agent: 'assistant', text: 'Let me ' },
    { type: 'text-delta', ...at, agent: 'assistant', text: 'check the ' },
    { type: 'text-delta', ...at, agent: 'assistant', text: 'echo tool.' },
    {
      type: 'tool-call-start',
      ...at,
      toolbox: 'echo',
      tool: 'echo',
      callId: 'c1',
      arguments: '{"text":"hello"}',
    },
    {
      type: 'tool-call-end',
      ...at,
      toolbox: 'echo',
      tool: 'echo',
      callId: 'c1',
      status: 'ok',
      durationMs: 12,
      resultPreview: 'hello',
    },
    { type: 'model-request-start', ...at, model: 'gpt-4.1', attempt: 1 },
    { type: 'text-delta', ...at, agent: 'assistant', text: 'Echo replied hel' },
    {
      type: 'model-retry',
      ...at,
      errorClass: 'stream-interrupted',
      status: null,
      attempt: 1,
      maxAttempts: 6,
      delayMs: 1_500,
      delaySource: 'backoff',
      message: 'terminated',
    },
    { type: 'model-request-start', ...at, model: 'gpt-4.1', attempt: 2 },
    { type: 'text-delta', ...at, agent: 'assistant', text: 'Echo replied ' },
    { type: 'text-delta', ...at, agent: 'assistant', text: 'hello.' },
    {
      type: 'warning',
      message: 'tool result truncated to 20000 characters',
      taskIndex: 0,
      itemIndex: 0,
    },
    { type: 'item-end', ...at, status: 'succeeded' },
    {
      type: 'task-end',
      taskIndex: 0,
      taskName: 'echo-task',
      status: 'succeeded',
      durationMs: 12_345,
      usage: { inputTokens: 1234, outputTokens: 567 },
    },
    {
      type: 'taskflow-end',
      sessionId: 'ses-1',
      status: 'succeeded',
      exitCode: 0,
      usage: { inputTokens: 1234, outputTokens: 567 },
      durationMs: 13_000,
    },
  ]);
}

/** One task with two concurrent items whose text deltas interleave. */
export function twoItemTask(): TaskflowEvent[] {
  const item = (itemIndex: number) => ({ taskIndex: 0, itemIndex });
  return stamp([
    { type: 'task-start', taskIndex: 0, taskName: 'per-file', itemCount: 2 },
    { type: 'item-start', ...item(0), label: 'a.ts' },
    { type: 'item-start', ...item(1), label: 'b.ts' },
    { type: 'model-request-start', ...item(0), model: 'gpt-4.1', attempt: 1 },
    { type: 'model-request-start', ...item(1), model: 'gpt-4.1', attempt: 1 },
    { type: 'text-delta', ...item(0), agent: 'reviewer', text: 'a.ts looks ' },
    { type: 'text-delta', ...item(1), agent: 'reviewer', text: 'b.ts has ' },
    { type: 'text-delta', ...item(0), agent: 'reviewer', text: 'fine.' },
    { type: 'text-delta', ...item(1), agent: 'reviewer', text: 'a bug.' },
    { type: 'item-end', ...item(1), status: 'failed', error: 'max turns reached' },
    { type: 'item-end', ...item(0), status: 'succeeded' },
    {
      type: 'task-end',
      taskIndex: 0,
      taskName: 'per-file',
      status: 'failed',
      durationMs: 850,
      usage: { inputTokens: 10, outputTokens: 5 },
    },
  ]);
}

/**
 * A resumed run: task 1 restored from the earlier run, task 2 a shell task that fails with
 * a stderr tail (one line carries an escape sequence), then the run fails.
 */
export function restoredThenShellFailure(): TaskflowEvent[] {
  return stamp([
    { type: 'taskflow-start', sessionId: 'ses-7', taskflow: 'flows.build', resumed: true },
    { type: 'task-start', taskIndex: 0, taskName: 'prepare', itemCount: 1 },
    {
      type: 'task-end',
      taskIndex: 0,
      taskName: 'prepare',
      status: 'succeeded',
      durationMs: 4_000,
      usage: { inputTokens: 100, outputTokens: 10 },
      restored: true,
    },
    { type: 'task-start', taskIndex: 1, taskName: 'compile', itemCount: 1 },
    {
      type: 'task-end',
      taskIndex: 1,
      taskName: 'compile',
      status: 'failed',
      durationMs: 250,
      usage: { inputTokens: 0, outputTokens: 0 },
      error: 'shell task exited with code 2',
      stderr: ['make: *** [all] Error 1', '\u001b[31mfatal:\u001b[0m missing header  '],
    },
    {
      type: 'taskflow-end',
      sessionId: 'ses-7',
      status: 'failed',
      exitCode: 1,
      usage: { inputTokens: 100, outputTokens: 10 },
      durationMs: 900,
      error: 'shell task exited with code 2',
    },
  ]);
}
