/**
 * The budget of one (endpoint, model, credential) as plain, JSON-serializable state, and
 * the pacing policy as functions that read and update it: `takeBudget` before a request,
 * `observeBudget` when its answer's headers arrive, `settleBudget` when it is over. A store
 * runs them atomically (in memory here; in Redis for a fleet), so the policy is written and
 * tested once. Time is passed in (`nowMs`); nothing here sleeps or reads a clock.
 *
 * Model: token buckets (level, capacity, refill per ms), learned from `x-ratelimit-*`
 * headers or declared; a fixed window when the reset is an absolute time; a block until a
 * server-given time after a 429; an adaptive concurrency limit (AIMD with a learned
 * ceiling). Until the first answer of a key arrives (or `FIRST_ANSWER_WAIT_MS` passed)
 * only one request is out, so a budget that is already spent costs one request, not a
 * whole fan-out's worth.
 */
import {
  bucketReadyAt,
  newBucket,
  reconcileBucket,
  refillBucket,
  type Bucket,
  type BucketId,
} from './pacer-buckets.js';
import {
  allowedConcurrency,
  createConcurrencyState,
  recordConcurrencyLimited,
  recordConcurrencySuccess,
  type ConcurrencyState,
} from './pacer-concurrency.js';
import type { RateLimitReading } from './pacer-headers.js';
import type { DeclaredRateLimits } from './rate-limits-config.js';

/** Why a request waits (the `reason` of `rate-limit-wait`). */
export type WaitReason =
  'first-answer' | 'concurrency' | 'requests' | 'tokens' | 'server-wait' | 'daily-quota';

/** What one request asks of the budget. */
export interface PacerDemand {
  /** Input tokens estimated from the request's size (see `estimateRequestTokens`). */
  readonly inputTokens: number;
  /** The request's output cap, when it sets one; otherwise the average output learned. */
  readonly maxOutputTokens?: number;
  /** The caller's concurrency (`async_limit`): the adaptive limit never exceeds it. */
  readonly concurrencyLimit: number;
}

export interface BudgetState {
  readonly version: 1;
  buckets: Bucket[];
  /** The declared limits the `declared-*` buckets were built from. */
  declared: DeclaredRateLimits;
  /** No request starts before this (a server wait after a 429). */
  blockedUntil: number;
  blockReason: 'server-wait' | 'daily-quota';
  inFlight: number;
  /** Tickets out whose answer has not been read yet, oldest first (at most `inFlight`). */
  unanswered: { seq: number; takenAt: number; tokens: number }[];
  /** Tickets handed out so far; the last ticket's `seq`. */
  issued: number;
  /** Tokens charged so far (all tickets). */
  tokensSpent: number;
  /** 'unknown': nothing answered yet; 'probing': the first request is out. */
  phase: 'unknown' | 'probing' | 'known';
  /** When the first request went out (phase 'probing'). */
  probeTakenAt: number;
  concurrency: ConcurrencyState;
  /** Server-counted input tokens per estimated one (corrected by `usage`). */
  inputScale: number;
  /** Output tokens per answer, averaged; null before the first usage. */
  outputAverage: number | null;
}

/** Leave to send one request; handed back to `observeBudget` and `settleBudget`. */
export interface PacerTicket {
  readonly seq: number;
  readonly takenAt: number;
  /** The demand's estimate and the tokens actually charged. */
  readonly inputTokens: number;
  readonly tokens: number;
  /** `tokensSpent` including this ticket. */
  readonly tokensSpent: number;
  /** Requests in flight including this one, when taken. */
  readonly inFlight: number;
  readonly concurrencyLimit: number;
  /** The first request of a key, sent alone. */
  readonly probe: boolean;
  /**
   * Taken after the key's first answer: an answer to it that carries no rate-limit reading
   * teaches the budget nothing its settle does not (see `observeChangesBudget`).
   */
  readonly afterFirstAnswer: boolean;
  /** Sent above the learned concurrency ceiling to see whether it rose. */
  readonly aboveCeiling: boolean;
  /** The buckets charged, with the amount. */
  readonly charges: readonly { readonly id: BucketId; readonly amount: number }[];
}

export type TakeResult =
  | { readonly granted: true; readonly ticket: PacerTicket }
  | {
      readonly granted: false;
      readonly reason: WaitReason;
      /** When to try again; undefined: when an answer or a settled request changes the budget. */
      readonly wakeAt?: number;
      /** For a stop: when a fresh run finds the budget whole again (else `wakeAt`). */
      readonly resumeAt?: number;
      /** Units left in the bucket that holds the request back. */
      readonly remaining?: number;
    };

