/**
 * Where pacing budgets live. The policy (`pacer-budget.ts`) is the same for every store;
 * a store only has to run each call atomically against one key's state. This one keeps
 * the state in memory for one run; a shared store (Redis, for workers on several machines)
 * implements the same three calls over a serialized `BudgetState`.
 */
import {
  createBudgetState,
  observeBudget,
  settleBudget,
  takeBudget,
  type BudgetState,
  type PacerDemand,
  type PacerTicket,
  type Settlement,
  type TakeResult,
} from './pacer-budget.js';
import type { RateLimitReading } from './pacer-headers.js';
import type { DeclaredRateLimits } from './rate-limits-config.js';

export interface PacerStore {
  /**
   * Set by a store other processes change too (Redis): a request waiting for a slot or a
   * first answer that another process will free or bring asks again after this long, since
   * nothing in this process hears of it. Unset: only this process changes the budget.
   */
  readonly recheckMs?: number;
  /** Spends one request of `key`'s budget, or says why and until when it must wait. */
  take(
    key: string,
    demand: PacerDemand,
    declared: DeclaredRateLimits,
    nowMs: number,
  ): Promise<TakeResult>;
  /** Applies an answer's rate-limit reading; `sentAt` is when the request left. */
  observe(
    key: string,
    ticket: PacerTicket,
    reading: RateLimitReading,
    sentAt: number,
    nowMs: number,
  ): Promise<void>;
  /** Ends a ticket: frees its concurrency slot, refunds it when unsent, learns from usage. */
  settle(key: string, ticket: PacerTicket, settlement: Settlement, nowMs: number): Promise<void>;
}

/** Budgets of one process, keyed as the pacers are. */
export class InMemoryPacerStore implements PacerStore {
  readonly #states = new Map<string, BudgetState>();

  /** The state of `key` (for inspection and tests), undefined before its first request. */
  state(key: string): Readonly<BudgetState> | undefined {
    return this.#states.get(key);
  }

  take(
    key: string,
    demand: PacerDemand,
    declared: DeclaredRateLimits,
    nowMs: number,
  ): Promise<TakeResult> {
    return Promise.resolve(takeBudget(this.#stateOf(key), demand, declared, nowMs));
  }

  observe(
    key: string,
    ticket: PacerTicket,
    reading: RateLimitReading,
    sentAt: number,
    nowMs: number,
  ): Promise<void> {
    observeBudget(this.#stateOf(key), ticket, reading, sentAt, nowMs);
    return Promise.resolve();
  }

  settle(key: string, ticket: PacerTicket, settlement: Settlement, nowMs: number): Promise<void> {
    settleBudget(this.#stateOf(key), ticket, settlement, nowMs);
    return Promise.resolve();
  }

  #stateOf(key: string): BudgetState {
    let state = this.#states.get(key);
    if (state === undefined) {
      state = createBudgetState();
      this.#states.set(key, state);
    }
    return state;
  }
}
