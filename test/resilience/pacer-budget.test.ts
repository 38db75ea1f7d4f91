import { describe, expect, it } from 'vitest';
import {
  concurrencyCap,
  createBudgetState,
  observeBudget,
  settleBudget,
  takeBudget,
  tokenCharge,
  type BudgetState,
  type PacerTicket,
} from '../../src/resilience/pacer-budget.js';
import { readRateLimitAnswer } from '../../src/resilience/pacer-headers.js';

const demand = { inputTokens: 100, concurrencyLimit: 30 };

function take(state: BudgetState, nowMs: number): PacerTicket {
  const result = takeBudget(state, demand, {}, nowMs);
  if (!result.granted) throw new Error(`not granted: ${result.reason}`);
  return result.ticket;
}

function known(): BudgetState {
  const state = createBudgetState();
  state.phase = 'known';
  return state;
}

describe('pacer budget', () => {
  it('reads the refill rate from headers as a lower bound: (used - 1) / (reset + rounding)', () => {
    const state = known();
    const ticket = take(state, 0);
    const reading = readRateLimitAnswer(
      {
        status: 200,
        headers: {
          'x-ratelimit-limit-requests': '10',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '500ms',
        },
      },
      100,
    );
    observeBudget(state, ticket, reading, 0, 100);
    const bucket = state.buckets.find((candidate) => candidate.id === 'requests');
    expect(bucket?.ratePerMs).toBeCloseTo(9 / 501, 12);
    // remaining 0 at admission, plus the refill since it was sent.
    expect(bucket?.level).toBeCloseTo((9 / 501) * 100, 12);
  });

  it('subtracts what was spent after the answered request from its remaining', () => {
    const state = known();
    const first = take(state, 0);
    take(state, 0);
    take(state, 0);
    const reading = readRateLimitAnswer(
      {
        status: 200,
        headers: { 'x-ratelimit-limit-requests': '50', 'x-ratelimit-remaining-requests': '40' },
      },
      10,
    );
    observeBudget(state, first, reading, 0, 10);
    expect(state.buckets.find((bucket) => bucket.id === 'requests')?.level).toBe(38);
  });

  it('counts earlier tickets an answer may have overtaken on the way as spent after it', () => {
    const state = known();
    const long = take(state, 0);
    const first = take(state, 200);
    const second = take(state, 250);
    // The second arrived first: its remaining (9 of 10, this request only) does not count
    // the first, taken 50 ms before it; `long`, taken 250 ms before, had arrived.
    const reading = readRateLimitAnswer(
      {
        status: 200,
        headers: { 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '9' },
      },
      400,
    );
    observeBudget(state, second, reading, 250, 400);
    const bucket = state.buckets.find((candidate) => candidate.id === 'requests');
    expect(bucket?.level).toBe(8);
    expect(state.unanswered.map((entry) => entry.seq)).toEqual([long.seq, first.seq]);
    settleBudget(state, first, { sent: true, status: 200 }, 450);
    expect(state.unanswered.map((entry) => entry.seq)).toEqual([long.seq]);
  });

  it('counts the concurrency 429s of one congestion event once: one halving, ceiling below the lowest', () => {
    const state = known();
    const tickets = Array.from({ length: 8 }, () => take(state, 0));
    const concurrency429 = readRateLimitAnswer(
      { status: 429, message: 'too many concurrent requests' },
      1,
    );
    for (const ticket of tickets.slice(3).reverse()) {
      observeBudget(state, ticket, concurrency429, 0, 1);
      settleBudget(state, ticket, { sent: true, status: 429 }, 1);
    }
    expect(state.concurrency).toMatchObject({ limit: 15, ceiling: 3 });
    expect(concurrencyCap(state, 30)).toBe(3);
    // A request taken after the decrease that is refused again is a new event.
    settleBudget(state, tickets[0] as PacerTicket, { sent: true, status: 200 }, 2);
    const later = take(state, 2);
    expect(later.inFlight).toBe(3);
    observeBudget(state, later, concurrency429, 0, 3);
    expect(state.concurrency).toMatchObject({ limit: 7, ceiling: 2 });
  });

  it('raises the limit by one per limit-many successes, never past the caller limit', () => {
    const state = known();
    state.concurrency.limit = 2;
    for (let index = 0; index < 2; index += 1) {
      settleBudget(state, take(state, 0), { sent: true, status: 200 }, 0);
    }
    expect(state.concurrency.limit).toBe(3);
    const capped = known();
    capped.concurrency.limit = 4;
    for (let index = 0; index < 100; index += 1) {
      const ticket = takeBudget(capped, { ...demand, concurrencyLimit: 4 }, {}, 0);
      if (!ticket.granted) throw new Error('not granted');
      settleBudget(capped, ticket.ticket, { sent: true, status: 200 }, 0);
    }
    expect(capped.concurrency.limit).toBe(4);
    expect(concurrencyCap(capped, 2)).toBe(2);
  });

  it('scales the input estimate by the usage the server reports and learns the average output', () => {
    const state = known();
    for (let index = 0; index < 30; index += 1) {
      const ticket = take(state, 0);
      settleBudget(
        state,
        ticket,
        { sent: true, status: 200, usage: { inputTokens: 50, outputTokens: 20 } },
        0,
      );
    }
    expect(state.inputScale).toBeCloseTo(0.5, 3);
    expect(state.outputAverage).toBe(20);
    // The scale approaches 0.5 from above; the charge rounds up.
    expect(tokenCharge(state, { inputTokens: 100, concurrencyLimit: 1 })).toBe(51 + 20);
    expect(
      tokenCharge(state, { inputTokens: 100, maxOutputTokens: 500, concurrencyLimit: 1 }),
    ).toBe(51 + 500);
  });
});
