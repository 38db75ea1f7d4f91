/**
 * Pacing budgets in Redis, shared by every process that paces the same endpoint, model and
 * credential (a queue's workers on several machines): the `PacerStore` of
 * `resilience/pacer-store.ts` over one JSON `BudgetState` per pacer key. The policy
 * (`pacer-budget.ts`) runs in JS; Redis only makes each call atomic.
 *
 * Atomicity is optimistic: read the state, apply the policy, then write it back with a
 * compare-and-set (a five-line Lua script: SET only if the key still holds what was read),
 * and start over when another process got there first. A compare-and-set keeps no state on
 * the connection, unlike WATCH/MULTI/EXEC, so the caller's client may be shared with other
 * commands and concurrent calls, and a reconnect between the read and the write cannot
 * turn the write into an unconditional one (ioredis resends queued commands on a new
 * connection, where an earlier WATCH no longer holds).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TaskflowError } from '../errors.js';
import { MAX_TIMER_MS } from '../resilience/clock.js';
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
} from '../resilience/pacer-budget.js';
import type { RateLimitReading } from '../resilience/pacer-headers.js';
import type { PacerStore } from '../resilience/pacer-store.js';
import type { DeclaredRateLimits } from '../resilience/rate-limits-config.js';

export const PACER_KEY_PREFIX = 'taskflow:pacer:';

/** A budget nobody touched for a day is forgotten (what it knew is stale by then). */
export const PACER_STATE_TTL_MS = 86_400_000;

/** Write attempts per call before giving up; each lost attempt means another process won. */
export const PACER_MAX_ATTEMPTS = 100;

/**
 * SET KEYS[1] = ARGV[2] (expiring in ARGV[3] ms) if it holds ARGV[1] ('' for missing).
 * Returns 1 when written, 0 when the key changed since it was read.
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if current == false then current = '' end
if current ~= ARGV[1] then return {0, current} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {1}`;

/** The script's name on a client (sent once, then called by its SHA). */
const CAS_COMMAND = 'taskflowPacerCompareAndSet';

interface CasClient {
  [CAS_COMMAND](
    key: string,
    expected: string,
    next: string,
    ttlMs: string,
  ): Promise<[0 | 1, string?]>;
}

/** One queued call on a key: applied with the others queued meanwhile, in one write. */
interface PendingUpdate {
  readonly apply: (state: StoredBudget) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** How often a request waiting for a slot another process holds asks again. */
export const PACER_RECHECK_MS = 25;

/**
 * A process's claim on the requests it has out: a process that stops renewing it (killed,
 * frozen, cut off) loses them after this long, and their slots go back to the others.
 */
export const PACER_LEASE_MS = 10_000;

/** The requests one process has out, and until when its claim on them holds. */
interface Holder {
  until: number;
  seqs: number[];
}

/** What a key holds in Redis: the budget, and who has its requests out. */
type StoredBudget = BudgetState & { holders?: Record<string, Holder> };

export interface RedisPacerStoreOptions {
  /** Default `PACER_LEASE_MS`. */
  readonly leaseMs?: number;
  /** The clock of renewals (default `Date.now`; the pacer's clock in production). */
  readonly now?: () => number;
  /** Default `PACER_STATE_TTL_MS`, refreshed on every write. */
  readonly ttlMs?: number;
  /** Default `PACER_MAX_ATTEMPTS`. */
  readonly maxAttempts?: number;
}

/** The pacer key for messages (its parts are separated by NULs). */
function shownKey(key: string): string {
  return key.replaceAll('\u0000', ' ');
}

function decodeState(raw: string, key: string): BudgetState {
  let state: unknown;
  try {
    state = JSON.parse(raw);
  } catch (error) {
    throw new TaskflowError('config', `pacer state of ${shownKey(key)} in Redis is not JSON`, {
      cause: error,
    });
  }
  const version = (state as { version?: unknown } | null)?.version;
  if (version !== 1 || !Array.isArray((state as { buckets?: unknown }).buckets)) {
    throw new TaskflowError(
      'config',
      `pacer state of ${shownKey(key)} in Redis has format version ${JSON.stringify(version)}; ` +
        'this taskflow reads version 1 (is another taskflow version sharing this Redis?)',
    );
  }
  return state as BudgetState;
}

/**
 * Budgets kept in Redis under `taskflow:pacer:<pacer key>`. The client belongs to the
 * caller (it is not closed here). Redis errors reject the call as they are; the caller
 * maps them. Calls of one store on one key run one after another (they would only race
 * each other for the write); calls from other stores and processes race and retry.
 */
export class RedisPacerStore implements PacerStore {
  /** Other processes free slots and bring first answers: waiters look again this often. */
  readonly recheckMs = PACER_RECHECK_MS;
  readonly #client: Redis;
  readonly #ttlMs: number;
  readonly #leaseMs: number;
  readonly #now: () => number;
  /** This store's name among the holders (one per process, in practice). */
  readonly #holder = randomUUID();
  /** Keys this store has requests out on: renewed while any are. */
  readonly #holding = new Map<string, number>();
  #renewal: NodeJS.Timeout | undefined;
  readonly #maxAttempts: number;
  /** Calls waiting per key for the write in progress to end (then written together). */
  readonly #pending = new Map<string, PendingUpdate[]>();
  /** Keys with a write in progress. */
  readonly #writing = new Set<string>();
  /**
   * What each key held when this store last read or wrote it ('' for missing). A write
   * starts from it instead of reading first: one round trip when no other process wrote
   * meanwhile, two (the failed compare returns what is there) when one did.
   */
  readonly #lastSeen = new Map<string, string>();

