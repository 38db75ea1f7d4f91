import { describe, expect, it } from 'vitest';
import type { TaskflowEvent, TaskflowEventBody } from '../../src/events.js';
import { createReporter } from '../../src/output/create-reporter.js';
import { describeRateLimitWait } from '../../src/output/format.js';
import { summaryFromEvents } from '../../src/output/summary-from-events.js';
import { renderStepSummary } from '../../src/output/write-step-summary.js';
import { collectingStream, stamp } from './sample-events.js';

/** The pacer's `rate-limit-wait` in each output, and its totals in the summaries. */

type Wait = Extract<TaskflowEventBody, { type: 'rate-limit-wait' }>;

const at = { taskIndex: 0, itemIndex: 1 };

function wait(reason: Wait['reason'], delayMs: number | null, remaining: number | null): Wait {
  return { type: 'rate-limit-wait', ...at, model: 'gpt-4.1', reason, delayMs, remaining };
}

/** A two-item task whose second item waits for the budget twice. */
function pacedRun(waits: readonly Wait[]): TaskflowEvent[] {
  return stamp([
    { type: 'taskflow-start', sessionId: 'ses-1', taskflow: 'flow', resumed: false },
    { type: 'task-start', taskIndex: 0, taskName: 'fan out', itemCount: 2 },
    ...waits,
    {
      type: 'task-end',
      taskIndex: 0,
      taskName: 'fan out',
      status: 'succeeded',
      durationMs: 9000,
      usage: { inputTokens: 10, outputTokens: 2 },
      pacedMs: 4200,
      waitMs: 1500,
    },
    {
      type: 'taskflow-end',
      sessionId: 'ses-1',
      status: 'succeeded',
      exitCode: 0,
      usage: { inputTokens: 10, outputTokens: 2 },
      durationMs: 9500,
    },
  ]);
}

async function render(mode: 'plain' | 'tty', events: readonly TaskflowEvent[]) {
  const stdout = collectingStream();
  const stderr = collectingStream();
  const reporter = await createReporter({
    mode,
    stdout: stdout.stream,
    stderr: stderr.stream,
    color: false,
    spinner: false,
    now: () => new Date('2025-03-01T12:00:00.000Z'),
  });
  for (const event of events) reporter.onEvent(event);
  reporter.close();
  return { stdout: stdout.text(), stderr: stderr.text() };
}

describe('rate-limit-wait', () => {
  it('says why a request waits and how long', () => {
    expect(describeRateLimitWait(wait('requests', 1200, 0))).toBe(
      'request budget of gpt-4.1 spent (0 left), next in 2s',
    );
    expect(describeRateLimitWait(wait('tokens', 450, 1234))).toBe(
      'token budget of gpt-4.1 spent (1,234 left), next in 450ms',
    );
    expect(describeRateLimitWait(wait('concurrency', null, null))).toBe(
      'at the concurrency limit of gpt-4.1, waiting for a free slot',
    );
    expect(describeRateLimitWait(wait('first-answer', null, null))).toBe(
      'learning the rate limits of gpt-4.1 from its first answer',
    );
    expect(describeRateLimitWait(wait('server-wait', 30_000, null))).toBe(
      'gpt-4.1 asked to wait, next in 30s',
    );
    expect(describeRateLimitWait(wait('daily-quota', 7_200_000, null))).toBe(
      'daily quota of gpt-4.1 spent, next in 2h00m00s',
    );
  });

  it('plain prints a line for waits of a second or more only', async () => {
    const { stdout } = await render(
      'plain',
      pacedRun([
        wait('requests', 40, 0),
        wait('first-answer', null, null),
        wait('tokens', 3000, 5),
      ]),
    );
    const paced = stdout.split('\n').filter((line) => line.includes('paced:'));
    expect(paced).toEqual([
      '2025-03-01T12:00:00.000Z [item 2] paced: token budget of gpt-4.1 spent (5 left), next in 3s',
    ]);
  });

  it('tty without a spinner prints noticeable waits as status lines, and the totals at the end', async () => {
    const { stdout, stderr } = await render(
      'tty',
      pacedRun([wait('requests', 40, 0), wait('server-wait', 5000, null)]),
    );
    expect(stderr).toContain('… [item 2] paced: gpt-4.1 asked to wait, next in 5s\n');
    expect(stderr).not.toContain('next in 40ms');
    expect(stdout).toContain('paced 4.2s · retry back-off 1.5s\n');
  });

  it('the run summary and the step summary report time paced and time in back-off', () => {
    const collector = summaryFromEvents();
    for (const event of pacedRun([])) collector.onEvent(event);
    const summary = collector.summary();
    if (summary === undefined) throw new Error('no summary');
    expect(summary.waiting).toEqual({ pacedMs: 4200, waitMs: 1500 });
    expect(renderStepSummary(summary)).toContain('· paced 4.2s · retry back-off 1.5s');
  });
});
