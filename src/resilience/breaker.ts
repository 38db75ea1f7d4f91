import { abortError, throwIfAborted } from './abort.js';
import type { Clock } from './clock.js';
import { ResumableStop } from './resumable-stop.js';
import { WakeTimer } from './wake-timer.js';

/** Consecutive failure signals (see `Breaker`: a burst counts once) that open the breaker. */
export const BREAKER_FAILURE_THRESHOLD = 6;
/** Waits before each probe while open, counted from opening / the previous probe's failure; the last repeats. */
export const BREAKER_PROBE_DELAYS_MS: readonly number[] = [
  30_000, 60_000, 120_000, 240_000, 300_000,
];
/** Open this long without a successful probe: stop with `outage`. */
export const BREAKER_OUTAGE_AFTER_MS = 600_000;

export type BreakerState = 'closed' | 'open' | 'stopped';

/** Leave to send one request; report its outcome, then release. */
export interface BreakerPermit {
  /** This request is the single probe of an open breaker. */
  readonly probe: boolean;
  /** The endpoint answered (anything but a transient failure). */
  succeeded(): void;
  /**
   * A transient failure (5xx, network, timeout, broken stream). Absorbed when the request
   * was let through before the last counted failure was reported (one burst, one signal).
   */
  failed(): void;
  /** Ends the permit; a probe released without an outcome frees the probe slot. Idempotent. */
  release(): void;
}

export interface BreakerOptions {
  readonly clock: Clock;
  /** Named in the outage message. */
  readonly endpoint?: string;
  readonly failureThreshold?: number;
  readonly probeDelaysMs?: readonly number[];
  readonly outageAfterMs?: number;
}

interface Waiter {
  readonly grant: (permit: BreakerPermit) => void;
  readonly fail: (error: unknown) => void;
  readonly cleanup: () => void;
}

/**
 * Circuit breaker of one endpoint (resilience.md "Breaker"). Closed: every request passes.
 * After `failureThreshold` failure signals in a row it opens: one probe at a time is let
 * through, the first `probeDelaysMs[0]` after opening and each next one that long after the
 * previous probe failed; other callers wait for the outcome. A success closes it. When no
 * probe succeeded `outageAfterMs` after opening, waiting and later callers get a
 * `ResumableStop` (reason `outage`); the state then stays `stopped`.
 *
 * Bursts: a transient failure counts as a signal only when its request was let through
 * after the last counted failure was reported. Failures of requests that were already in
 * flight at that moment (a fan-out whose concurrent requests all get the same 500) belong
 * to the same burst and are absorbed: ten simultaneous 500s are one signal, while each
 * retry sent after a counted failure and failing again is a new one. Permits are numbered
 * in the order they are handed out, so the rule does not depend on clock resolution. A
 * success resets the count, as before.
 */
export class Breaker {
  readonly #clock: Clock;
  readonly #endpoint: string;
  readonly #threshold: number;
  readonly #probeDelaysMs: readonly number[];
  readonly #outageAfterMs: number;
  readonly #queue: Waiter[] = [];
  #state: BreakerState = 'closed';
  #failures = 0;
  /** Permits handed out so far; the next permit's number. */
  #issued = 0;
  /** Permits numbered below this were out when the last counted failure was reported. */
  #burstEnd = 0;
  #openedAt = 0;
  #probes = 0;
  #nextProbeAt = 0;
  #probeInFlight = false;
  readonly #timer: WakeTimer;

  constructor(options: BreakerOptions) {
    this.#clock = options.clock;
    this.#timer = new WakeTimer(options.clock, () => this.#pump());
    this.#endpoint = options.endpoint ?? 'the endpoint';
    this.#threshold = options.failureThreshold ?? BREAKER_FAILURE_THRESHOLD;
    this.#probeDelaysMs = options.probeDelaysMs ?? BREAKER_PROBE_DELAYS_MS;
    this.#outageAfterMs = options.outageAfterMs ?? BREAKER_OUTAGE_AFTER_MS;
  }

