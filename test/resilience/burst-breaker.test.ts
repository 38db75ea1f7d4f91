import { describe, expect, it } from 'vitest';
import { Breaker, type BreakerPermit } from '../../src/resilience/breaker.js';
import { createFakeClock } from '../../src/resilience/clock.js';
import { seededRandom } from '../../src/resilience/random.js';
import { runModelRequest } from '../../src/resilience/request-runner.js';
import { capture, serverError } from './resilience-kit.js';

/**
 * A burst of transient failures from requests that were in flight together is one failure
 * signal for the breaker (issue 10, defect 10a): a failure counts only when its request
 * was let through after the last counted failure was reported.
 */

async function acquireMany(breaker: Breaker, count: number): Promise<BreakerPermit[]> {
  return Promise.all(Array.from({ length: count }, () => breaker.acquire()));
}

async function failInTurn(breaker: Breaker, count: number): Promise<void> {
  for (let failure = 0; failure < count; failure += 1) {
    const [permit] = await acquireMany(breaker, 1);
    permit?.failed();
    permit?.release();
  }
}

describe('Breaker: bursts', () => {
  it('10 concurrent failures count once; 5 more in turn open it (6 signals)', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock });
    const burst = await acquireMany(breaker, 10);
    for (const permit of burst) {
      permit.failed();
      permit.release();
    }
    expect(breaker.state).toBe('closed');
    await failInTurn(breaker, 4);
    expect(breaker.state).toBe('closed');
    await failInTurn(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.probeWaitMs()).toBe(30_000);
  });

  it('a request let through after a counted failure counts even when others are still out', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock });
    // Six overlapping waves: each new request starts after the previous wave's first
    // failure was counted, while one request of every earlier wave is still in flight.
    const stragglers: BreakerPermit[] = [];
    for (let wave = 0; wave < 6; wave += 1) {
      const [counted, straggler] = await acquireMany(breaker, 2);
      if (counted === undefined || straggler === undefined) throw new Error('no permit');
      counted.failed();
      stragglers.push(straggler);
      expect(breaker.state).toBe(wave < 5 ? 'closed' : 'open');
    }
    // The stragglers' failures say nothing new.
    for (const permit of stragglers) permit.failed();
    expect(breaker.state).toBe('open');
  });

  it('a success in between resets the count as before', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock });
    await failInTurn(breaker, 5);
    const [success] = await acquireMany(breaker, 1);
    success?.succeeded();
    await failInTurn(breaker, 5);
    expect(breaker.state).toBe('closed');
  });
});

describe('runModelRequest: ten concurrent requests, one 500 each, then success', () => {
  it('20 attempts, none delayed by the breaker: every retry within [0.5, 1] s', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock });
    const starts: { request: number; at: number }[] = [];
    const send = (request: number) => async (attempt: number) => {
      starts.push({ request, at: clock.now() });
      // 100 ms of latency: all ten first attempts are in flight together.
      await clock.sleep(100);
      if (attempt === 1) throw serverError(500);
      return `done ${request}`;
    };
    const requests = Array.from({ length: 10 }, (_, request) =>
      capture(
        runModelRequest(send(request), {
          key: `r${request}`,
          clock,
          breaker,
          random: seededRandom(request + 1),
        }),
      ),
    );
    await clock.runUntilIdle();
    await Promise.all(requests.map(({ done }) => done));
    expect(requests.map(({ outcome }) => outcome.value)).toEqual(
      Array.from({ length: 10 }, (_, request) => `done ${request}`),
    );
    expect(starts).toHaveLength(20);
    expect(starts.slice(0, 10).map(({ at }) => at)).toEqual(Array.from({ length: 10 }, () => 0));
    // Failed at 100 ms; the transient ladder's first wait is 0.5-1 s, no 30 s probe wait.
    for (const { at } of starts.slice(10)) {
      expect(at).toBeGreaterThanOrEqual(600);
      expect(at).toBeLessThanOrEqual(1100);
    }
    expect(breaker.state).toBe('closed');
  });
});
