import { describe, expect, it } from 'vitest';
import type { TaskflowEvent } from '../../src/events.js';
import { describeRetry } from '../../src/output/format.js';

/** The retry notice of the tty and plain reporters: why, the cause, the wait, the counter. */

type ModelRetryEvent = Extract<TaskflowEvent, { type: 'model-retry' }>;

function retryEvent(extra: Partial<ModelRetryEvent> = {}): ModelRetryEvent {
  return {
    type: 'model-retry',
    timestamp: '2025-03-01T12:00:00.000Z',
    taskIndex: 0,
    itemIndex: 0,
    errorClass: 'network',
    status: null,
    attempt: 2,
    maxAttempts: 12,
    delayMs: 1500,
    delaySource: 'backoff',
    message: 'cannot reach https://api.example.com/v1 (ECONNRESET) for model gpt-4.1',
    ...extra,
  };
}

describe('describeRetry', () => {
  it('names the short cause when the boundary gave one', () => {
    expect(describeRetry(retryEvent({ cause: 'connection reset (ECONNRESET)' }))).toBe(
      'network error: connection reset (ECONNRESET); retrying in 2s (attempt 2/12)',
    );
  });

  it('falls back to the message, so a notice always says why', () => {
    expect(describeRetry(retryEvent())).toBe(
      'network error: cannot reach https://api.example.com/v1 (ECONNRESET) for model gpt-4.1; retrying in 2s (attempt 2/12)',
    );
  });

  it('keeps a long or multi-line cause to one bounded line without escapes', () => {
    const notice = describeRetry(
      retryEvent({
        errorClass: 'server',
        status: 503,
        cause: `\u001b[31m${'x'.repeat(400)}\nmore`,
      }),
    );
    expect(notice).not.toContain('\n');
    expect(notice).not.toContain('\u001b');
    expect(notice).toMatch(/^server error \(503\): x+…; retrying in 2s \(attempt 2\/12\)$/);
  });
});