  constructor(client: Redis, options: RedisPacerStoreOptions = {}) {
    this.#client = client;
    this.#ttlMs = options.ttlMs ?? PACER_STATE_TTL_MS;
    this.#leaseMs = options.leaseMs ?? PACER_LEASE_MS;
    this.#now = options.now ?? Date.now;
    this.#maxAttempts = options.maxAttempts ?? PACER_MAX_ATTEMPTS;
    if (!(CAS_COMMAND in client)) {
      client.defineCommand(CAS_COMMAND, { numberOfKeys: 1, lua: COMPARE_AND_SET });
    }
  }

  take(
    key: string,
    demand: PacerDemand,
    declared: DeclaredRateLimits,
    nowMs: number,
  ): Promise<TakeResult> {
    return this.#update(key, nowMs, (state) => {
      const result = takeBudget(state, demand, declared, nowMs);
      if (result.granted) this.#own(state, nowMs).seqs.push(result.ticket.seq);
      return result;
    });
  }

  observe(
    key: string,
    ticket: PacerTicket,
    reading: RateLimitReading,
    sentAt: number,
    nowMs: number,
  ): Promise<void> {
    return this.#update(key, nowMs, (state) =>
      observeBudget(state, ticket, reading, sentAt, nowMs),
    );
  }

  settle(key: string, ticket: PacerTicket, settlement: Settlement, nowMs: number): Promise<void> {
    return this.#update(key, nowMs, (state) => {
      // Whoever holds the ticket (normally this store) gives it up; a ticket reaped as a
      // silent holder's is already off the count, and its late settle changes nothing.
      const holder = Object.values(state.holders ?? {}).find((entry) =>
        entry.seqs.includes(ticket.seq),
      );
      if (!holder) return;
      holder.seqs.splice(holder.seqs.indexOf(ticket.seq), 1);
      settleBudget(state, ticket, settlement, nowMs);
    });
  }

  /**
   * Renews this store's claim on the requests it has out (a timer does it every third of
   * the lease while any are out; tests call it with their clock).
   */
  async renew(nowMs: number = this.#now()): Promise<void> {
    await Promise.all(
      [...this.#holding.keys()].map((key) => this.#update(key, nowMs, () => undefined)),
    );
  }

  /** Stops renewing (the requests still out are given up after the lease). */
  close(): void {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
  }

  /** This store's holder entry in `state`, its claim extended to `nowMs` + the lease. */
  #own(state: StoredBudget, nowMs: number): Holder {
    state.holders ??= {};
    const own = (state.holders[this.#holder] ??= { until: 0, seqs: [] });
    own.until = nowMs + this.#leaseMs;
    return own;
  }

  /** Takes back the requests of holders whose claim ran out (their process is gone). */
  #reap(state: StoredBudget, nowMs: number): void {
    for (const [name, holder] of Object.entries(state.holders ?? {})) {
      if (name === this.#holder || holder.until >= nowMs) continue;
      const gone = new Set(holder.seqs);
      state.inFlight = Math.max(0, state.inFlight - gone.size);
      state.unanswered = state.unanswered.filter((ticket) => !gone.has(ticket.seq));
      delete state.holders?.[name];
    }
  }

  /** Keeps `key` renewed while this store has requests out on it. */
  #track(key: string, state: StoredBudget): void {
    const out = state.holders?.[this.#holder]?.seqs.length ?? 0;
    if (out > 0) this.#holding.set(key, out);
    else this.#holding.delete(key);
    if (this.#holding.size > 0 && this.#renewal === undefined) {
      this.#renewal = setInterval(
        () => void this.renew().catch(() => undefined),
        Math.min(this.#leaseMs / 3, MAX_TIMER_MS),
      );
      this.#renewal.unref();
    } else if (this.#holding.size === 0) this.close();
  }

  /**
   * Runs `apply` on `key`'s state atomically. Calls made while a write of the key is in
   * progress wait for it and are then applied together, in order, with one read and one
   * write (a busy worker's take, observe and settle calls cost one round trip, not three).
   */
  #update<T>(key: string, nowMs: number, apply: (state: StoredBudget) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = this.#pending.get(key) ?? [];
      this.#pending.set(key, pending);
      pending.push({
        apply: (state) => {
          this.#reap(state, nowMs);
          if (state.holders?.[this.#holder]) this.#own(state, nowMs);
          const result = apply(state);
          for (const [name, holder] of Object.entries(state.holders ?? {})) {
            if (holder.seqs.length === 0) delete state.holders?.[name];
          }
          if (state.holders && Object.keys(state.holders).length === 0) delete state.holders;
          return result;
        },
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (!this.#writing.has(key)) void this.#writeQueued(key);
    });
  }

  async #writeQueued(key: string): Promise<void> {
    this.#writing.add(key);
    try {
      for (;;) {
        const batch = this.#pending.get(key);
        if (!batch || batch.length === 0) break;
        this.#pending.delete(key);
        try {
          const { results, state } = await this.#compareAndSet(key, (current) =>
            batch.map((update) => update.apply(current)),
          );
          this.#track(key, state);
          batch.forEach((update, index) => update.resolve(results[index]));
        } catch (error) {
          batch.forEach((update) => update.reject(error));
        }
      }
    } finally {
      this.#writing.delete(key);
    }
  }

  async #compareAndSet<T>(
    key: string,
    apply: (state: StoredBudget) => T,
  ): Promise<{ results: T; state: StoredBudget }> {
    const redisKey = PACER_KEY_PREFIX + key;
    const client = this.#client as unknown as CasClient;
    const lastSeen = this.#lastSeen.get(key);
    // `fresh`: `raw` is what Redis holds now, not what it held when this store last looked.
    let fresh = lastSeen === undefined;
    let raw = fresh ? await this.#client.get(redisKey) : lastSeen || null;
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt += 1) {
      const state: StoredBudget = raw === null ? createBudgetState() : decodeState(raw, key);
      const results = apply(state);
      const next = JSON.stringify(state);
      if (next === raw) {
        // Nothing changed: a fresh read was the atomic step; a remembered one is read again.
        if (fresh) return { results, state };
        raw = await this.#client.get(redisKey);
        this.#lastSeen.set(key, raw ?? '');
        fresh = true;
        continue;
      }
      const [written, current] = await client[CAS_COMMAND](
        redisKey,
        raw ?? '',
        next,
        String(this.#ttlMs),
      );
      if (written === 1) {
        this.#lastSeen.set(key, next);
        return { results, state };
      }
      // Another process wrote first: start over from what it wrote (no second read).
      raw = current === undefined || current === '' ? null : current;
      this.#lastSeen.set(key, current ?? '');
      fresh = true;
    }
    throw new TaskflowError(
      'io',
      `pacer state of ${shownKey(key)} in Redis changed under each of ${this.#maxAttempts} ` +
        'attempts to update it (too many processes share this budget)',
    );
  }
}
