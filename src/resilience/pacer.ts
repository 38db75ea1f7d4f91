/**
 * The pacer of one (endpoint, model, credential): every model request of the run waits
 * here for its share of the budget before the gate and breaker (scale-out.md "Pacing").
 * Callers are served in arrival order; one timer, for the head of the queue, is the only
 * thing that wakes it besides answers and settled requests. The budget itself lives in a
 * `PacerStore`, so several processes can share it.
 */
import { abortError } from './abort.js';
import type { Clock } from './clock.js';
import { MAX_INLINE_WAIT_MS } from './delays.js';
import {
  observeChangesBudget,
  type PacerDemand,
  type PacerTicket,
  type TakeResult,
  type WaitReason,
} from './pacer-budget.js';
import { readRateLimitAnswer, type PacerAnswer, type RateLimitReading } from './pacer-headers.js';
import type { PacerStore } from './pacer-store.js';
import type { DeclaredRateLimits } from './rate-limits-config.js';
import { ResumableStop } from './resumable-stop.js';
import { WakeTimer } from './wake-timer.js';

/** Why a request waits, as the `rate-limit-wait` event reports it. */
export interface PacerWait {
  readonly reason: WaitReason;
  /** Until the head of the queue may go; undefined while it waits for an answer. */
  readonly delayMs: number | undefined;
  /** Units left in the bucket that holds requests back, when one does. */
  readonly remaining: number | undefined;
  /** Requests queued ahead of this one. */
  readonly ahead: number;
}

export type PacerOutcome =
  | { readonly sent: false }
  | {
      readonly sent: true;
      /** Status and headers, when an answer arrived (for a 429 too). */
      readonly answer?: PacerAnswer;
      /** Tokens the server counted for a complete answer. */
      readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
    };

/** Leave to send one request. Observe its answer, then settle it — exactly once. */
export interface PacerPermit {
  /** Time spent waiting for the budget, ms. */
  readonly waitedMs: number;
  /** The first reason it waited for; undefined when it went at once. */
  readonly waitReason: WaitReason | undefined;
  /** The request leaves now (after gate and breaker); refill is counted from here. */
  markSent(): void;
  /**
   * Status and headers arrived: learn from them now. Resolves with what they say (for a
   * 429: which limit, the server's wait) — undefined for later calls, which do nothing.
   */
  observe(answer: PacerAnswer): Promise<RateLimitReading | undefined>;
  /** The attempt is over; frees its slot. Learns from `answer` if `observe` was not called. Idempotent. */
  settle(outcome: PacerOutcome): Promise<void>;
}

export interface PacerOptions {
  /** The store's key of this budget (see `pacerKey`). */
  readonly key: string;
  readonly store: PacerStore;
  readonly clock: Clock;
  readonly declared?: DeclaredRateLimits;
  /** Longer waits stop resumably instead of sleeping; default 300 s. */
  readonly maxInlineWaitMs?: number;
  /** Endpoint and model, named in stop messages. */
  readonly where?: string;
}

export interface AcquireOptions {
  readonly signal?: AbortSignal;
  /** Called once if the request has to wait, with why. */
  readonly onWait?: (wait: PacerWait) => void;
}

interface Waiter {
  readonly demand: PacerDemand;
  readonly queuedAt: number;
  readonly onWait: ((wait: PacerWait) => void) | undefined;
  reason: WaitReason | undefined;
  readonly grant: (permit: PacerPermit) => void;
  readonly fail: (error: unknown) => void;
  readonly cleanup: () => void;
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

export class Pacer {
  readonly #key: string;
  readonly #store: PacerStore;
  readonly #clock: Clock;
  readonly #maxInlineWaitMs: number;
  readonly #where: string;
  #declared: DeclaredRateLimits;
  readonly #queue: Waiter[] = [];
  #pumping = false;
  #pumpAgain = false;
  /** For the time the queue head may go. */
  readonly #wake: WakeTimer;

  constructor(options: PacerOptions) {
    this.#key = options.key;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#wake = new WakeTimer(options.clock, () => this.#pump());
    this.#declared = options.declared ?? {};
    this.#maxInlineWaitMs = options.maxInlineWaitMs ?? MAX_INLINE_WAIT_MS;
    this.#where = options.where ?? 'the model endpoint';
  }

  get key(): string {
    return this.#key;
  }
  /** Requests waiting for the budget. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Later requests follow other declared limits (a later task's model settings). */
  setDeclared(declared: DeclaredRateLimits | undefined): void {
    this.#declared = declared ?? {};
    this.#pump();
  }

