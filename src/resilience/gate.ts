import { abortError, throwIfAborted } from './abort.js';
import type { Clock } from './clock.js';
import { WakeTimer } from './wake-timer.js';

/** Successes in a row that raise the effective limit by one (AIMD additive step). */
export const SUCCESSES_PER_LIMIT_STEP = 20;
/** Spacing of starts after the gate reopens. */
export const REOPEN_STAGGER_MS = 200;

export interface GatePermit {
  /** Clock time the request was let through. */
  readonly startedAt: number;
  /** Frees the slot; idempotent. */
  release(): void;
}

export interface RateLimitGateOptions {
  /** Configured concurrency (`async_limit`), the ceiling of the effective limit; >= 1. */
  readonly limit: number;
  readonly clock: Clock;
  readonly staggerMs?: number;
  readonly successesPerStep?: number;
}

interface Waiter {
  /** Clock time it started waiting; at or before a reopening makes it one of the herd. */
  readonly queuedAt: number;
  readonly grant: (permit: GatePermit) => void;
  readonly cleanup: () => void;
}

/**
 * Shared gate of one (endpoint, model), resilience.md "Shared rate-limit gate": bounds
 * concurrent requests to an effective limit that halves on a 429 (min 1) and grows by 1
 * after `successesPerStep` successes in a row; `closeFor` lets no request start before
 * it reopens; the herd that waited for the reopening (callers queued at or before it)
 * then starts at least `staggerMs` apart, while callers that came later are held only by
 * the limit. Callers are served in arrival order.
 */
export class RateLimitGate {
  #limit: number;
  readonly #clock: Clock;
  readonly #staggerMs: number;
  readonly #successesPerStep: number;
  readonly #queue: Waiter[] = [];
  #effectiveLimit: number;
  #active = 0;
  #reopenAt = Number.NEGATIVE_INFINITY;
  /** Earliest start of the next herd member. */
  #nextStartAt = Number.NEGATIVE_INFINITY;
  #consecutive429s = 0;
  #successStreak = 0;
  #lastCongestionAt = Number.NEGATIVE_INFINITY;
  /** For the time the queue head may start. */
  readonly #wake: WakeTimer;