  get state(): BreakerState {
    return this.#state;
  }
  /** Callers waiting for a probe slot or a probe's outcome. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * While open: ms until a caller may next be let through (the next probe, or the outage
   * deadline if that comes first). Undefined while closed.
   */
  probeWaitMs(): number | undefined {
    if (this.#state === 'closed') return undefined;
    if (this.#state === 'stopped') return 0;
    const at = Math.min(this.#nextProbeAt, this.#openedAt + this.#outageAfterMs);
    return Math.max(0, at - this.#clock.now());
  }

  /** Waits for leave to send (abortable; rejects with `abortError(signal)` or the outage stop). */
  acquire(options: { signal?: AbortSignal } = {}): Promise<BreakerPermit> {
    const { signal } = options;
    throwIfAborted(signal);
    if (this.#state === 'stopped') return Promise.reject(this.#outage());
    if (this.#state === 'closed') return Promise.resolve(this.#permit(false));
    return new Promise<BreakerPermit>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        if (signal !== undefined) reject(abortError(signal));
        this.#pump();
      };
      const waiter: Waiter = {
        grant: resolve,
        fail: reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      this.#queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pump();
    });
  }

  #permit(probe: boolean): BreakerPermit {
    const number = this.#issued;
    this.#issued += 1;
    let settled = false;
    const settle = (outcome: 'success' | 'failure' | 'none') => {
      if (settled) return;
      settled = true;
      if (outcome === 'success') this.#onSuccess();
      else if (outcome === 'failure') this.#onFailure(probe, number);
      else if (probe) {
        this.#probeInFlight = false;
        this.#pump();
      }
    };
    return {
      probe,
      succeeded: () => settle('success'),
      failed: () => settle('failure'),
      release: () => settle('none'),
    };
  }

  #onSuccess(): void {
    if (this.#state === 'stopped') return;
    this.#failures = 0;
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#probeInFlight = false;
    this.#timer.cancel();
    for (const waiter of this.#queue.splice(0)) {
      waiter.cleanup();
      waiter.grant(this.#permit(false));
    }
  }

  #onFailure(probe: boolean, number: number): void {
    if (this.#state === 'closed') {
      // Sent before the last counted failure was reported: part of that burst.
      if (number < this.#burstEnd) return;
      this.#burstEnd = this.#issued;
      this.#failures += 1;
      if (this.#failures < this.#threshold) return;
      this.#state = 'open';
      this.#openedAt = this.#clock.now();
      this.#probes = 0;
      this.#nextProbeAt = this.#openedAt + this.#probeDelay();
      this.#pump();
      return;
    }
    // A request sent before the breaker opened says nothing new.
    if (this.#state !== 'open' || !probe) return;
    this.#probeInFlight = false;
    this.#probes += 1;
    this.#nextProbeAt = this.#clock.now() + this.#probeDelay();
    this.#pump();
  }

  #probeDelay(): number {
    const index = Math.min(this.#probes, this.#probeDelaysMs.length - 1);
    return this.#probeDelaysMs[index] ?? 0;
  }

  #outage(): ResumableStop {
    const minutes = Math.round(this.#outageAfterMs / 60_000);
    return new ResumableStop(
      'outage',
      `${this.#endpoint} kept failing: no probe succeeded within ${minutes} min of the breaker opening`,
    );
  }

  #pump(): void {
    if (this.#state !== 'open') return;
    const nowMs = this.#clock.now();
    const deadline = this.#openedAt + this.#outageAfterMs;
    if (nowMs >= deadline) {
      this.#state = 'stopped';
      this.#timer.cancel();
      const error = this.#outage();
      for (const waiter of this.#queue.splice(0)) {
        waiter.cleanup();
        waiter.fail(error);
      }
      return;
    }
    if (!this.#probeInFlight && nowMs >= this.#nextProbeAt) {
      const waiter = this.#queue.shift();
      if (waiter !== undefined) {
        this.#probeInFlight = true;
        waiter.cleanup();
        waiter.grant(this.#permit(true));
      }
    }
    const wakeAt = this.#probeInFlight ? deadline : Math.min(this.#nextProbeAt, deadline);
    if (this.#queue.length > 0) this.#timer.schedule(wakeAt);
    else this.#timer.cancel();
  }
}

/** One breaker per endpoint, created on first use. */
export class BreakerRegistry {
  readonly #clock: Clock;
  readonly #breakers = new Map<string, Breaker>();

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock;
  }

  get(endpoint: string): Breaker {
    let breaker = this.#breakers.get(endpoint);
    if (breaker === undefined) {
      breaker = new Breaker({ clock: this.#clock, endpoint });
      this.#breakers.set(endpoint, breaker);
    }
    return breaker;
  }
}
