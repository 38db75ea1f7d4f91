import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import type { ErrorClass } from '../../src/model/model-error.js';
import { Breaker } from '../../src/resilience/breaker.js';
import { createFakeClock } from '../../src/resilience/clock.js';
import { RateLimitGate } from '../../src/resilience/gate.js';
import { seededRandom } from '../../src/resilience/random.js';
import { createRequestCounters, type ModelRetryInfo } from '../../src/resilience/request-policy.js';
import { runModelRequest, type ModelRequestContext } from '../../src/resilience/request-runner.js';
import { ResumableStop } from '../../src/resilience/resumable-stop.js';
import {
  capture,
  gaps,
  modelError,
  rateLimited,
  scriptedSend,
  serverError,
  type Step,
} from './resilience-kit.js';

const endpoint = 'http://localhost:11434/v1';

/** Runs one logical request to the end on a fresh fake clock, gate and breaker. */
async function run<T>(steps: readonly Step<T>[], extra: Partial<ModelRequestContext> = {}) {
  const clock = createFakeClock(1_000_000);
  const retries: ModelRetryInfo[] = [];
  const failed: [number, ErrorClass][] = [];
  const counters = createRequestCounters();
  const context: ModelRequestContext = {
    key: 'task0/item0/turn1',
    endpoint,
    clock,
    random: seededRandom(7),
    gate: new RateLimitGate({ limit: 4, clock }),
    breaker: new Breaker({ clock, endpoint }),
    counters,
    onRetry: (info) => retries.push(info),
    onAttemptFailed: (attempts, errorClass) => {
      failed.push([attempts, errorClass]);
    },
    ...extra,
  };
  const script = scriptedSend(clock, steps);
  const { outcome, done } = capture(runModelRequest(script.send, context));
  await clock.runUntilIdle();
  await done;
  const relative = script.startedAt.map((time) => time - 1_000_000);
  return {
    outcome,
    retries,
    failed,
    counters,
    clock,
    startedAt: relative,
    attempts: script.attempts,
  };
}

function expectWithin(value: number | undefined, low: number, high: number): void {
  expect(value).toBeGreaterThanOrEqual(low);
  expect(value).toBeLessThanOrEqual(high);
}

