import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../src/resilience/clock.js';
import { FIRST_ANSWER_WAIT_MS } from '../../src/resilience/pacer-budget.js';
import { Pacer, type PacerPermit, type PacerWait } from '../../src/resilience/pacer.js';
import { InMemoryPacerStore, type PacerStore } from '../../src/resilience/pacer-store.js';
import type { DeclaredRateLimits } from '../../src/resilience/rate-limits-config.js';
import { ResumableStop } from '../../src/resilience/resumable-stop.js';
import { capture } from './resilience-kit.js';
import { SimProvider, runFanOut } from './pacer-kit.js';

function setup(
  options: { declared?: DeclaredRateLimits; maxInlineWaitMs?: number; startMs?: number } = {},
) {
  const { startMs, ...pacerOptions } = options;
  const clock = createFakeClock(startMs);
  const store = new InMemoryPacerStore();
  const pacer = new Pacer({
    key: 'k',
    store,
    clock,
    where: 'http://model (model m)',
    ...pacerOptions,
  });
  return { clock, store, pacer };
}

const demand = { inputTokens: 0, concurrencyLimit: 30 };

/** Grant times of `count` callers that acquire at once and release at once. */
async function grantTimes(pacer: Pacer, clock: ReturnType<typeof createFakeClock>, count: number) {
  const times: number[] = [];
  const all = Array.from({ length: count }, (_, index) =>
    pacer.acquire(demand).then(async (permit) => {
      times[index] = clock.now();
      await permit.settle({ sent: true, answer: { status: 200 } });
    }),
  );
  await clock.runUntilIdle();
  await Promise.all(all);
  return times;
}

describe('Pacer: declared limits (no headers)', () => {
  it('spaces requests evenly at requests_per_minute, with no 429', async () => {
    const { clock, pacer } = setup({ declared: { requestsPerMinute: 1200 } });
    const provider = new SimProvider({ requests: { capacity: 10, perSecond: 20 }, headers: false });
    await runFanOut({ clock, pacer, provider, items: 60, concurrencyLimit: 30, latencyMs: 100 });
    expect(provider.rejected).toBe(0);
    expect(provider.accepted).toEqual(Array.from({ length: 60 }, (_, index) => index * 50));
  });

  it('spaces requests by their token cost at tokens_per_minute, corrected by usage', async () => {
    const { clock, pacer } = setup({ declared: { tokensPerMinute: 60_000 } });
    const provider = new SimProvider({ headers: false });
    await runFanOut({
      clock,
      pacer,
      provider,
      items: 6,
      concurrencyLimit: 6,
      latencyMs: 100,
      // Estimated 250, counted 200 + 50 output: the charge stays 250 per request.
      demand: { inputTokens: 250 },
      usage: { inputTokens: 200, outputTokens: 50 },
    });
    expect(provider.accepted).toEqual([0, 250, 500, 750, 1000, 1250]);
  });

  it('holds concurrent_requests, after the first request went alone', async () => {
    const { clock, pacer } = setup({ declared: { concurrentRequests: 3 } });
    const provider = new SimProvider({});
    await runFanOut({ clock, pacer, provider, items: 9, concurrencyLimit: 30, latencyMs: 100 });
    expect(provider.accepted).toEqual([0, 100, 100, 100, 200, 200, 200, 300, 300]);
    expect(provider.maxInFlight).toBe(3);
  });

  it('spends requests_per_day at once, then stops resumably until the day is whole again', async () => {
    const { clock, pacer } = setup({ declared: { requestsPerDay: 5 } });
    const provider = new SimProvider({});
    const { errors } = await runFanOut({
      clock,
      pacer,
      provider,
      items: 8,
      concurrencyLimit: 8,
      latencyMs: 100,
    });
    expect(provider.accepted).toEqual([0, 0, 0, 0, 0]);
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ResumableStop);
      expect(error).toMatchObject({ reason: 'quota', resumeNotBefore: 86_400_000 });
    }
    expect((errors[0] as Error).message).toBe(
      'http://model (model m): daily quota used up; it allows the next request in 17280 s',
    );
  });
});