export interface Settlement {
  /** False: the request never left (aborted before sending); its charges are refunded. */
  readonly sent: boolean;
  /** HTTP status of the answer, when one arrived. */
  readonly status?: number;
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
}

/**
 * A request reaches the server some time after it leaves (the socket, a busy event loop),
 * and an answer's `remaining` is as of that arrival, so a budget learned from headers runs
 * ahead of the server's by the refill of that time. Learned buckets keep this much refill
 * in reserve, so requests sent at the learned pace do not meet an empty bucket.
 */
export const TRANSIT_ALLOWANCE_MS = 200;

/**
 * The first request of a budget goes alone, so a budget already spent costs one request;
 * a server slow to answer it holds the others back this long at most (then they go, and
 * 429s, if any, teach the budget as they come).
 */
export const FIRST_ANSWER_WAIT_MS = 2000;

/** Weight of a new sample in the token averages. */
const SMOOTHING = 0.3;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function createBudgetState(): BudgetState {
  return {
    version: 1,
    buckets: [],
    declared: {},
    blockedUntil: 0,
    blockReason: 'server-wait',
    inFlight: 0,
    unanswered: [],
    issued: 0,
    tokensSpent: 0,
    phase: 'unknown',
    probeTakenAt: 0,
    concurrency: createConcurrencyState(),
    inputScale: 1,
    outputAverage: null,
  };
}

function sameDeclared(a: DeclaredRateLimits, b: DeclaredRateLimits): boolean {
  return (
    a.requestsPerMinute === b.requestsPerMinute &&
    a.tokensPerMinute === b.tokensPerMinute &&
    a.concurrentRequests === b.concurrentRequests &&
    a.requestsPerDay === b.requestsPerDay
  );
}

/**
 * Builds the `declared-*` buckets. Per-minute limits get no burst (capacity one request /
 * one token, debt allowed): requests leave evenly spaced, which no limiter of that rate
 * rejects, whatever its window. A daily limit may be spent at once.
 */
function syncDeclared(state: BudgetState, declared: DeclaredRateLimits, nowMs: number): void {
  if (sameDeclared(state.declared, declared)) return;
  state.declared = { ...declared };
  state.buckets = state.buckets.filter((bucket) => !bucket.id.startsWith('declared-'));
  const { requestsPerMinute, tokensPerMinute, requestsPerDay } = declared;
  if (requestsPerMinute !== undefined) {
    const rate = requestsPerMinute / MINUTE_MS;
    state.buckets.push(newBucket('declared-requests', 'requests', 1, 1, rate, nowMs));
  }
  if (tokensPerMinute !== undefined) {
    const rate = tokensPerMinute / MINUTE_MS;
    state.buckets.push(newBucket('declared-tokens', 'tokens', 1, 1, rate, nowMs));
  }
  if (requestsPerDay !== undefined) {
    const rate = requestsPerDay / DAY_MS;
    state.buckets.push(
      newBucket('declared-day', 'requests', requestsPerDay, requestsPerDay, rate, nowMs),
    );
  }
}

function hasDeclaredRate(state: BudgetState): boolean {
  return state.buckets.some((bucket) => bucket.id.startsWith('declared-'));
}

/** Tokens one request is charged: its scaled input estimate plus its output cap or the average output. */
export function tokenCharge(state: BudgetState, demand: PacerDemand): number {
  const input = Math.ceil(Math.max(0, demand.inputTokens) * state.inputScale);
  const output = demand.maxOutputTokens ?? Math.round(state.outputAverage ?? 0);
  return input + Math.max(0, output);
}

/** The concurrency a new request may bring the key to (see `allowedConcurrency`). */
export function concurrencyCap(state: BudgetState, callerLimit: number): number {
  return allowedConcurrency(state.concurrency, callerLimit, state.declared.concurrentRequests);
}

function reasonOf(bucket: Bucket): WaitReason {
  if (bucket.id === 'declared-day') return 'daily-quota';
  return bucket.unit;
}

/**
 * Spends one request and its token charge from every bucket, or says why and until when
 * the request must wait. Mutates `state`.
 */
