import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { anySignal, isAbortError, throwIfAborted } from '../../src/resilience/abort.js';
import { createFakeClock, systemClock } from '../../src/resilience/clock.js';
import { capture } from './resilience-kit.js';

describe('systemClock', () => {
  it('sleeps and removes its abort listener', async () => {
    const controller = new AbortController();
    const before = Date.now();
    await systemClock.sleep(5, { signal: controller.signal });
    expect(Date.now() - before).toBeGreaterThanOrEqual(5);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with cancelled when aborted mid-sleep, and cleans up', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, { signal: controller.signal });
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'TaskflowError', code: 'cancelled' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once when already aborted, passing a TaskflowError reason through', async () => {
    const reason = new TaskflowError('stopped', 'stop everything');
    await expect(systemClock.sleep(10, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});

describe('abort helpers', () => {
  it('maps aborts to cancelled and recognises abort errors', () => {
    expect(() => throwIfAborted(AbortSignal.abort())).toThrow(
      expect.objectContaining({ code: 'cancelled' }),
    );
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(isAbortError(new TaskflowError('cancelled', 'x'))).toBe(true);
    expect(isAbortError(new DOMException('x', 'AbortError'))).toBe(true);
    expect(isAbortError(new TaskflowError('model', 'x'))).toBe(false);
    expect(isAbortError('AbortError')).toBe(false);
  });

  it('anySignal fires with the reason of the first signal that fires', () => {
    const first = new AbortController();
    const second = new AbortController();
    const combined = anySignal(first.signal, undefined, second.signal);
    expect(combined.aborted).toBe(false);
    second.abort('second');
    expect(combined.reason).toBe('second');
    expect(anySignal(first.signal)).toBe(first.signal);
  });
});

describe('createFakeClock', () => {
  it('wakes sleepers in due order, ties in start order', async () => {
    const clock = createFakeClock(1000);
    const woken: string[] = [];
    const sleepers = [
      clock.sleep(300).then(() => woken.push(`c@${clock.now()}`)),
      clock.sleep(100).then(() => woken.push(`a@${clock.now()}`)),
      clock.sleep(100).then(() => woken.push(`b@${clock.now()}`)),
    ];
    expect(clock.pendingSleeps).toBe(3);
    expect(clock.nextWakeAt()).toBe(1100);
    await clock.advance(250);
    expect(woken).toEqual(['a@1100', 'b@1100']);
    expect(clock.now()).toBe(1250);
    await clock.advance(50);
    await Promise.all(sleepers);
    expect(woken).toEqual(['a@1100', 'b@1100', 'c@1300']);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('follows async chains that start new sleeps inside the window', async () => {
    const clock = createFakeClock();
    const seen: number[] = [];
    const chain = async () => {
      for (let step = 0; step < 3; step += 1) {
        await Promise.resolve();
        await clock.sleep(100);
        await Promise.resolve();
        seen.push(clock.now());
      }
    };
    const { outcome, done } = capture(chain());
    await clock.advance(250);
    expect(seen).toEqual([100, 200]);
    await clock.advance(50);
    await done;
    expect(seen).toEqual([100, 200, 300]);
    expect(outcome.settled).toBe(true);
  });

  it('removes aborted sleepers and rejects them with cancelled', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, { signal: controller.signal });
    expect(clock.pendingSleeps).toBe(1);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ code: 'cancelled' });
    expect(clock.pendingSleeps).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('runUntilIdle runs chains to the end and refuses to spin forever', async () => {
    const clock = createFakeClock();
    let count = 0;
    const chain = async () => {
      while (count < 5) {
        await clock.sleep(1000);
        count += 1;
      }
    };
    const { done } = capture(chain());
    await clock.runUntilIdle();
    await done;
    expect(count).toBe(5);
    expect(clock.now()).toBe(5000);

    const forever = new AbortController();
    const spin = async () => {
      for (;;) await clock.sleep(1, { signal: forever.signal });
    };
    const spinning = capture(spin());
    await expect(clock.runUntilIdle({ maxWakeUps: 20 })).rejects.toThrow(/still busy/);
    forever.abort();
    await spinning.done;
    expect(spinning.outcome.error).toMatchObject({ code: 'cancelled' });
  });
});