describe('runModelRequest: transient ladder', () => {
  it('503, 503, 200 -> 3 attempts, waits in [0.5, 1] s then [1, 2] s', async () => {
    const result = await run([{ error: serverError() }, { error: serverError() }, { value: 'ok' }]);
    expect(result.outcome.value).toBe('ok');
    expect(result.attempts).toEqual([1, 2, 3]);
    const [first, second] = gaps(result.startedAt);
    expectWithin(first, 500, 1000);
    expectWithin(second, 1000, 2000);
    expect(
      result.retries.map(({ errorClass, status, attempt, maxAttempts, delaySource }) => [
        errorClass,
        status,
        attempt,
        maxAttempts,
        delaySource,
      ]),
    ).toEqual([
      ['server', 503, 1, 12, 'backoff'],
      ['server', 503, 2, 12, 'backoff'],
    ]);
    expect(result.failed).toEqual([
      [1, 'server'],
      [2, 'server'],
    ]);
    expect(result.counters).toMatchObject({
      attempts: 3,
      retries: 2,
      retriesByClass: { server: 2 },
    });
    expect(result.counters.waitMs).toBe((first ?? 0) + (second ?? 0));
  });

  it('endless 500 -> 6 attempts (transient cap), then the last error as is', async () => {
    const errors = Array.from({ length: 6 }, () => ({ error: serverError(500) }));
    const result = await run(errors, { breaker: undefined });
    expect(result.attempts).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.outcome.error).toBe(errors[5]?.error);
    const waits = gaps(result.startedAt);
    [1000, 2000, 4000, 8000, 16_000].forEach((ceiling, index) => {
      expectWithin(waits[index], ceiling / 2, ceiling);
    });
  });

  it('the 12-attempt cap counts attempts of earlier runs: previousAttempts 10 -> 2 more', async () => {
    const last = serverError(500);
    const result = await run([{ error: serverError(500) }, { error: last }], {
      previousAttempts: 10,
    });
    expect(result.attempts).toEqual([11, 12]);
    expect(result.outcome.error).toBe(last);
    expect(result.retries.map(({ attempt, maxAttempts }) => [attempt, maxAttempts])).toEqual([
      [11, 12],
    ]);
    expect(result.failed).toEqual([
      [11, 'server'],
      [12, 'server'],
    ]);
  });

  it('the 12-attempt cap bounds mixed ladders: 7 x 429 then endless 503 -> exactly 12', async () => {
    const steps: Step<string>[] = [
      ...Array.from({ length: 7 }, () => ({ error: rateLimited() })),
      { error: serverError() },
    ];
    const result = await run(steps);
    expect(result.attempts).toHaveLength(12);
    expect(result.outcome.error).toBe(steps[7] && 'error' in steps[7] ? steps[7].error : undefined);
  });

  it('no attempt at all when earlier runs used the cap', async () => {
    const result = await run([{ value: 'ok' }], { previousAttempts: 12 });
    expect(result.attempts).toEqual([]);
    expect(result.outcome.error).toMatchObject({ code: 'model' });
  });

  it('per-model overrides: max_attempts 4 -> 4 attempts', async () => {
    const result = await run([{ error: serverError() }], { overrides: { maxAttempts: 4 } });
    expect(result.attempts).toEqual([1, 2, 3, 4]);
  });

  it('a Retry-After on a 503 is honoured instead of the ladder', async () => {
    const hinted = modelError('server', { status: 503, hintMs: 7000, hintSource: 'retry-after' });
    const result = await run([{ error: hinted }, { value: 'ok' }]);
    expectWithin(gaps(result.startedAt)[0], 7000, 7700);
    expect(result.retries[0]?.delaySource).toBe('retry-after');
  });
});

describe('runModelRequest: hints and the rate-limit ladder', () => {
  it('429 retry-after-ms 1500 -> next attempt within [1.5, 1.65] s', async () => {
    const hinted = rateLimited({ hintMs: 1500, hintSource: 'retry-after-ms' });
    const result = await run([{ error: hinted }, { value: 'ok' }]);
    expect(result.attempts).toEqual([1, 2]);
    expectWithin(gaps(result.startedAt)[0], 1500, 1650);
    expect(result.retries[0]).toMatchObject({
      errorClass: 'rate-limited',
      status: 429,
      maxAttempts: 12,
      delaySource: 'retry-after-ms',
    });
  });

  it('hint 3600 s -> 1 attempt, no sleep, stop with resumeNotBefore = now + 3600 s', async () => {
    const hinted = rateLimited({ hintMs: 3_600_000, hintSource: 'retry-after' });
    const result = await run([{ error: hinted }]);
    expect(result.attempts).toEqual([1]);
    expect(result.clock.now()).toBe(1_000_000);
    expect(result.retries).toEqual([]);
    const stop = result.outcome.error;
    expect(stop).toBeInstanceOf(ResumableStop);
    expect(stop).toMatchObject({
      code: 'stopped',
      reason: 'rate-limit',
      resumeNotBefore: 4_600_000,
    });
    expect((stop as Error).cause).toBe(hinted);
  });

  it('429 x3 without hints, then 200 -> waits in [1, 2], [2, 4], [4, 8] s', async () => {
    const result = await run([
      { error: rateLimited() },
      { error: rateLimited() },
      { error: rateLimited() },
      { value: 'ok' },
    ]);
    expect(result.outcome.value).toBe('ok');
    const [first, second, third] = gaps(result.startedAt);
    expectWithin(first, 1000, 2000);
    expectWithin(second, 2000, 4000);
    expectWithin(third, 4000, 8000);
    expect(result.counters.retriesByClass).toEqual({ 'rate-limited': 3 });
  });

  it('endless 429 -> 8 attempts (rate-limit cap), then a resumable stop 30-60 s out', async () => {
    const result = await run([{ error: rateLimited() }]);
    expect(result.attempts).toHaveLength(8);
    const stop = result.outcome.error;
    expect(stop).toBeInstanceOf(ResumableStop);
    expect(stop).toMatchObject({ code: 'stopped', reason: 'rate-limit' });
    expect((stop as Error).cause).toMatchObject({ classification: { errorClass: 'rate-limited' } });
    const resumeIn = ((stop as ResumableStop).resumeNotBefore ?? 0) - result.clock.now();
    expectWithin(resumeIn, 30_000, 60_000);
  });

  it('more than 20 minutes of waiting -> stop (wait-budget)', async () => {
    const hinted = modelError('server', {
      status: 503,
      hintMs: 290_000,
      hintSource: 'retry-after',
    });
    const result = await run([{ error: hinted }]);
    // Four waits of 290-291 s fit in 1200 s; the fifth does not.
    expect(result.attempts).toEqual([1, 2, 3, 4, 5]);
    expect(result.outcome.error).toMatchObject({ code: 'stopped', reason: 'wait-budget' });
    const stop = result.outcome.error as ResumableStop;
    expectWithin((stop.resumeNotBefore ?? 0) - result.clock.now(), 290_000, 291_000);
  });
});

