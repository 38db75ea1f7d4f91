import { describe, expect, it } from 'vitest';
import { Breaker, BreakerRegistry, type BreakerPermit } from '../../src/resilience/breaker.js';
import { createFakeClock, type FakeClock } from '../../src/resilience/clock.js';
import { ResumableStop } from '../../src/resilience/resumable-stop.js';
import { capture } from './resilience-kit.js';

async function failTimes(breaker: Breaker, count: number): Promise<void> {
  for (let failure = 0; failure < count; failure += 1) {
    const permit = await breaker.acquire();
    permit.failed();
    permit.release();
  }
}

/** One caller waiting for leave; resolves with the permit and the time it was granted. */
function waitForPermit(breaker: Breaker, clock: FakeClock) {
  return breaker.acquire().then((permit: BreakerPermit) => ({ permit, at: clock.now() }));
}

describe('Breaker', () => {
  it('opens after 6 consecutive transient failures; a success resets the count', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock });
    await failTimes(breaker, 5);
    const success = await breaker.acquire();
    success.succeeded();
    await failTimes(breaker, 5);
    expect(breaker.state).toBe('closed');
    expect(breaker.probeWaitMs()).toBeUndefined();
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.probeWaitMs()).toBe(30_000);
  });

  it('sends one probe after 30, 60, 120, 240 s and stops everyone 10 min after opening', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock, endpoint: 'https://api.example.com/v1' });
    await failTimes(breaker, 6);
    const probeTimes: number[] = [];
    // Three callers; whoever holds the probe takes 1 s to fail, then queues again.
    const caller = async () => {
      for (;;) {
        const permit = await breaker.acquire();
        probeTimes.push(clock.now());
        if (!permit.probe) throw new Error('a non-probe permit while open');
        await clock.sleep(1000);
        permit.failed();
        permit.release();
      }
    };
    const callers = [capture(caller()), capture(caller()), capture(caller())];
    await clock.runUntilIdle();
    await Promise.all(callers.map(({ done }) => done));
    // The fifth probe would be due at 754 s, past the 600 s deadline.
    expect(probeTimes).toEqual([30_000, 91_000, 212_000, 453_000]);
    expect(clock.now()).toBe(600_000);
    for (const { outcome } of callers) {
      expect(outcome.error).toBeInstanceOf(ResumableStop);
      expect(outcome.error).toMatchObject({ code: 'stopped', reason: 'outage' });
    }
    expect((callers[0]?.outcome.error as Error).message).toMatch(
      /^https:\/\/api\.example\.com\/v1 /,
    );
    expect(breaker.state).toBe('stopped');
    await expect(breaker.acquire()).rejects.toMatchObject({ reason: 'outage' });
  });

  it('repeats the last probe delay (300 s) when the outage window allows it', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock, outageAfterMs: 3_600_000 });
    await failTimes(breaker, 6);
    const probeTimes: number[] = [];
    for (let probe = 0; probe < 7; probe += 1) {
      const waiting = waitForPermit(breaker, clock);
      await clock.runUntilIdle();
      const { permit, at } = await waiting;
      probeTimes.push(at);
      permit.failed();
    }
    expect(probeTimes).toEqual([30_000, 90_000, 210_000, 450_000, 750_000, 1_050_000, 1_350_000]);
  });

  it('a successful probe closes it and releases every waiter', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock });
    await failTimes(breaker, 6);
    const waiters = Array.from({ length: 4 }, () => waitForPermit(breaker, clock));
    await clock.advance(30_000);
    const granted = await Promise.race(waiters);
    expect(granted.permit.probe).toBe(true);
    expect(breaker.waiting).toBe(3);
    granted.permit.succeeded();
    const all = await Promise.all(waiters);
    expect(breaker.state).toBe('closed');
    expect(all.map(({ permit, at }) => [permit.probe, at])).toEqual([
      [true, 30_000],
      [false, 30_000],
      [false, 30_000],
      [false, 30_000],
    ]);
  });

  it('a probe released without an outcome hands the slot on; aborted waiters get cancelled', async () => {
    const clock = createFakeClock();
    const breaker = new Breaker({ clock });
    await failTimes(breaker, 6);
    const controller = new AbortController();
    const aborted = capture(breaker.acquire({ signal: controller.signal }));
    const first = waitForPermit(breaker, clock);
    const second = waitForPermit(breaker, clock);
    controller.abort();
    await aborted.done;
    expect(aborted.outcome.error).toMatchObject({ code: 'cancelled' });
    await clock.advance(30_000);
    const probe = await first;
    expect(probe.permit.probe).toBe(true);
    await clock.advance(5000);
    probe.permit.release();
    const next = await second;
    expect([next.permit.probe, next.at]).toEqual([true, 35_000]);
  });

  it('the registry keeps one breaker per endpoint', () => {
    const registry = new BreakerRegistry({ clock: createFakeClock() });
    expect(registry.get('https://a')).toBe(registry.get('https://a'));
    expect(registry.get('https://a')).not.toBe(registry.get('https://b'));
  });
});
