import { describe, expect, it } from 'vitest';
import { createFakeClock, type FakeClock } from '../../src/resilience/clock.js';
import { RateLimitGate } from '../../src/resilience/gate.js';
import type { PacerAnswer } from '../../src/resilience/pacer-headers.js';
import { InMemoryPacerStore } from '../../src/resilience/pacer-store.js';
import { Pacer, type PacerWait } from '../../src/resilience/pacer.js';
import { seededRandom } from '../../src/resilience/random.js';
import type { DeclaredRateLimits } from '../../src/resilience/rate-limits-config.js';
import { createRequestCounters } from '../../src/resilience/request-policy.js';
import {
  runModelRequest,
  type AttemptObserver,
  type ModelRequestContext,
} from '../../src/resilience/request-runner.js';
import { ResumableStop } from '../../src/resilience/resumable-stop.js';
import { capture, modelError, rateLimited } from './resilience-kit.js';

/**
 * The pacer in front of the gate (scale-out.md "Pacing"): every attempt takes a permit
 * first, answers reach it, and 429s it has read are its to handle, not the gate's.
 */

interface Answered {
  readonly text: string;
  readonly usage?: { inputTokens: number; outputTokens: number };
}

/** Error answers travel on the error, as the model boundary's errors do. */
const answers = new WeakMap<Error, PacerAnswer>();

function withAnswer(error: Error, answer: PacerAnswer): Error {
  answers.set(error, answer);
  return error;
}

function setup(options: { declared?: DeclaredRateLimits; gateLimit?: number } = {}) {
  const clock = createFakeClock();
  const store = new InMemoryPacerStore();
  const pacer = new Pacer({ key: 'k', store, clock, where: 'http://model (model m)', ...options });
  const gate = new RateLimitGate({ limit: options.gateLimit ?? 10, clock });
  return { clock, store, pacer, gate };
}

type Send = (
  attempt: number,
  signal: AbortSignal | undefined,
  observer: AttemptObserver,
) => Promise<Answered>;

function request(
  parts: ReturnType<typeof setup>,
  send: Send,
  extra: Partial<ModelRequestContext<Answered>> & { waits?: PacerWait[] } = {},
) {
  const { clock, pacer, gate } = parts;
  const { waits, ...context } = extra;
  return capture(
    runModelRequest(send, {
      key: 'r',
      clock,
      gate,
      random: seededRandom(3),
      pacing: {
        pacer,
        demand: { inputTokens: 10, concurrencyLimit: 10 },
        onWait: (wait) => waits?.push(wait),
        usageOf: (result) => result.usage,
        answerOf: (error) => (error instanceof Error ? answers.get(error) : undefined),
      },
      ...context,
    }),
  );
}

/** A send that answers 200 after `latencyMs`, with the given headers, and records its start. */
function answering(clock: FakeClock, starts: number[], headers: Record<string, string> = {}): Send {
  return async (_attempt, _signal, observer) => {
    starts.push(clock.now());
    observer.sent();
    await clock.sleep(100);
    observer.answered({ status: 200, headers });
    return { text: 'ok', usage: { inputTokens: 8, outputTokens: 30 } };
  };
}

