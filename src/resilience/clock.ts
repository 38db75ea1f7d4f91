import { abortError } from './abort.js';

/** Time as the resilience code sees it; injected so tests run on fake time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (at once for `ms <= 0`). When `signal` fires first it
   * rejects with `abortError(signal)` and leaves no timer or listener behind.
   */
  sleep(ms: number, options?: { signal?: AbortSignal }): Promise<void>;
}

/** setTimeout and setInterval take no longer delay (they fire at once); longer sleeps are chained. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The real clock: `Date.now` and abortable `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, options = {}) {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wakeAt = Date.now() + ms;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        if (signal !== undefined) reject(abortError(signal));
      };
      const arm = () => {
        const remainingMs = wakeAt - Date.now();
        if (remainingMs <= 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        timer = setTimeout(arm, Math.min(remainingMs, MAX_TIMER_MS));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
    });
  },
};

/** A manually driven clock for tests. Nothing happens until `advance` or `runUntilIdle`. */
export interface FakeClock extends Clock {
  /** Sleeps that have neither resolved nor been aborted. */
  readonly pendingSleeps: number;
  /** When the earliest pending sleep is due, or undefined when none is pending. */
  nextWakeAt(): number | undefined;
  /**
   * Moves time forward by `ms`, waking due sleepers one at a time in due order (ties in the
   * order they started) and letting promise chains settle after each, so a sleep started by
   * a woken chain is honoured when it falls inside the window.
   */
  advance(ms: number): Promise<void>;
  /** Advances to each next wake-up until no sleep is pending; throws after `maxWakeUps`. */
  runUntilIdle(options?: { maxWakeUps?: number }): Promise<void>;
  /** Lets pending promise chains run (no time passes). */
  settle(): Promise<void>;
}

interface Sleeper {
  readonly wakeAt: number;
  readonly order: number;
  readonly wake: () => void;
}

/** Drains the microtask queue: a macrotask runs only after every queued microtask. */
async function settleMicrotasks(): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function createFakeClock(startMs = 0): FakeClock {
  let nowMs = startMs;
  let order = 0;
  const sleepers: Sleeper[] = [];

  const earliest = (): Sleeper | undefined => {
    let best: Sleeper | undefined;
    for (const sleeper of sleepers) {
      if (
        best === undefined ||
        sleeper.wakeAt < best.wakeAt ||
        (sleeper.wakeAt === best.wakeAt && sleeper.order < best.order)
      ) {
        best = sleeper;
      }
    }
    return best;
  };
  const remove = (sleeper: Sleeper) => {
    const index = sleepers.indexOf(sleeper);
    if (index >= 0) sleepers.splice(index, 1);
  };

  const clock: FakeClock = {
    now: () => nowMs,
    sleep(ms, options = {}) {
      const { signal } = options;
      if (signal?.aborted === true) return Promise.reject(abortError(signal));
      if (ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          remove(sleeper);
          if (signal !== undefined) reject(abortError(signal));
        };
        const sleeper: Sleeper = {
          wakeAt: nowMs + ms,
          order: (order += 1),
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    get pendingSleeps() {
      return sleepers.length;
    },
    nextWakeAt: () => earliest()?.wakeAt,
    async advance(ms) {
      const targetMs = nowMs + Math.max(0, ms);
      await settleMicrotasks();
      for (let next = earliest(); next !== undefined && next.wakeAt <= targetMs;) {
        nowMs = Math.max(nowMs, next.wakeAt);
        remove(next);
        next.wake();
        await settleMicrotasks();
        next = earliest();
      }
      nowMs = targetMs;
      await settleMicrotasks();
    },
    async runUntilIdle(options = {}) {
      const maxWakeUps = options.maxWakeUps ?? 10_000;
      await settleMicrotasks();
      for (let wakeUps = 0; ; wakeUps += 1) {
        const next = earliest();
        if (next === undefined) return;
        if (wakeUps >= maxWakeUps) {
          throw new Error(`fake clock still busy after ${maxWakeUps} wake-ups`);
        }
        await clock.advance(next.wakeAt - nowMs);
      }
    },
    settle: settleMicrotasks,
  };
  return clock;
}