describe('Pacer: budgets learned from headers', () => {
  it('request bucket (burst 10, 20/s): 150 items, no 429, first-to-last within 5 % of the ideal', async () => {
    const { clock, pacer } = setup();
    const provider = new SimProvider({ requests: { capacity: 10, perSecond: 20 } });
    await runFanOut({ clock, pacer, provider, items: 150, concurrencyLimit: 30, latencyMs: 100 });
    expect(provider.arrivals).toHaveLength(150);
    expect(provider.rejected).toBe(0);
    const accepted = provider.accepted;
    const spanMs = (accepted.at(-1) ?? 0) - (accepted[0] ?? 0);
    const idealMs = ((150 - 10) / 20) * 1000;
    expect(spanMs).toBeGreaterThanOrEqual(idealMs);
    expect(spanMs).toBeLessThanOrEqual(idealMs * 1.05);
  });

  it('requests that reach the server 40-80 ms after they leave, reordered: no 429, within 5 % of the ideal', async () => {
    // An answer's remaining is as of its request's arrival, which may come after later
    // requests' (not counted in it) and after refill the pacer already counted: without
    // TRANSIT_ALLOWANCE_MS the learned bucket runs ahead of the server's and a few meet an
    // empty one.
    const { clock, pacer } = setup();
    const provider = new SimProvider({ requests: { capacity: 10, perSecond: 20 } });
    await runFanOut({
      clock,
      pacer,
      provider,
      items: 150,
      concurrencyLimit: 30,
      latencyMs: 100,
      transitMs: (sent) => 40 + ((sent * 7) % 5) * 10,
    });
    expect(provider.rejected).toBe(0);
    const accepted = provider.accepted;
    const spanMs = (accepted.at(-1) ?? 0) - (accepted[0] ?? 0);
    const idealMs = ((150 - 10) / 20) * 1000;
    expect(spanMs).toBeLessThanOrEqual(idealMs * 1.05);
  });

  it('token bucket binding: learns the token cost from usage, under 2 % 429s, within 15 % of the ideal', async () => {
    const { clock, pacer } = setup();
    const provider = new SimProvider({
      requests: { capacity: 100, perSecond: 100 },
      tokens: { capacity: 3000, perSecond: 2000 },
    });
    await runFanOut({
      clock,
      pacer,
      provider,
      items: 100,
      concurrencyLimit: 30,
      latencyMs: 100,
      // The estimate is 40 % high; the server counts 300 in + 100 out.
      demand: { inputTokens: 420, maxOutputTokens: 100 },
      usage: { inputTokens: 300, outputTokens: 100 },
    });
    expect(provider.rejected).toBeLessThanOrEqual(2);
    const accepted = provider.accepted;
    expect(accepted).toHaveLength(100);
    const spanMs = (accepted.at(-1) ?? 0) - (accepted[0] ?? 0);
    const idealMs = ((100 * 400 - 3000) / 2000) * 1000;
    expect(spanMs).toBeGreaterThanOrEqual(idealMs);
    expect(spanMs).toBeLessThanOrEqual(idealMs * 1.15);
  });

  it('sends one request until the first answer arrives', async () => {
    const { clock, pacer } = setup();
    const provider = new SimProvider({ requests: { capacity: 3, perSecond: 1 } });
    await runFanOut({ clock, pacer, provider, items: 4, concurrencyLimit: 4, latencyMs: 100 });
    // The first answer says 2 left of 3: one goes at once, the next once the refill of
    // TRANSIT_ALLOWANCE_MS is back in reserve. The fourth waits for the refill, whose rate
    // the headers give only as a lower bound ("remaining" is rounded down, the reset to its
    // unit). Late, never early.
    expect(provider.arrivals).toEqual([
      { at: 0, status: 200 },
      { at: 100, status: 200 },
      { at: 301, status: 200 },
      { at: 1851, status: 200 },
    ]);
  });

  it('a first answer slow to come holds the others back FIRST_ANSWER_WAIT_MS at most', async () => {
    const { clock, pacer } = setup();
    const waits: PacerWait[] = [];
    const first = await pacer.acquire(demand);
    const second = capture(pacer.acquire(demand, { onWait: (wait) => waits.push(wait) }));
    await clock.advance(FIRST_ANSWER_WAIT_MS - 1);
    expect(second.outcome.settled).toBe(false);
    expect(waits).toEqual([
      { reason: 'first-answer', delayMs: FIRST_ANSWER_WAIT_MS, remaining: undefined, ahead: 0 },
    ]);
    await clock.advance(1);
    await second.done;
    expect(second.outcome.value?.waitedMs).toBe(FIRST_ANSWER_WAIT_MS);
    await first.settle({ sent: true, answer: { status: 200 } });
  });

  it('an answerless first request (network error) hands the first-request role to the next', async () => {
    const { clock, pacer } = setup();
    const first = await pacer.acquire(demand);
    const second = capture(pacer.acquire(demand));
    await clock.settle();
    expect(second.outcome.settled).toBe(false);
    await first.settle({ sent: true });
    await second.done;
    const third = capture(pacer.acquire(demand));
    await clock.settle();
    expect(third.outcome.settled).toBe(false);
    await second.outcome.value?.settle({ sent: true, answer: { status: 200 } });
    await third.done;
    expect(third.outcome.value).toBeDefined();
  });

  it('waits for the end of a fixed window when the reset is an epoch time', async () => {
    const { clock, pacer } = setup({ startMs: 1_700_000_000_000 });
    const probe = await pacer.acquire(demand);
    await probe.settle({
      sent: true,
      answer: {
        status: 200,
        headers: {
          'x-ratelimit-limit-requests': '5',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '1700000045',
        },
      },
    });
    // Nothing before the window ends; then its five (and, without fresh headers, more).
    const times = await grantTimes(pacer, clock, 6);
    expect(times).toEqual(Array.from({ length: 6 }, () => 1_700_000_045_000));
  });

  it('without a limit header, a spent bucket waits for its reset (seconds, plus their rounding)', async () => {
    const { clock, pacer } = setup();
    const first = await pacer.acquire(demand);
    await clock.advance(500);
    await first.settle({
      sent: true,
      answer: {
        status: 200,
        headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '45' },
      },
    });
    const times = await grantTimes(pacer, clock, 2);
    expect(times).toEqual([500 + 46_000, 500 + 46_000]);
  });

  it('ignores an answer older than one already applied', async () => {
    const { clock, pacer, store } = setup();
    const probe = await pacer.acquire(demand);
    const answer = (remaining: number) => ({
      status: 200,
      headers: {
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': String(remaining),
      },
    });
    await probe.settle({ sent: true, answer: answer(99) });
    const older = await pacer.acquire(demand);
    const newer = await pacer.acquire(demand);
    await clock.settle();
    await newer.settle({ sent: true, answer: answer(50) });
    await older.settle({ sent: true, answer: answer(98) });
    const bucket = store.state('k')?.buckets.find((candidate) => candidate.id === 'requests');
    // The newer answer's 50, less the older request it may have overtaken (taken at the
    // same time, unanswered then); the older answer's 98 changes nothing.
    expect(bucket?.level).toBe(49);
  });
});