export function takeBudget(
  state: BudgetState,
  demand: PacerDemand,
  declared: DeclaredRateLimits,
  nowMs: number,
): TakeResult {
  syncDeclared(state, declared, nowMs);
  for (const bucket of state.buckets) refillBucket(bucket, nowMs);
  if (nowMs < state.blockedUntil) {
    return { granted: false, reason: state.blockReason, wakeAt: state.blockedUntil };
  }
  const probe = state.phase === 'unknown' && !hasDeclaredRate(state);
  const afterFirstAnswer = state.phase === 'known';
  const firstAnswerBy = state.probeTakenAt + FIRST_ANSWER_WAIT_MS;
  if (state.phase === 'probing' && !hasDeclaredRate(state) && nowMs < firstAnswerBy) {
    return { granted: false, reason: 'first-answer', wakeAt: firstAnswerBy };
  }
  const cap = concurrencyCap(state, demand.concurrencyLimit);
  if (state.inFlight >= cap) return { granted: false, reason: 'concurrency' };

  const tokens = tokenCharge(state, demand);
  let holding: { bucket: Bucket; wakeAt: number } | undefined;
  for (const bucket of state.buckets) {
    // A request larger than the bucket goes when it is full (and leaves it in debt).
    const need = Math.min(bucket.unit === 'requests' ? 1 : tokens, Math.max(1, bucket.capacity));
    const learned = bucket.id === 'requests' || bucket.id === 'tokens';
    const reserve = learned
      ? Math.min(bucket.ratePerMs * TRANSIT_ALLOWANCE_MS, Math.max(0, bucket.capacity - need))
      : 0;
    const wakeAt = bucketReadyAt(bucket, need + reserve, nowMs);
    if (wakeAt !== undefined && (holding === undefined || wakeAt > holding.wakeAt)) {
      holding = { bucket, wakeAt };
    }
  }
  if (holding !== undefined) {
    const { bucket, wakeAt } = holding;
    const fullAt =
      bucket.id === 'declared-day'
        ? nowMs + Math.ceil((bucket.capacity - bucket.level) / bucket.ratePerMs)
        : wakeAt;
    return {
      granted: false,
      reason: reasonOf(bucket),
      wakeAt,
      resumeAt: fullAt,
      remaining: Math.max(0, Math.floor(bucket.level)),
    };
  }

  const charges = state.buckets.map((bucket) => {
    const amount = bucket.unit === 'requests' ? 1 : tokens;
    bucket.level -= amount;
    return { id: bucket.id, amount };
  });
  state.inFlight += 1;
  state.issued += 1;
  state.tokensSpent += tokens;
  state.unanswered.push({ seq: state.issued, takenAt: nowMs, tokens });
  if (probe) {
    state.phase = 'probing';
    state.probeTakenAt = nowMs;
  }
  const { ceiling } = state.concurrency;
  return {
    granted: true,
    ticket: {
      seq: state.issued,
      takenAt: nowMs,
      inputTokens: demand.inputTokens,
      tokens,
      tokensSpent: state.tokensSpent,
      inFlight: state.inFlight,
      concurrencyLimit: demand.concurrencyLimit,
      probe,
      afterFirstAnswer,
      aboveCeiling: ceiling !== null && state.inFlight > ceiling,
      charges,
    },
  };
}

function block(state: BudgetState, untilMs: number, reason: BudgetState['blockReason']): void {
  if (untilMs <= state.blockedUntil) return;
  state.blockedUntil = untilMs;
  state.blockReason = reason;
}

/**
 * Earlier tickets this answer's request may have overtaken on the way: taken at most
 * `TRANSIT_ALLOWANCE_MS` before it and not answered yet. The server's `remaining` may not
 * count them, so they are spent after it as far as the answer can tell.
 */
function overtakenBy(state: BudgetState, ticket: PacerTicket): BudgetState['unanswered'] {
  const from = ticket.takenAt - TRANSIT_ALLOWANCE_MS;
  return state.unanswered.filter((entry) => entry.seq < ticket.seq && entry.takenAt >= from);
}

/** The ticket's answer was read (or will never be). */
function forget(state: BudgetState, ticket: PacerTicket): void {
  const index = state.unanswered.findIndex((entry) => entry.seq === ticket.seq);
  if (index >= 0) state.unanswered.splice(index, 1);
}

/**
 * False when `observeBudget` of this answer can be left to `settleBudget`: the reading is
 * empty (no headers, not a 429) and the key's first answer had arrived when the ticket was
 * taken, so observing would only mark the ticket answered, which settling does too. A
 * shared store is spared one write per request (servers that send no rate-limit headers).
 */
export function observeChangesBudget(ticket: PacerTicket, reading: RateLimitReading): boolean {
  if (!ticket.afterFirstAnswer) return true;
  return Object.values(reading).some((value) => value !== undefined);
}

