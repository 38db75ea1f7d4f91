import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../src/resilience/clock.js';
import { GateRegistry, RateLimitGate, type GatePermit } from '../../src/resilience/gate.js';
import { capture } from './resilience-kit.js';

describe('RateLimitGate concurrency', () => {
  it('lets at most the effective limit through, in arrival order', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 2, clock });
    const first = await gate.acquire();
    const second = await gate.acquire();
    const order: string[] = [];
    const third = gate.acquire().then((permit) => (order.push('third'), permit));
    const fourth = gate.acquire().then((permit) => (order.push('fourth'), permit));
    await clock.settle();
    expect(gate.active).toBe(2);
    expect(gate.waiting).toBe(2);
    first.release();
    first.release();
    await clock.settle();
    expect(order).toEqual(['third']);
    second.release();
    await Promise.all([third, fourth]);
    expect(order).toEqual(['third', 'fourth']);
    expect(gate.active).toBe(2);
  });

  it('halves on a 429 (min 1) and grows by 1 after 20 successes, up to the limit', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 10, clock });
    const halvings: number[] = [];
    for (let event = 1; event <= 5; event += 1) {
      // Each 429 comes from a request started after the previous 429.
      await clock.advance(1000);
      expect(gate.recordRateLimit(clock.now())).toBe(event);
      halvings.push(gate.effectiveLimit);
    }
    expect(halvings).toEqual([5, 2, 1, 1, 1]);
    for (let success = 1; success <= 19; success += 1) gate.recordSuccess();
    expect(gate.effectiveLimit).toBe(1);
    expect(gate.consecutive429s).toBe(0);
    gate.recordSuccess();
    expect(gate.effectiveLimit).toBe(2);
    for (let success = 0; success < 20 * 20; success += 1) gate.recordSuccess();
    expect(gate.effectiveLimit).toBe(10);
  });

  it('counts the 429s of requests in flight at the first 429 as one congestion event', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 8, clock });
    const permits = await Promise.all(Array.from({ length: 4 }, () => gate.acquire()));
    await clock.advance(100);
    for (const permit of permits) gate.recordRateLimit(permit.startedAt);
    expect(gate.effectiveLimit).toBe(4);
    expect(gate.consecutive429s).toBe(1);
    await clock.advance(100);
    expect(gate.recordRateLimit(clock.now())).toBe(2);
    expect(gate.effectiveLimit).toBe(2);
  });

  it('an aborted waiter leaves the queue and rejects with cancelled', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 1, clock });
    const held = await gate.acquire();
    const controller = new AbortController();
    const aborted = capture(gate.acquire({ signal: controller.signal }));
    const next = gate.acquire();
    await clock.settle();
    controller.abort();
    await aborted.done;
    expect(aborted.outcome.error).toMatchObject({ code: 'cancelled' });
    expect(gate.waiting).toBe(1);
    held.release();
    await expect(next).resolves.toMatchObject({ startedAt: 0 });
  });
});

describe('RateLimitGate closure', () => {
  it('starts nothing before reopening, then releases waiters >= 200 ms apart', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 10, clock });
    gate.closeFor(2000);
    gate.closeFor(500); // a shorter closure does not shorten the longer one
    expect(gate.reopenAt).toBe(2000);
    const starts: number[] = [];
    const waiters = Array.from({ length: 5 }, () =>
      gate.acquire().then((permit: GatePermit) => {
        starts.push(permit.startedAt);
        permit.release();
      }),
    );
    await clock.advance(1999);
    expect(starts).toEqual([]);
    await clock.runUntilIdle();
    await Promise.all(waiters);
    expect(starts).toEqual([2000, 2200, 2400, 2600, 2800]);
    // Past the stagger window a lone caller starts at once.
    await clock.advance(5000);
    const permit = await gate.acquire();
    expect(permit.startedAt).toBe(clock.now());
  });
});

describe('RateLimitGate herd after reopening', () => {
  it('staggers only the callers that waited for the reopening, not later ones', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 10, clock });
    gate.closeFor(1000);
    const starts: [string, number][] = [];
    const take = (name: string) =>
      gate.acquire().then((permit: GatePermit) => {
        starts.push([name, permit.startedAt]);
        permit.release();
      });
    const herd = ['a', 'b', 'c'].map(take);
    await clock.advance(1100);
    // Arrives after the reopening while the herd is still being spread out: it queues
    // behind the herd (arrival order) but is not spaced from it.
    const late = take('late');
    await clock.runUntilIdle();
    await Promise.all([...herd, late]);
    expect(starts).toEqual([
      ['a', 1000],
      ['b', 1200],
      ['c', 1400],
      ['late', 1400],
    ]);
    // Once the herd is through, a new caller starts at once (no stagger window left over).
    await clock.advance(100);
    await take('next');
    expect(starts.at(-1)).toEqual(['next', 1500]);
  });

  it('a herd member that gives up does not hold the others back', async () => {
    const clock = createFakeClock();
    const gate = new RateLimitGate({ limit: 1, clock });
    gate.closeFor(500);
    const controller = new AbortController();
    const quitter = capture(gate.acquire({ signal: controller.signal }));
    const stayer = gate.acquire();
    controller.abort();
    await clock.runUntilIdle();
    await quitter.done;
    expect((quitter.outcome.error as { code?: string }).code).toBe('cancelled');
    const permit = await stayer;
    expect(permit.startedAt).toBe(500);
  });
});

describe('GateRegistry', () => {
  it('keeps one gate per endpoint and model', () => {
    const registry = new GateRegistry({ clock: createFakeClock() });
    const gate = registry.get('https://a/v1', 'm', 3);
    expect(registry.get('https://a/v1', 'n', 3)).not.toBe(gate);
    expect(registry.get('https://b/v1', 'm', 3)).not.toBe(gate);
    expect(gate.limit).toBe(3);
    expect(() => new RateLimitGate({ limit: 0, clock: createFakeClock() })).toThrow(RangeError);
  });

  it('moves the ceiling to the concurrency of a later task', async () => {
    const registry = new GateRegistry({ clock: createFakeClock() });
    const sequential = registry.get('https://a/v1', 'm', 1);
    const fanOut = registry.get('https://a/v1', 'm', 20);
    expect(fanOut).toBe(sequential);
    expect(fanOut.limit).toBe(20);
    expect(fanOut.effectiveLimit).toBe(20);
    const permits = await Promise.all(Array.from({ length: 20 }, () => fanOut.acquire()));
    expect(fanOut.active).toBe(20);
    for (const permit of permits) permit.release();
  });

  it('keeps a limit lowered by 429s when the ceiling changes', () => {
    const gate = new RateLimitGate({ limit: 8, clock: createFakeClock() });
    gate.recordRateLimit(0);
    expect(gate.effectiveLimit).toBe(4);
    gate.setLimit(20);
    expect(gate.effectiveLimit).toBe(4);
    gate.setLimit(2);
    expect(gate.effectiveLimit).toBe(2);
    expect(() => gate.setLimit(0)).toThrow(RangeError);
  });
});