describe('runModelRequest with a pacer', () => {
  it('every attempt waits for its permit before the gate; the wait is counted as paced', async () => {
    const parts = setup({ declared: { requestsPerMinute: 600 } });
    const starts: number[] = [];
    const waits: PacerWait[] = [];
    const counters = createRequestCounters();
    const send = answering(parts.clock, starts);
    const requests = [0, 1, 2].map(() => request(parts, send, { counters, waits }));
    expect(parts.gate.waiting).toBe(0);
    await parts.clock.runUntilIdle();
    await Promise.all(requests.map(({ done }) => done));
    expect(requests.map(({ outcome }) => outcome.value?.text)).toEqual(['ok', 'ok', 'ok']);
    // 600 a minute: one every 100 ms, held by the pacer (the gate never had a queue).
    expect(starts).toEqual([0, 100, 200]);
    expect(waits.map((wait) => [wait.reason, wait.delayMs])).toEqual([
      ['requests', 100],
      ['requests', 100],
    ]);
    expect(counters.pacedMs).toBe(300);
    expect(counters.queuedMs).toBe(0);
    // The answers' usage taught the pacer the output size.
    expect(parts.store.state('k')?.outputAverage).toBeGreaterThan(0);
  });

  it('a concurrency 429 lowers the pacer concurrency; the gate stays open and whole', async () => {
    const parts = setup();
    const tooMany = () =>
      withAnswer(rateLimited(), {
        status: 429,
        headers: {},
        message: 'Too many concurrent requests',
      });
    let sent = 0;
    const send: Send = async () => {
      sent += 1;
      if (sent === 1) {
        await parts.clock.sleep(50);
        return { text: 'first' };
      }
      if (sent <= 4) throw tooMany();
      await parts.clock.sleep(50);
      return { text: 'ok' };
    };
    const requests = [0, 1, 2, 3].map(() => request(parts, send));
    await parts.clock.runUntilIdle();
    await Promise.all(requests.map(({ done }) => done));
    expect(requests.every(({ outcome }) => outcome.value !== undefined)).toBe(true);
    expect(parts.gate.reopenAt).toBe(Number.NEGATIVE_INFINITY);
    expect(parts.gate.effectiveLimit).toBe(10);
    expect(parts.store.state('k')?.concurrency.ceiling).not.toBeNull();
  });

  it('a 429 whose bucket the pacer read holds later requests in the pacer, not the gate', async () => {
    const parts = setup();
    const starts: number[] = [];
    const headers = (remaining: number) => ({
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-remaining-requests': String(remaining),
      'x-ratelimit-reset-requests': '1s',
    });
    let sent = 0;
    const send: Send = async (_attempt, _signal, observer) => {
      sent += 1;
      starts.push(parts.clock.now());
      if (sent === 2) {
        throw withAnswer(rateLimited({ hintMs: 1000, hintSource: 'reset-header' }), {
          status: 429,
          headers: headers(0),
        });
      }
      await parts.clock.sleep(10);
      observer.answered({ status: 200, headers: headers(5) });
      return { text: 'ok' };
    };
    const requests = [0, 1, 2].map(() => request(parts, send));
    await parts.clock.runUntilIdle();
    await Promise.all(requests.map(({ done }) => done));
    expect(requests.every(({ outcome }) => outcome.value?.text === 'ok')).toBe(true);
    expect(parts.gate.reopenAt).toBe(Number.NEGATIVE_INFINITY);
    expect(parts.gate.effectiveLimit).toBe(10);
    expect(parts.gate.consecutive429s).toBe(0);
  });

  it('a 429 the pacer cannot read (no headers, no message) still closes the gate', async () => {
    const parts = setup();
    let sent = 0;
    const send: Send = () => {
      sent += 1;
      if (sent === 1)
        return Promise.reject(rateLimited({ hintMs: 2000, hintSource: 'retry-after' }));
      return Promise.resolve({ text: 'ok' });
    };
    const first = request(parts, send);
    await parts.clock.advance(0);
    await parts.clock.runUntilIdle();
    await first.done;
    expect(first.outcome.value?.text).toBe('ok');
    expect(parts.gate.reopenAt).toBeGreaterThanOrEqual(2000);
    expect(parts.gate.effectiveLimit).toBe(5);
  });

  it('abort while waiting for the budget rejects at once as cancelled, nothing sent', async () => {
    const parts = setup({ declared: { requestsPerMinute: 6 } });
    const starts: number[] = [];
    const send = answering(parts.clock, starts);
    const controller = new AbortController();
    const first = request(parts, send);
    const second = request(parts, send, { signal: controller.signal });
    await parts.clock.advance(1000);
    expect(second.outcome.settled).toBe(false);
    controller.abort();
    await second.done;
    expect(second.outcome.error).toMatchObject({ code: 'cancelled' });
    expect(parts.clock.now()).toBe(1000);
    await parts.clock.runUntilIdle();
    await first.done;
    expect(starts).toEqual([0]);
  });

  it('a daily quota stops every waiting request after exactly one was sent', async () => {
    const parts = setup();
    let sent = 0;
    const send: Send = () => {
      sent += 1;
      const quota = modelError('quota', {
        status: 429,
        hintMs: 40_000_000,
        hintSource: 'retry-after',
      });
      return Promise.reject(
        withAnswer(quota, {
          status: 429,
          headers: { 'retry-after': '40000', 'x-ratelimit-type': 'UserByModelByDay' },
          message: 'Rate limit of 150 per 86400s exceeded for UserByModelByDay.',
        }),
      );
    };
    const requests = [0, 1, 2, 3, 4].map(() => request(parts, send));
    await parts.clock.runUntilIdle();
    await Promise.all(requests.map(({ done }) => done));
    expect(sent).toBe(1);
    for (const { outcome } of requests) {
      expect(outcome.error).toBeInstanceOf(ResumableStop);
      expect(outcome.error).toMatchObject({ reason: 'quota' });
    }
  });
});