/** Applies what an answer says (any status). Mutates `state`. */
export function observeBudget(
  state: BudgetState,
  ticket: PacerTicket,
  reading: RateLimitReading,
  sentAt: number,
  nowMs: number,
): void {
  for (const bucket of state.buckets) refillBucket(bucket, nowMs);
  state.phase = 'known';
  const answered = (spentAfter: number) => ({ seq: ticket.seq, spentAfter, sentAt });
  const overtaken = overtakenBy(state, ticket);
  forget(state, ticket);
  if (reading.requests !== undefined) {
    const spentAfter = state.issued - ticket.seq + overtaken.length;
    reconcileBucket(state.buckets, 'requests', reading.requests, answered(spentAfter), nowMs);
  }
  if (reading.tokens !== undefined) {
    const overtakenTokens = overtaken.reduce((sum, entry) => sum + entry.tokens, 0);
    const spentAfter = state.tokensSpent - ticket.tokensSpent + overtakenTokens;
    reconcileBucket(state.buckets, 'tokens', reading.tokens, answered(spentAfter), nowMs);
  }
  const { kind, retryAfterMs, statedLimit } = reading;
  if (kind === undefined) return;
  if (kind === 'concurrency') {
    recordConcurrencyLimited(state.concurrency, ticket, state.issued, nowMs);
    return;
  }
  if (kind === 'daily') {
    if (retryAfterMs !== undefined) block(state, nowMs + retryAfterMs, 'daily-quota');
    return;
  }
  if (retryAfterMs !== undefined) block(state, nowMs + retryAfterMs, 'server-wait');
  if (statedLimit !== undefined) {
    // "N per W s": spaced, no burst, from now (this request was just refused).
    const unit = kind === 'tokens' ? 'tokens' : 'requests';
    const rate = statedLimit.limit / statedLimit.windowMs;
    const stated = state.buckets.find((bucket) => bucket.id === 'stated');
    if (stated === undefined) state.buckets.push(newBucket('stated', unit, 1, 0, rate, nowMs));
    else Object.assign(stated, { level: 0, ratePerMs: rate, updatedAt: nowMs });
  }
}

/** The request is over. Mutates `state`. */
export function settleBudget(
  state: BudgetState,
  ticket: PacerTicket,
  settlement: Settlement,
  nowMs: number,
): void {
  for (const bucket of state.buckets) refillBucket(bucket, nowMs);
  state.inFlight = Math.max(0, state.inFlight - 1);
  forget(state, ticket);
  const answered = settlement.sent && settlement.status !== undefined;
  if (!answered) {
    // Nothing learned: let the next request try the first answer again.
    if (ticket.probe && state.phase === 'probing') state.phase = 'unknown';
    if (!settlement.sent) {
      for (const charge of ticket.charges) {
        const bucket = state.buckets.find((candidate) => candidate.id === charge.id);
        if (bucket !== undefined)
          bucket.level = Math.min(bucket.capacity, bucket.level + charge.amount);
      }
    }
    if (ticket.aboveCeiling) state.concurrency.probing = false;
    return;
  }
  state.phase = 'known';
  const status = settlement.status ?? 0;
  if (status < 400) recordConcurrencySuccess(state.concurrency, ticket, nowMs);
  else if (ticket.aboveCeiling && status !== 429) state.concurrency.probing = false;
  if (settlement.usage !== undefined) learnTokens(state, ticket, settlement.usage);
}

/** Corrects the token estimate by what the server counted; a declared token bucket is trued up. */
function learnTokens(
  state: BudgetState,
  ticket: PacerTicket,
  usage: NonNullable<Settlement['usage']>,
): void {
  const { inputTokens, outputTokens } = usage;
  if (ticket.inputTokens > 0 && inputTokens > 0) {
    const ratio = Math.min(20, Math.max(0.05, inputTokens / ticket.inputTokens));
    state.inputScale += SMOOTHING * (ratio - state.inputScale);
  }
  if (outputTokens >= 0) {
    state.outputAverage =
      state.outputAverage === null
        ? outputTokens
        : state.outputAverage + SMOOTHING * (outputTokens - state.outputAverage);
  }
  const declared = state.buckets.find((bucket) => bucket.id === 'declared-tokens');
  const charged = ticket.charges.find((charge) => charge.id === 'declared-tokens');
  if (declared !== undefined && charged !== undefined) {
    const correction = charged.amount - (inputTokens + outputTokens);
    declared.level = Math.min(declared.capacity, declared.level + correction);
  }
}
