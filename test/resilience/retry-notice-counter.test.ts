import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/model/model-error.js';
import { Breaker } from '../../src/resilience/breaker.js';
import { createFakeClock } from '../../src/resilience/clock.js';
import { RateLimitGate } from '../../src/resilience/gate.js';
import { seededRandom } from '../../src/resilience/random.js';
import type { ModelRetryInfo } from '../../src/resilience/request-policy.js';
import { runModelRequest, type ModelRequestContext } from '../../src/resilience/request-runner.js';
import {
  capture,
  modelError,
  rateLimited,
  scriptedSend,
  serverError,
  type Step,
} from './resilience-kit.js';

/**
 * The `attempt a/t` of retry notices: one counter per logical request with one total that
 * never changes, whichever ladder a failure is on and whether the breaker holds the
 * request past its ladder (the counter used to jump from `5/6` to `6/12`).
 */

const endpoint = 'https://api.example.com/v1';

async function retriesOf(
  steps: readonly Step<string>[],
  extra: Partial<ModelRequestContext> = {},
): Promise<ModelRetryInfo[]> {
  const clock = createFakeClock(1_000_000);
  const retries: ModelRetryInfo[] = [];
  const script = scriptedSend(clock, steps);
  const { done } = capture(
    runModelRequest(script.send, {
      key: 'task0/item0/turn1',
      endpoint,
      clock,
      random: seededRandom(3),
      gate: new RateLimitGate({ limit: 4, clock }),
      breaker: new Breaker({ clock, endpoint }),
      onRetry: (info) => retries.push(info),
      ...extra,
    }),
  );
  await clock.runUntilIdle();
  await done;
  return retries;
}

/** Attempts climb by one; the total is the same on every notice and above every attempt. */
function expectOneCounter(retries: readonly ModelRetryInfo[], firstAttempt = 1): void {
  expect(retries.map((retry) => retry.attempt)).toEqual(
    retries.map((_, index) => firstAttempt + index),
  );
  const totals = new Set(retries.map((retry) => retry.maxAttempts));
  expect([...totals]).toHaveLength(1);
  for (const retry of retries) expect(retry.attempt).toBeLessThan(retry.maxAttempts);
}

describe('retry notice counter', () => {
  it('endless 500 past the transient ladder into the breaker: no jump from 5/6 to 6/12', async () => {
    const retries = await retriesOf([{ error: serverError(500) }]);
    expect(retries.length).toBeGreaterThan(6);
    expectOneCounter(retries);
    expect(retries[0]?.maxAttempts).toBe(12);
  });

  it('a request whose failures change ladders (503, 429, 503, 429) keeps one total', async () => {
    const hinted = { hintMs: 50, hintSource: 'retry-after-ms' } as const;
    const retries = await retriesOf([
      { error: modelError('server', { status: 503, ...hinted }) },
      { error: rateLimited(hinted) },
      { error: modelError('server', { status: 503, ...hinted }) },
      { error: rateLimited(hinted) },
      { value: 'ok' },
    ]);
    expect(retries).toHaveLength(4);
    expectOneCounter(retries);
  });

  it('attempts of earlier runs continue the same count and total', async () => {
    const retries = await retriesOf([{ error: serverError() }, { value: 'ok' }], {
      previousAttempts: 4,
    });
    expect(retries.map((retry) => [retry.attempt, retry.maxAttempts])).toEqual([[5, 12]]);
  });

  it('the notice carries the short reason the boundary gave the failure', async () => {
    const reset = new ModelError(
      `cannot reach ${endpoint} (ECONNRESET) for model m`,
      { errorClass: 'network', retryable: true },
      { reason: 'connection reset (ECONNRESET)' },
    );
    const [retry] = await retriesOf([{ error: reset }, { value: 'ok' }]);
    expect(retry?.reason).toBe('connection reset (ECONNRESET)');
    expect(retry?.message).toBe(`cannot reach ${endpoint} (ECONNRESET) for model m`);
  });
});
