import { describe, expect, it, vi } from 'vitest';
import { createFakeClock } from '../../src/resilience/clock.js';
import { retry, type RetryDecision, type RetryPolicy } from '../../src/resilience/retry.js';
import { capture } from './resilience-kit.js';

/** Retries every failure after `delayMs` until `maxAttempts`. */
function fixedPolicy(delayMs: number, maxAttempts: number): RetryPolicy {
  return {
    decide: (_error, attempt): RetryDecision =>
      attempt < maxAttempts ? { retry: true, delayMs, source: 'backoff' } : { retry: false },
  };
}

describe('retry', () => {
  it('sleeps the decided delay between attempts and returns the first success', async () => {
    const clock = createFakeClock();
    const times: number[] = [];
    const operation = (attempt: number) => {
      times.push(clock.now());
      return attempt < 3 ? Promise.reject(new Error(`fail ${attempt}`)) : Promise.resolve('ok');
    };
    const onRetry = vi.fn();
    const policy = { ...fixedPolicy(700, 5), onRetry };
    const { outcome, done } = capture(retry(operation, policy, { clock }));
    await clock.runUntilIdle();
    await done;
    expect(outcome.value).toBe('ok');
    expect(times).toEqual([0, 700, 1400]);
    expect(onRetry).toHaveBeenCalledTimes(2);
    expect(onRetry.mock.calls[1]?.[0]).toMatchObject({
      attempt: 2,
      delayMs: 700,
      source: 'backoff',
      error: new Error('fail 2'),
    });
  });

  it('rethrows the last error, or the replacement the policy names', async () => {
    const clock = createFakeClock();
    const errors = [new Error('one'), new Error('two')];
    const operation = (attempt: number) => Promise.reject(errors[attempt - 1] ?? new Error('more'));
    const last = capture(retry(operation, fixedPolicy(10, 2), { clock }));
    await clock.runUntilIdle();
    await last.done;
    expect(last.outcome.error).toBe(errors[1]);

    const replacement = new Error('replacement');
    const replaced = retry(
      operation,
      { decide: () => ({ retry: false, error: replacement }) },
      { clock },
    );
    await expect(replaced).rejects.toBe(replacement);
  });

  it('continues a count from firstAttempt and awaits beforeAttempt each time', async () => {
    const clock = createFakeClock();
    const seen: number[] = [];
    const before: number[] = [];
    const policy: RetryPolicy = {
      ...fixedPolicy(0, 12),
      beforeAttempt: (attempt) => {
        before.push(attempt);
        return Promise.resolve();
      },
    };
    const operation = (attempt: number) => {
      seen.push(attempt);
      return attempt < 12 ? Promise.reject(new Error('x')) : Promise.resolve(attempt);
    };
    await expect(retry(operation, policy, { clock, firstAttempt: 10 })).resolves.toBe(12);
    expect(seen).toEqual([10, 11, 12]);
    expect(before).toEqual([10, 11, 12]);
  });

  it('stops promptly with cancelled when aborted during a wait', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    let attempts = 0;
    const operation = () => {
      attempts += 1;
      return Promise.reject(new Error('down'));
    };
    const run = capture(
      retry(operation, fixedPolicy(30_000, 10), { clock, signal: controller.signal }),
    );
    await clock.advance(5000);
    controller.abort();
    await run.done;
    expect(run.outcome.error).toMatchObject({ code: 'cancelled' });
    expect(attempts).toBe(1);
    expect(clock.pendingSleeps).toBe(0);
    await expect(
      retry(operation, fixedPolicy(1, 3), { clock, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(attempts).toBe(1);
  });
});
