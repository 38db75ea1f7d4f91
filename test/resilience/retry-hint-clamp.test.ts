import { describe, expect, it } from 'vitest';
import type { ErrorClassification } from '../../src/model/model-error.js';
import { Breaker } from '../../src/resilience/breaker.js';
import { createFakeClock } from '../../src/resilience/clock.js';
import { MAX_HONOURED_HINT_MS } from '../../src/resilience/delays.js';
import { RateLimitGate } from '../../src/resilience/gate.js';
import { seededRandom } from '../../src/resilience/random.js';
import { runModelRequest } from '../../src/resilience/request-runner.js';
import { ResumableStop } from '../../src/resilience/resumable-stop.js';
import { capture, gaps, modelError, scriptedSend, type Step } from './resilience-kit.js';

/**
 * Absurd server hints (issue 10, defect 5b): a wait the server asks for is honoured up to
 * 7 days; anything longer (1e20 s, Infinity, a date in year 9999) is a resumable stop 7
 * days out, so `resumeNotBefore` is always a valid date. A NaN hint is no hint; a negative
 * one is 0 (retry at once, like a date in the past).
 */

const start = 1_000_000;

async function run(steps: readonly Step<string>[]) {
  const clock = createFakeClock(start);
  const endpoint = 'https://api.example.com/v1';
  const script = scriptedSend(clock, steps);
  const { outcome, done } = capture(
    runModelRequest(script.send, {
      key: 'task0/item0/turn1',
      endpoint,
      clock,
      random: seededRandom(7),
      gate: new RateLimitGate({ limit: 4, clock }),
      breaker: new Breaker({ clock, endpoint }),
    }),
  );
  await clock.runUntilIdle();
  await done;
  return { outcome, attempts: script.attempts, startedAt: script.startedAt, clock };
}

const hinted = (
  errorClass: ErrorClassification['errorClass'],
  status: number,
  hintMs: number,
): Step<string> => ({
  error: modelError(errorClass, { status, hintMs, hintSource: 'retry-after' }),
});

describe('absurd hints stop resumably with a valid resumeNotBefore', () => {
  it.each([
    ['429 retry-after 1e20 s', hinted('rate-limited', 429, 1e23), 'rate-limit'],
    ['429 quota, reset 1e20 s', hinted('quota', 429, 1e23), 'quota'],
    ['503 retry-after Infinity', hinted('server', 503, Number.POSITIVE_INFINITY), 'outage'],
    ['503 retry-after year 9999', hinted('server', 503, 253_402_300_799_000 - start), 'outage'],
  ] as const)('%s -> 1 attempt, stop 7 days out', async (_, step, reason) => {
    const result = await run([step]);
    expect(result.attempts).toEqual([1]);
    expect(result.clock.now()).toBe(start);
    const stop = result.outcome.error;
    expect(stop).toBeInstanceOf(ResumableStop);
    expect(stop).toMatchObject({
      code: 'stopped',
      reason,
      resumeNotBefore: start + MAX_HONOURED_HINT_MS,
    });
    expect(MAX_HONOURED_HINT_MS).toBe(7 * 24 * 3_600_000);
    expect(new Date((stop as ResumableStop).resumeNotBefore ?? Number.NaN).toISOString()).toBe(
      new Date(start + MAX_HONOURED_HINT_MS).toISOString(),
    );
    expect((stop as Error).message).not.toMatch(/e\+|Infinity|NaN/);
    expect((stop as Error).message).toMatch(/7 days/);
  });

  it('a 7-day hint is honoured as it is (the bound itself is not clamped)', async () => {
    const result = await run([hinted('quota', 429, MAX_HONOURED_HINT_MS)]);
    expect(result.outcome.error).toMatchObject({
      reason: 'quota',
      resumeNotBefore: start + MAX_HONOURED_HINT_MS,
    });
  });
});

describe('hints that are not waits', () => {
  it('503 with a NaN hint -> the transient ladder (0.5-1 s), then success', async () => {
    const result = await run([hinted('server', 503, Number.NaN), { value: 'ok' }]);
    expect(result.outcome.value).toBe('ok');
    const [gap = 0] = gaps(result.startedAt);
    expect(gap).toBeGreaterThanOrEqual(500);
    expect(gap).toBeLessThanOrEqual(1000);
  });

  it('quota with a NaN reset -> no reset known: code quota (exit 69), 1 attempt', async () => {
    const result = await run([hinted('quota', 429, Number.NaN)]);
    expect(result.attempts).toEqual([1]);
    expect(result.outcome.error).toMatchObject({ code: 'quota' });
  });

  it('429 with a negative hint -> retried at once, then success', async () => {
    const result = await run([hinted('rate-limited', 429, -5000), { value: 'ok' }]);
    expect(result.outcome.value).toBe('ok');
    expect(gaps(result.startedAt)).toEqual([0]);
  });
});

describe('ResumableStop', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY, 1e23])(
    'keeps no resumeNotBefore that is no valid date (%s)',
    (resumeNotBefore) => {
      const stop = new ResumableStop('outage', 'down', { resumeNotBefore });
      expect(stop.resumeNotBefore).toBeUndefined();
      expect(stop.code).toBe('stopped');
    },
  );
});