describe('runModelRequest: stops without retry', () => {
  it('insufficient_quota -> 1 attempt, code quota', async () => {
    const quota = modelError('quota', { status: 429 });
    const result = await run([{ error: quota }]);
    expect(result.attempts).toEqual([1]);
    expect(result.outcome.error).toBe(quota);
    expect(result.outcome.error).toMatchObject({ code: 'quota' });
  });

  it('quota with a known reset -> stopped with resumeNotBefore', async () => {
    const quota = modelError('quota', {
      status: 429,
      hintMs: 8 * 3_600_000,
      hintSource: 'reset-header',
    });
    const result = await run([{ error: quota }]);
    expect(result.attempts).toEqual([1]);
    expect(result.outcome.error).toMatchObject({
      code: 'stopped',
      reason: 'quota',
      resumeNotBefore: 1_000_000 + 8 * 3_600_000,
    });
  });

  it.each([
    'server-said-no',
    'auth',
    'config',
    'context-overflow',
    'bad-request',
    'content-filtered',
    'unknown',
  ] as const)('%s -> 1 attempt, the error as is', async (errorClass) => {
    const error = modelError(errorClass, { status: 400 });
    const result = await run([{ error }]);
    expect(result.attempts).toEqual([1]);
    expect(result.outcome.error).toBe(error);
  });

  it('an unclassified error stops at once and is journaled as unknown', async () => {
    const error = new TypeError('bug');
    const result = await run([{ error }]);
    expect(result.outcome.error).toBe(error);
    expect(result.failed).toEqual([[1, 'unknown']]);
  });

  it('connection refused by a local server -> 2 attempts, then config naming the endpoint', async () => {
    const refused = modelError('network', { localRefused: true });
    const result = await run([{ error: refused }]);
    expect(result.attempts).toEqual([1, 2]);
    expect(result.outcome.error).toBeInstanceOf(TaskflowError);
    expect(result.outcome.error).toMatchObject({ code: 'config' });
    expect((result.outcome.error as Error).message).toBe(
      `${endpoint}: connection refused 2 times — is the local server running?`,
    );
    expect(result.retries[0]?.maxAttempts).toBe(12);
  });
});