describe('Pacer: 429s', () => {
  it('a retry-after-ms holds every request until it has passed', async () => {
    const { clock, pacer } = setup();
    const first = await pacer.acquire(demand);
    await clock.advance(1);
    const answer = { status: 429, headers: { 'retry-after-ms': '1500' } };
    await expect(first.observe(answer)).resolves.toEqual({ kind: 'unknown', retryAfterMs: 1500 });
    await expect(first.observe(answer)).resolves.toBeUndefined();
    await first.settle({ sent: true, answer });
    const times = await grantTimes(pacer, clock, 3);
    expect(times).toEqual([1501, 1501, 1501]);
  });

  it('a daily quota (UserByModelByDay) stops every waiting request after exactly one was sent', async () => {
    const { clock, pacer } = setup();
    let sent = 0;
    const item = async () => {
      const permit = await pacer.acquire(demand);
      sent += 1;
      await clock.sleep(300);
      await permit.settle({
        sent: true,
        answer: {
          status: 429,
          headers: { 'x-ratelimit-type': 'UserByModelByDay', 'retry-after': '24367' },
          message: 'Rate limit of 150 per 86400s exceeded for UserByModelByDay.',
        },
      });
    };
    const items = Array.from({ length: 30 }, () => capture(item()));
    await clock.runUntilIdle();
    await Promise.all(items.map((one) => one.done));
    expect(sent).toBe(1);
    const stops = items.filter((one) => one.outcome.error instanceof ResumableStop);
    expect(stops).toHaveLength(29);
    expect(stops[0]?.outcome.error).toMatchObject({
      reason: 'quota',
      resumeNotBefore: 300 + 24_367_000,
    });
  });

  it('a server wait beyond the in-process limit stops resumably (rate-limit)', async () => {
    const { clock, pacer } = setup({ maxInlineWaitMs: 300_000 });
    const first = await pacer.acquire(demand);
    await first.settle({ sent: true, answer: { status: 429, headers: { 'retry-after': '600' } } });
    await expect(pacer.acquire(demand)).rejects.toMatchObject({
      reason: 'rate-limit',
      resumeNotBefore: 600_000,
    });
    expect(clock.pendingSleeps).toBe(0);
  });

  it('a stated "N per W s" limit spaces later requests at W/N', async () => {
    const { clock, pacer } = setup();
    const first = await pacer.acquire(demand);
    await first.settle({
      sent: true,
      answer: {
        status: 429,
        headers: { 'x-ratelimit-type': 'UserByModelByMinute', 'retry-after': '46' },
        message: 'Rate limit of 10 per 60s exceeded for UserByModelByMinute.',
      },
    });
    const times = await grantTimes(pacer, clock, 3);
    expect(times).toEqual([46_000, 52_000, 58_000]);
  });
});

