import { describe, expect, it } from 'vitest';
import type { TaskflowEventBody } from '../../src/events.js';
import { summaryFromEvents } from '../../src/output/summary-from-events.js';
import { restoredThenShellFailure, singleItemRun, stamp } from './sample-events.js';

const retry = (taskIndex: number, itemIndex: number): TaskflowEventBody => ({
  type: 'model-retry',
  taskIndex,
  itemIndex,
  errorClass: 'server',
  status: 503,
  attempt: 1,
  maxAttempts: 6,
  delayMs: 1000,
  delaySource: 'backoff',
  message: 'Service Unavailable',
});

describe('summaryFromEvents', () => {
  it('counts retries per task and takes status, durations and tokens from end events', () => {
    const collector = summaryFromEvents();
    expect(collector.summary()).toBeUndefined();
    const events = stamp([
      { type: 'taskflow-start', sessionId: 'ses-9', taskflow: 'audit', resumed: true },
      { type: 'task-start', taskIndex: 0, taskName: 'scan', itemCount: 2 },
      retry(0, 0),
      retry(0, 1),
      {
        type: 'task-end',
        taskIndex: 0,
        taskName: 'scan',
        status: 'succeeded',
        durationMs: 4000,
        usage: { inputTokens: 100, outputTokens: 20 },
      },
      {
        type: 'task-end',
        taskIndex: 1,
        taskName: 'optional',
        status: 'skipped',
        durationMs: 0,
        usage: { inputTokens: 0, outputTokens: 0 },
      },
      { type: 'task-start', taskIndex: 2, taskName: 'report', itemCount: 1 },
      retry(2, 0),
    ]);
    for (const event of events) collector.onEvent(event);

    const running = collector.summary();
    expect(running).toMatchObject({
      sessionId: 'ses-9',
      taskflow: 'audit',
      status: 'running',
      exitCode: -1,
      durationMs: 7000,
    });
    expect(running?.usage).toEqual({ inputTokens: 100, outputTokens: 20 });

    const [end] = stamp([
      {
        type: 'taskflow-end',
        sessionId: 'ses-9',
        status: 'stopped',
        exitCode: 75,
        usage: { inputTokens: 150, outputTokens: 30 },
        durationMs: 9000,
      },
    ]);
    if (end === undefined) throw new Error('stamp lost the event');
    // Two seconds after the last task started (its task-start is the 7th event).
    collector.onEvent({ ...end, timestamp: '2025-03-01T10:00:08.000Z' });
    const summary = collector.summary();
    expect(summary).toMatchObject({
      status: 'stopped',
      exitCode: 75,
      durationMs: 9000,
      usage: { inputTokens: 150, outputTokens: 30 },
    });
    expect(summary?.tasks).toEqual([
      {
        index: 0,
        name: 'scan',
        status: 'succeeded',
        durationMs: 4000,
        inputTokens: 100,
        outputTokens: 20,
        retries: 2,
      },
      {
        index: 1,
        name: 'optional',
        status: 'skipped',
        durationMs: 0,
        inputTokens: 0,
        outputTokens: 0,
        retries: 0,
      },
      // No task-end: the run stopped during it (timed from task-start to taskflow-end).
      {
        index: 2,
        name: 'report',
        status: 'stopped',
        durationMs: 2000,
        inputTokens: 0,
        outputTokens: 0,
        retries: 1,
      },
    ]);
  });

  it('summarises the sample run', () => {
    const collector = summaryFromEvents();
    for (const event of singleItemRun()) collector.onEvent(event);
    expect(collector.summary()?.tasks).toEqual([
      {
        index: 0,
        name: 'echo-task',
        status: 'succeeded',
        durationMs: 12_345,
        inputTokens: 1234,
        outputTokens: 567,
        retries: 2,
      },
    ]);
  });

  it("keeps each failed task's error and stderr, restored marks and the run error", () => {
    const collector = summaryFromEvents();
    for (const event of restoredThenShellFailure()) collector.onEvent(event);
    const summary = collector.summary();
    expect(summary?.error).toBe('shell task exited with code 2');
    expect(summary?.tasks[0]).toMatchObject({ status: 'succeeded', restored: true });
    expect(summary?.tasks[0]?.error).toBeUndefined();
    expect(summary?.tasks[1]).toMatchObject({
      status: 'failed',
      error: 'shell task exited with code 2',
      stderr: ['make: *** [all] Error 1', '\u001b[31mfatal:\u001b[0m missing header  '],
    });
    expect(summary?.tasks[1]?.restored).toBeUndefined();
  });
});
