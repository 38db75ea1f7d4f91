/**
 * Adaptive concurrency of a pacing budget (AIMD with a learned ceiling), as plain data
 * updated by answers. Only concurrency-type 429s lower it; rate 429s are the buckets' job.
 */

/** Operating at the ceiling this long without a concurrency 429: probe one above it. */
export const CEILING_PROBE_AFTER_MS = 30_000;

export interface ConcurrencyState {
  /** AIMD limit; null until the first concurrency 429 (the caller's limit applies). */
  limit: number | null;
  /** Highest concurrency the server accepted, learned from concurrency 429s; null: none seen. */
  ceiling: number | null;
  /** One request may go above the ceiling to find out whether it rose. */
  probing: boolean;
  /** Successes since the last change. */
  streak: number;
  /** Tickets numbered up to this belong to the last decrease's congestion event. */
  decreasedAtSeq: number;
  /** When the ceiling last changed or was confirmed. */
  ceilingSince: number;
}

/** What the concurrency policy needs of a ticket. */
export interface ConcurrencyTicket {
  readonly seq: number;
  /** Requests in flight including this one, when taken. */
  readonly inFlight: number;
  /** The caller's limit (`async_limit`). */
  readonly concurrencyLimit: number;
  /** Sent above the ceiling to see whether it rose. */
  readonly aboveCeiling: boolean;
}

export function createConcurrencyState(): ConcurrencyState {
  return {
    limit: null,
    ceiling: null,
    probing: false,
    streak: 0,
    decreasedAtSeq: 0,
    ceilingSince: 0,
  };
}

/**
 * How many requests may be in flight: the least of the caller's limit, the declared
 * `concurrent_requests`, the AIMD limit and the ceiling (plus one while probing); never
 * below 1.
 */
export function allowedConcurrency(
  concurrency: ConcurrencyState,
  callerLimit: number,
  declaredLimit: number | undefined,
): number {
  const { limit, ceiling, probing } = concurrency;
  const learned = ceiling === null ? Number.POSITIVE_INFINITY : ceiling + (probing ? 1 : 0);
  const none = Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(callerLimit, declaredLimit ?? none, limit ?? none, learned));
}

/**
 * A concurrency 429: the server holds fewer than this ticket's in-flight count, so the
 * ceiling drops below it; a new congestion event (a ticket taken after the last decrease;
 * `issued` is the last ticket handed out) also halves the AIMD limit. The ceiling is what
 * makes it converge: the limit recovers additively but is never used past it. A failed
 * probe above the ceiling only ends the probe.
 */
export function recordConcurrencyLimited(
  concurrency: ConcurrencyState,
  ticket: ConcurrencyTicket,
  issued: number,
  nowMs: number,
): void {
  concurrency.streak = 0;
  concurrency.ceilingSince = nowMs;
  if (ticket.aboveCeiling) {
    concurrency.probing = false;
    return;
  }
  const ceiling = Math.max(1, ticket.inFlight - 1);
  concurrency.ceiling = Math.min(concurrency.ceiling ?? ceiling, ceiling);
  if (ticket.seq <= concurrency.decreasedAtSeq) return;
  concurrency.decreasedAtSeq = issued;
  const current = concurrency.limit ?? ticket.concurrencyLimit;
  concurrency.limit = Math.max(1, Math.floor(current / 2));
}

/**
 * A success: +1 to the limit per `limit` successes in a row (up to the caller's limit); a
 * probe above the ceiling that succeeded raises it; after `CEILING_PROBE_AFTER_MS` at the
 * ceiling, one request may go above it.
 */
export function recordConcurrencySuccess(
  concurrency: ConcurrencyState,
  ticket: ConcurrencyTicket,
  nowMs: number,
): void {
  if (ticket.aboveCeiling && concurrency.ceiling !== null) {
    concurrency.ceiling = Math.max(concurrency.ceiling, ticket.inFlight);
    concurrency.probing = false;
    concurrency.ceilingSince = nowMs;
  }
  concurrency.streak += 1;
  const { limit, ceiling } = concurrency;
  if (limit !== null && limit < ticket.concurrencyLimit && concurrency.streak >= limit) {
    concurrency.limit = limit + 1;
    concurrency.streak = 0;
  }
  if (
    ceiling !== null &&
    ticket.inFlight >= ceiling &&
    !concurrency.probing &&
    ceiling < ticket.concurrencyLimit &&
    nowMs - concurrency.ceilingSince >= CEILING_PROBE_AFTER_MS
  ) {
    concurrency.probing = true;
  }
}