describe('runModelRequest: cancellation', () => {
  it('abort during a 30 s backoff rejects promptly with cancelled, no further attempt', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const hinted = modelError('server', { status: 503, hintMs: 30_000, hintSource: 'retry-after' });
    const script = scriptedSend(clock, [{ error: hinted }, { value: 'ok' }]);
    const failed: number[] = [];
    const request = capture(
      runModelRequest(script.send, {
        key: 'k',
        clock,
        random: seededRandom(1),
        signal: controller.signal,
        onAttemptFailed: (attempts) => {
          failed.push(attempts);
        },
      }),
    );
    await clock.advance(10_000);
    expect(request.outcome.settled).toBe(false);
    controller.abort();
    await request.done;
    expect(request.outcome.error).toMatchObject({ code: 'cancelled' });
    expect(clock.now()).toBe(10_000);
    expect(clock.pendingSleeps).toBe(0);
    await clock.runUntilIdle();
    expect(script.attempts).toEqual([1]);
    expect(failed).toEqual([1]);
  });

  it('a cancelled attempt is not journaled as a failure', async () => {
    const result = await run([{ error: modelError('cancelled') }]);
    expect(result.attempts).toEqual([1]);
    expect(result.failed).toEqual([]);
  });
});

describe('runModelRequest: breaker', () => {
  it('endless 500 -> 6 attempts open the breaker, probes follow, outage after 10 min', async () => {
    const result = await run([{ error: serverError(500) }]);
    const opened = result.startedAt[5] ?? 0;
    expect(result.attempts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.startedAt.slice(6).map((time) => time - opened)).toEqual([
      30_000, 90_000, 210_000, 450_000,
    ]);
    expect(result.outcome.error).toMatchObject({ code: 'stopped', reason: 'outage' });
    expect(result.clock.now() - 1_000_000 - opened).toBe(600_000);
    expect(
      result.retries.slice(5).map(({ maxAttempts, delayMs }) => [maxAttempts, delayMs]),
    ).toEqual([
      [12, 30_000],
      [12, 60_000],
      [12, 120_000],
      [12, 240_000],
      // The next probe would fall after the deadline: it waits for the breaker's verdict.
      [12, 150_000],
    ]);
  });

  it('a probe that succeeds ends the outage', async () => {
    const steps: Step<string>[] = [
      ...Array.from({ length: 7 }, () => ({ error: serverError(502) })),
      { value: 'back' },
    ];
    const result = await run(steps);
    expect(result.outcome.value).toBe('back');
    expect(result.attempts).toHaveLength(8);
  });
});

describe('runModelRequest: shared gate with ten concurrent requests', () => {
  it('a 429 closes the gate for everyone; they restart staggered; the limit halves and recovers', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 10, clock });
    const breaker = new Breaker({ clock });
    const starts: { request: number; at: number }[] = [];
    const limitAfter429: number[] = [];
    let first429 = true;
    const send = (request: number) => async (): Promise<string> => {
      starts.push({ request, at: clock.now() });
      if (request === 0 && first429) {
        first429 = false;
        throw rateLimited({ hintMs: 2000, hintSource: 'retry-after-ms' });
      }
      await clock.sleep(100);
      return `done ${request}`;
    };
    const requests = Array.from({ length: 21 }, (_, request) =>
      capture(
        runModelRequest(send(request), {
          key: `r${request}`,
          clock,
          gate,
          breaker,
          random: seededRandom(request + 1),
          onRetry: () => limitAfter429.push(gate.effectiveLimit),
        }),
      ),
    );
    await clock.runUntilIdle();
    await Promise.all(requests.map(({ done }) => done));
    expect(requests.map(({ outcome }) => outcome.value)).toEqual(
      Array.from({ length: 21 }, (_, request) => `done ${request}`),
    );
    const reopenAt = gate.reopenAt;
    expectWithin(reopenAt, 2000, 2200);
    const times = starts.map(({ at }) => at);
    expect(times.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 0));
    // Nothing starts while the gate is closed; afterwards starts are >= 200 ms apart.
    expect(times.filter((at) => at > 0 && at < reopenAt)).toEqual([]);
    const later = times.slice(10);
    expect(later).toHaveLength(12);
    expect(later[0]).toBe(reopenAt);
    expect(Math.min(...gaps(later))).toBeGreaterThanOrEqual(200);
    expect(limitAfter429).toEqual([5]);
    // 20 successes in a row since the 429 raise the limit by one.
    expect(gate.effectiveLimit).toBe(6);
    expect(gate.consecutive429s).toBe(0);
  });
});