describe('Pacer: adaptive concurrency', () => {
  it('converges to the server in-flight limit within one round trip and stays there', async () => {
    const { clock, pacer, store } = setup();
    const provider = new SimProvider({ maxInFlight: 4 });
    await runFanOut({ clock, pacer, provider, items: 150, concurrencyLimit: 30, latencyMs: 200 });
    const rejections = provider.arrivals.filter((arrival) => arrival.status === 429);
    expect(provider.accepted).toHaveLength(150);
    // The first wave after the first answer (30 at once, 4 admitted); then none.
    expect(rejections).toHaveLength(26);
    expect(Math.max(...rejections.map((arrival) => arrival.at))).toBeLessThanOrEqual(401);
    const state = store.state('k');
    expect(state?.concurrency.ceiling).toBe(4);
    // After convergence: 4 in flight all the time.
    const accepted = provider.accepted;
    const afterMs = (accepted.at(-1) ?? 0) - 401;
    const remaining = accepted.filter((at) => at > 401).length;
    expect(afterMs).toBeLessThanOrEqual((remaining / 4) * 200 * 1.15);
  });

  it('never goes below 1 nor above the caller limit', async () => {
    const { clock, pacer, store } = setup();
    const provider = new SimProvider({ maxInFlight: 1 });
    await runFanOut({ clock, pacer, provider, items: 20, concurrencyLimit: 3, latencyMs: 100 });
    expect(provider.accepted).toHaveLength(20);
    expect(store.state('k')?.concurrency.ceiling).toBe(1);
    const unlimited = setup();
    const open = new SimProvider({});
    await runFanOut({
      clock: unlimited.clock,
      pacer: unlimited.pacer,
      provider: open,
      items: 20,
      concurrencyLimit: 3,
      latencyMs: 100,
    });
    expect(open.maxInFlight).toBe(3);
  });

  it('probes one above the ceiling after 30 s at it, and keeps a ceiling that rose', async () => {
    const { clock, pacer, store } = setup();
    const provider = new SimProvider({ maxInFlight: 3 });
    await runFanOut({ clock, pacer, provider, items: 30, concurrencyLimit: 30, latencyMs: 200 });
    expect(store.state('k')?.concurrency.ceiling).toBe(3);
    // The server now allows 4. 60 s of work: after 30 s at the ceiling one request goes
    // above it, succeeds, and the ceiling rises.
    provider.limitInFlight = 4;
    const before = provider.rejected;
    await runFanOut({ clock, pacer, provider, items: 900, concurrencyLimit: 30, latencyMs: 200 });
    expect(store.state('k')?.concurrency.ceiling).toBe(4);
    expect(provider.rejected - before).toBe(0);
    // Back to 3: the next probe above 4 fails once, a request within it fails once more
    // and lowers the ceiling; nothing else is refused.
    provider.limitInFlight = 3;
    const again = provider.rejected;
    await runFanOut({ clock, pacer, provider, items: 300, concurrencyLimit: 30, latencyMs: 200 });
    expect(store.state('k')?.concurrency.ceiling).toBe(3);
    expect(provider.rejected - again).toBeLessThanOrEqual(2);
  });
});

