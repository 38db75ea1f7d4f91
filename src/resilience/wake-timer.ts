import type { Clock } from './clock.js';

/**
 * The one timer of a waiting queue (gate, breaker, pacer): it calls `onWake` at the time
 * the queue's head may next go. Scheduling another time replaces the pending wake-up; the
 * time already pending is kept as it is; `Infinity` (or `cancel`) leaves none.
 */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #timer: AbortController | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(clock: Clock, onWake: () => void) {
    this.#clock = clock;
    this.#onWake = onWake;
  }

  /** Wakes at clock time `wakeAt` instead of at the time pending, if any. */
  schedule(wakeAt: number): void {
    if (wakeAt === this.#timerAt) return;
    this.#timer?.abort();
    this.#timer = undefined;
    this.#timerAt = wakeAt;
    if (wakeAt === Number.POSITIVE_INFINITY) return;
    const timer = new AbortController();
    this.#timer = timer;
    this.#clock.sleep(wakeAt - this.#clock.now(), { signal: timer.signal }).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#onWake();
      },
      () => undefined,
    );
  }

  cancel(): void {
    this.schedule(Number.POSITIVE_INFINITY);
  }
}