  constructor(options: RateLimitGateOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError(`gate limit must be a positive integer, got ${options.limit}`);
    }
    this.#limit = options.limit;
    this.#effectiveLimit = options.limit;
    this.#clock = options.clock;
    this.#wake = new WakeTimer(options.clock, () => this.#pump());
    this.#staggerMs = options.staggerMs ?? REOPEN_STAGGER_MS;
    this.#successesPerStep = options.successesPerStep ?? SUCCESSES_PER_LIMIT_STEP;
  }

  /** The configured ceiling (the task's concurrency). */
  get limit(): number {
    return this.#limit;
  }

  /**
   * A later task configures another concurrency for the same endpoint and model: the
   * ceiling follows it; an effective limit lowered by 429s stays lowered (up to the new
   * ceiling) and keeps recovering from there.
   */
  setLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`gate limit must be a positive integer, got ${limit}`);
    }
    if (limit === this.#limit) return;
    const congested = this.#effectiveLimit < this.#limit;
    this.#limit = limit;
    this.#effectiveLimit = congested ? Math.min(this.#effectiveLimit, limit) : limit;
    this.#pump();
  }

  get effectiveLimit(): number {
    return this.#effectiveLimit;
  }
  get active(): number {
    return this.#active;
  }
  get waiting(): number {
    return this.#queue.length;
  }
  /** 429s in a row across all requests of this gate (reset by a success); feeds rateLimitBackoff. */
  get consecutive429s(): number {
    return this.#consecutive429s;
  }
  /** Clock time before which no request starts. */
  get reopenAt(): number {
    return this.#reopenAt;
  }

  /** Waits for a slot (abortable; rejects with `abortError(signal)`). */
  acquire(options: { signal?: AbortSignal } = {}): Promise<GatePermit> {
    const { signal } = options;
    throwIfAborted(signal);
    const queuedAt = this.#clock.now();
    if (this.#queue.length === 0 && this.#canStart(queuedAt, queuedAt)) {
      return Promise.resolve(this.#grant(queuedAt));
    }
    return new Promise<GatePermit>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        if (signal !== undefined) reject(abortError(signal));
        this.#pump();
      };
      const waiter: Waiter = {
        queuedAt,
        grant: resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      this.#queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pump();
    });
  }

  /** A request of this gate succeeded. */
  recordSuccess(): void {
    this.#consecutive429s = 0;
    this.#successStreak += 1;
    if (this.#successStreak >= this.#successesPerStep && this.#effectiveLimit < this.#limit) {
      this.#effectiveLimit += 1;
      this.#successStreak = 0;
      this.#pump();
    }
  }

  /**
   * A request started at `startedAt` got a 429. Requests already in flight at the last
   * 429 belong to the same congestion event and neither halve the limit again nor
   * escalate. Returns the escalation count to back off with.
   */
  recordRateLimit(startedAt: number): number {
    this.#successStreak = 0;
    if (startedAt <= this.#lastCongestionAt) return this.#consecutive429s;
    this.#lastCongestionAt = this.#clock.now();
    this.#consecutive429s += 1;
    this.#effectiveLimit = Math.max(1, Math.floor(this.#effectiveLimit / 2));
    return this.#consecutive429s;
  }

  /** No request starts for `ms` from now (a longer earlier closure stands). */
  closeFor(ms: number): void {
    const reopenAt = this.#clock.now() + Math.max(0, ms);
    if (reopenAt <= this.#reopenAt) return;
    this.#reopenAt = reopenAt;
    this.#pump();
  }

  /** Whether the caller that started waiting at `queuedAt` waited for the last reopening. */
  #inHerd(queuedAt: number): boolean {
    return queuedAt <= this.#reopenAt;
  }

  #canStart(nowMs: number, queuedAt: number): boolean {
    if (this.#active >= this.#effectiveLimit || nowMs < this.#reopenAt) return false;
    return !this.#inHerd(queuedAt) || nowMs >= this.#nextStartAt;
  }

  #grant(queuedAt: number): GatePermit {
    const startedAt = this.#clock.now();
    this.#active += 1;
    if (this.#inHerd(queuedAt)) this.#nextStartAt = startedAt + this.#staggerMs;
    let released = false;
    return {
      startedAt,
      release: () => {
        if (released) return;
        released = true;
        this.#active -= 1;
        this.#pump();
      },
    };
  }

  #pump(): void {
    const nowMs = this.#clock.now();
    for (
      let head = this.#queue[0];
      head !== undefined && this.#canStart(nowMs, head.queuedAt);
      head = this.#queue[0]
    ) {
      this.#queue.shift();
      head.cleanup();
      head.grant(this.#grant(head.queuedAt));
    }
    const head = this.#queue[0];
    let wakeAt = Number.POSITIVE_INFINITY;
    // A head held by time (not by the limit) waits for the reopening or its stagger slot.
    if (head !== undefined && this.#active < this.#effectiveLimit) {
      wakeAt = this.#inHerd(head.queuedAt)
        ? Math.max(this.#reopenAt, this.#nextStartAt)
        : this.#reopenAt;
    }
    this.#wake.schedule(wakeAt);
  }
}

/**
 * One gate per (endpoint, model), created on first use; a later call with another limit
 * (the next task's concurrency) moves the gate's ceiling to it.
 */
export class GateRegistry {
  readonly #clock: Clock;
  readonly #gates = new Map<string, RateLimitGate>();

  constructor(options: { clock: Clock }) {
    this.#clock = options.clock;
  }

  get(endpoint: string, model: string, limit: number): RateLimitGate {
    const key = `${endpoint}\u0000${model}`;
    let gate = this.#gates.get(key);
    if (gate === undefined) {
      gate = new RateLimitGate({ limit, clock: this.#clock });
      this.#gates.set(key, gate);
    } else {
      gate.setLimit(limit);
    }
    return gate;
  }
}