describe('Pacer: queue', () => {
  it('serves callers in arrival order, a large demand at the head holding the small ones back', async () => {
    const { clock, pacer } = setup({ declared: { tokensPerMinute: 60_000 } });
    const order: string[] = [];
    const take = (name: string, inputTokens: number) =>
      pacer.acquire({ inputTokens, concurrencyLimit: 30 }).then((permit) => {
        order.push(`${name}@${clock.now()}`);
        return permit.settle({ sent: true, answer: { status: 200 } });
      });
    const all = [take('a', 1000), take('big', 5000), take('small', 10)];
    await clock.runUntilIdle();
    await Promise.all(all);
    expect(order).toEqual(['a@0', 'big@1000', 'small@6000']);
  });

  it('an aborted waiter leaves within its wait and its turn goes to the next caller', async () => {
    const { clock, pacer } = setup({ declared: { requestsPerMinute: 60 } });
    await pacer.acquire(demand);
    const controller = new AbortController();
    const aborted = capture(pacer.acquire(demand, { signal: controller.signal }));
    const next = capture(pacer.acquire(demand));
    await clock.advance(400);
    expect(clock.pendingSleeps).toBe(1);
    controller.abort();
    await aborted.done;
    expect(aborted.outcome.error).toMatchObject({ code: 'cancelled' });
    expect(clock.now()).toBe(400);
    await clock.runUntilIdle();
    await next.done;
    expect(clock.now()).toBe(1000);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('keeps one timer however many wait, and reports each wait once with its reason', async () => {
    const { clock, pacer } = setup({ declared: { requestsPerMinute: 60 } });
    const waits: unknown[] = [];
    const permits: Promise<PacerPermit>[] = [];
    for (let index = 0; index < 20; index += 1) {
      permits.push(pacer.acquire(demand, { onWait: (wait) => waits.push(wait) }));
    }
    await clock.settle();
    expect(clock.pendingSleeps).toBe(1);
    expect(waits).toHaveLength(19);
    expect(waits[0]).toEqual({ reason: 'requests', delayMs: 1000, remaining: 0, ahead: 0 });
    expect(waits[18]).toMatchObject({ reason: 'requests', ahead: 18 });
    await clock.advance(5000);
    expect(clock.pendingSleeps).toBe(1);
    await clock.runUntilIdle();
    const granted = await Promise.all(permits);
    expect(granted.map((permit) => permit.waitedMs)).toEqual(
      Array.from({ length: 20 }, (_, index) => index * 1000),
    );
  });

  it('refunds a request that was never sent', async () => {
    const { clock, pacer } = setup({ declared: { requestsPerMinute: 60 } });
    const unused = await pacer.acquire(demand);
    await unused.settle({ sent: false });
    const next = capture(pacer.acquire(demand));
    await clock.settle();
    expect(next.outcome.settled).toBe(true);
    expect(clock.now()).toBe(0);
  });

  it('a throwing onWait fails the waiters instead of leaving them waiting', async () => {
    const { clock, pacer } = setup({ declared: { requestsPerMinute: 60 } });
    await pacer.acquire(demand);
    const failing = pacer.acquire(demand, {
      onWait: () => {
        throw new Error('reporter broke');
      },
    });
    await expect(failing).rejects.toThrow('reporter broke');
    expect(pacer.waiting).toBe(0);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('a signal that already fired rejects at once', async () => {
    const { pacer } = setup();
    const controller = new AbortController();
    controller.abort();
    await expect(pacer.acquire(demand, { signal: controller.signal })).rejects.toMatchObject({
      code: 'cancelled',
    });
    expect(pacer.waiting).toBe(0);
  });
});

describe('Pacer: a store shared with other processes', () => {
  /** One store two pacers share, as two workers share one in Redis. */
  function sharedSetup(recheckMs: number | undefined) {
    const clock = createFakeClock();
    const inner = new InMemoryPacerStore();
    const store: PacerStore = {
      ...(recheckMs !== undefined && { recheckMs }),
      take: (...args) => inner.take(...args),
      observe: (...args) => inner.observe(...args),
      settle: (...args) => inner.settle(...args),
    };
    const declared = { concurrentRequests: 1, requestsPerMinute: 60_000 };
    const make = () => new Pacer({ key: 'k', store, clock, declared });
    return { clock, first: make(), second: make() };
  }

  it('a request held back by a slot another process holds goes once that process frees it', async () => {
    const { clock, first, second } = sharedSetup(25);
    const held = await first.acquire({ inputTokens: 0, concurrencyLimit: 1 });
    let grantedAt: number | undefined;
    const waiting = second.acquire({ inputTokens: 0, concurrencyLimit: 1 }).then((permit) => {
      grantedAt = clock.now();
      return permit;
    });
    await clock.advance(1_000);
    expect(grantedAt).toBeUndefined();
    // Freed in the other process: nothing in this one hears of it but the store.
    await held.settle({ sent: true, answer: { status: 200 } });
    await clock.advance(25);
    expect(grantedAt).toBe(1_025);
    await (await waiting).settle({ sent: true, answer: { status: 200 } });
  });
});

describe('Pacer: what it asks of the store', () => {
  /** An in-memory store that counts the calls a shared store would turn into writes. */
  function countingSetup() {
    const clock = createFakeClock();
    const inner = new InMemoryPacerStore();
    const calls = { take: 0, observe: 0, settle: 0 };
    const store: PacerStore = {
      take: (...args) => (calls.take++, inner.take(...args)),
      observe: (...args) => (calls.observe++, inner.observe(...args)),
      settle: (...args) => (calls.settle++, inner.settle(...args)),
    };
    return { clock, calls, pacer: new Pacer({ key: 'k', store, clock }) };
  }

  async function oneRequest(pacer: Pacer, answer: { status: number; headers?: Headers }) {
    const permit = await pacer.acquire(demand);
    permit.markSent();
    await permit.observe(answer);
    await permit.settle({ sent: true, answer });
  }

  it('an answer without rate-limit headers after the first answer costs a take and a settle', async () => {
    const { calls, pacer } = countingSetup();
    await oneRequest(pacer, { status: 200 });
    // The first answer is observed: it opens the first-answer gate for the others.
    expect(calls).toEqual({ take: 1, observe: 1, settle: 1 });
    await oneRequest(pacer, { status: 200 });
    await oneRequest(pacer, { status: 200 });
    expect(calls).toEqual({ take: 3, observe: 1, settle: 3 });
  });

  it('an answer with rate-limit headers, or a 429, is observed every time', async () => {
    const { clock, calls, pacer } = countingSetup();
    const headers = new Headers({
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-reset-requests': '1s',
    });
    await oneRequest(pacer, { status: 200, headers });
    await oneRequest(pacer, { status: 200, headers });
    await oneRequest(pacer, { status: 429 });
    await clock.runUntilIdle();
    expect(calls.observe).toBe(3);
  });
});
