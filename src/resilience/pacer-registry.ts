import { createHash } from 'node:crypto';
import type { Clock } from './clock.js';
import { Pacer } from './pacer.js';
import { InMemoryPacerStore, type PacerStore } from './pacer-store.js';
import type { DeclaredRateLimits } from './rate-limits-config.js';

/** What a budget belongs to: the provider's limits are per endpoint, model and credential. */
export interface PacerTarget {
  /** Base URL. */
  readonly endpoint: string;
  /** Provider model id (not the config's logical name: two names for one model share a budget). */
  readonly model: string;
  /** The token sent; only a hash of it ends up in the key. */
  readonly credential?: string;
}

/**
 * The store key of a target's budget. The credential is reduced to a short SHA-256 prefix,
 * so keys can be logged or kept in a shared store without revealing it.
 */
export function pacerKey(target: PacerTarget): string {
  const credential =
    target.credential === undefined || target.credential === ''
      ? '-'
      : createHash('sha256').update(target.credential).digest('hex').slice(0, 16);
  return `${target.endpoint}\u0000${target.model}\u0000${credential}`;
}

export interface PacerRegistryOptions {
  readonly clock: Clock;
  /** Default: one in-memory store for the run. */
  readonly store?: PacerStore;
  readonly maxInlineWaitMs?: number;
}

/** One pacer per target for the whole run, created on first use. */
export class PacerRegistry {
  readonly #options: PacerRegistryOptions;
  readonly #store: PacerStore;
  readonly #pacers = new Map<string, Pacer>();

  constructor(options: PacerRegistryOptions) {
    this.#options = options;
    this.#store = options.store ?? new InMemoryPacerStore();
  }

  get store(): PacerStore {
    return this.#store;
  }

  /**
   * The pacer of `target`. `declared` (the model's `rate_limits`, merged with
   * `TASKFLOW_RATE_LIMITS`) replaces what an earlier caller declared for the same target.
   */
  get(target: PacerTarget, declared?: DeclaredRateLimits): Pacer {
    const key = pacerKey(target);
    let pacer = this.#pacers.get(key);
    if (pacer === undefined) {
      pacer = new Pacer({
        key,
        store: this.#store,
        clock: this.#options.clock,
        where: `${target.endpoint} (model ${target.model})`,
        ...(declared !== undefined && { declared }),
        ...(this.#options.maxInlineWaitMs !== undefined && {
          maxInlineWaitMs: this.#options.maxInlineWaitMs,
        }),
      });
      this.#pacers.set(key, pacer);
    } else {
      pacer.setDeclared(declared);
    }
    return pacer;
  }
}