  /**
   * Waits for leave to send one request. Rejects with `abortError(signal)` when the
   * signal fires (the slot goes to the next caller), with a `ResumableStop` when the
   * budget needs a wait beyond `maxInlineWaitMs` (reason `quota` for a daily quota, else
   * `rate-limit`; `resumeNotBefore` set), or with the store's error.
   */
  acquire(demand: PacerDemand, options: AcquireOptions = {}): Promise<PacerPermit> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    return new Promise<PacerPermit>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        if (signal !== undefined) reject(abortError(signal));
        this.#pump();
      };
      const waiter: Waiter = {
        demand,
        queuedAt: this.#clock.now(),
        onWait: options.onWait,
        reason: undefined,
        grant: resolve,
        fail: reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      this.#queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#drain()
      // A throwing `onWait` or store must not leave callers waiting forever.
      .catch((error: unknown) => this.#failAll(error))
      .finally(() => {
        this.#pumping = false;
        if (this.#pumpAgain) this.#pump();
      });
  }

  /** Grants from the head of the queue until the budget says wait, then arms the timer. */
  async #drain(): Promise<void> {
    for (;;) {
      this.#pumpAgain = false;
      const head = this.#queue[0];
      if (head === undefined) {
        this.#wake.cancel();
        return;
      }
      const nowMs = this.#clock.now();
      let result: TakeResult;
      try {
        result = await this.#store.take(this.#key, head.demand, this.#declared, nowMs);
      } catch (error) {
        this.#failAll(error);
        return;
      }
      if (result.granted) {
        const index = this.#queue.indexOf(head);
        if (index < 0) {
          // Aborted while the store decided: the ticket goes back unused.
          await this.#settleQuietly(result.ticket, { sent: false });
          continue;
        }
        this.#queue.splice(index, 1);
        head.cleanup();
        head.grant(this.#permit(head, result.ticket));
        continue;
      }
      const delayMs = result.wakeAt === undefined ? undefined : Math.max(0, result.wakeAt - nowMs);
      if (delayMs !== undefined && delayMs > this.#maxInlineWaitMs) {
        this.#failAll(this.#stop(result.reason, delayMs, result.resumeAt ?? nowMs + delayMs));
        return;
      }
      // An answer or a settled request came in meanwhile: ask again before waiting.
      if (this.#pumpAgain) continue;
      this.#report(result, delayMs);
      this.#wake.schedule(this.#wakeAt(result, nowMs));
      return;
    }
  }

  /**
   * When to ask the store again. Slots and first answers are freed by answers and settled
   * requests, which this process hears of only when they are its own: with a shared store
   * it also asks again after the store's `recheckMs`.
   */
  #wakeAt(result: Extract<TakeResult, { granted: false }>, nowMs: number): number {
    const wakeAt = result.wakeAt ?? Number.POSITIVE_INFINITY;
    const recheckMs = this.#store.recheckMs;
    const othersFree = result.reason === 'concurrency' || result.reason === 'first-answer';
    return recheckMs !== undefined && othersFree ? Math.min(wakeAt, nowMs + recheckMs) : wakeAt;
  }

  /** Tells every waiter that has not heard yet why it waits. */
  #report(result: Extract<TakeResult, { granted: false }>, delayMs: number | undefined): void {
    this.#queue.forEach((waiter, ahead) => {
      if (waiter.reason !== undefined) return;
      waiter.reason = result.reason;
      waiter.onWait?.({
        reason: result.reason,
        delayMs,
        remaining: result.remaining,
        ahead,
      });
    });
  }

  #stop(reason: WaitReason, delayMs: number, resumeNotBefore: number): ResumableStop {
    if (reason === 'daily-quota') {
      const message = `${this.#where}: daily quota used up; it allows the next request in ${seconds(delayMs)}`;
      return new ResumableStop('quota', message, { resumeNotBefore });
    }
    const message = `${this.#where}: the rate limit (${reason}) needs a wait of ${seconds(delayMs)}, longer than the ${seconds(this.#maxInlineWaitMs)} waited in-process`;
    return new ResumableStop('rate-limit', message, { resumeNotBefore });
  }

  #failAll(error: unknown): void {
    for (const waiter of this.#queue.splice(0)) {
      waiter.cleanup();
      waiter.fail(error);
    }
    this.#wake.cancel();
  }

  #permit(waiter: Waiter, ticket: PacerTicket): PacerPermit {
    let sentAt = ticket.takenAt;
    let observed = false;
    let settled = false;
    const observeOnce = async (answer: PacerAnswer): Promise<RateLimitReading | undefined> => {
      if (observed) return undefined;
      observed = true;
      const nowMs = this.#clock.now();
      const reading = readRateLimitAnswer(answer, nowMs);
      if (!observeChangesBudget(ticket, reading)) return reading;
      try {
        await this.#store.observe(this.#key, ticket, reading, sentAt, nowMs);
        return reading;
      } finally {
        this.#pump();
      }
    };
    return {
      waitedMs: this.#clock.now() - waiter.queuedAt,
      waitReason: waiter.reason,
      markSent: () => {
        sentAt = this.#clock.now();
      },
      observe: (answer) => (settled ? Promise.resolve(undefined) : observeOnce(answer)),
      settle: async (outcome) => {
        if (settled) return;
        settled = true;
        try {
          if (outcome.sent && outcome.answer !== undefined) await observeOnce(outcome.answer);
        } finally {
          const status = outcome.sent ? outcome.answer?.status : undefined;
          const usage = outcome.sent ? outcome.usage : undefined;
          const settlement = {
            sent: outcome.sent,
            ...(status !== undefined && { status }),
            ...(usage !== undefined && { usage }),
          };
          try {
            await this.#store.settle(this.#key, ticket, settlement, this.#clock.now());
          } finally {
            this.#pump();
          }
        }
      },
    };
  }

  async #settleQuietly(ticket: PacerTicket, outcome: { sent: false }): Promise<void> {
    try {
      await this.#store.settle(this.#key, ticket, outcome, this.#clock.now());
    } catch {
      // The ticket was never used; a store that cannot take it back loses one slot's refund.
    }
  }
}
