import type { FakeClock } from '../../src/resilience/clock.js';
import type { PacerDemand } from '../../src/resilience/pacer-budget.js';
import type { Pacer } from '../../src/resilience/pacer.js';

/**
 * Pacer tests: an in-process provider on the fake clock (token buckets with OpenAI-style
 * headers, an optional in-flight limit) and fan-outs that drive a pacer against it.
 */

export interface SimBucket {
  readonly capacity: number;
  readonly perSecond: number;
}

export interface SimProviderOptions {
  readonly requests?: SimBucket;
  readonly tokens?: SimBucket;
  /** 429 (concurrency) above this many requests in flight. */
  readonly maxInFlight?: number;
  /** Send x-ratelimit-* headers; default true. */
  readonly headers?: boolean;
  /** On a bucket 429, add retry-after-ms (time until the request would fit). */
  readonly retryAfterMs?: boolean;
}

export interface SimAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly message?: string;
}

/** Go-style duration like the OpenAI headers: `120ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  const whole = Math.ceil(ms);
  if (whole < 1000) return `${whole}ms`;
  if (whole < 60_000) return `${whole / 1000}s`;
  return `${Math.floor(whole / 60_000)}m${(whole % 60_000) / 1000}s`;
}

class SimTokenBucket {
  level: number;
  #updatedAt = 0;
  constructor(readonly spec: SimBucket) {
    this.level = spec.capacity;
  }
  refill(nowMs: number): void {
    const rate = this.spec.perSecond / 1000;
    this.level = Math.min(this.spec.capacity, this.level + rate * (nowMs - this.#updatedAt));
    this.#updatedAt = nowMs;
  }
  /** ms until `amount` fits. */
  waitFor(amount: number): number {
    return Math.max(0, ((amount - this.level) * 1000) / this.spec.perSecond);
  }
  headers(unit: string): Record<string, string> {
    const resetMs = ((this.spec.capacity - this.level) * 1000) / this.spec.perSecond;
    return {
      [`x-ratelimit-limit-${unit}`]: String(this.spec.capacity),
      [`x-ratelimit-remaining-${unit}`]: String(Math.max(0, Math.floor(this.level))),
      [`x-ratelimit-reset-${unit}`]: formatDuration(resetMs),
    };
  }
}

/** A rate-limited provider: admits or refuses each request at the fake clock's time. */
export class SimProvider {
  readonly arrivals: { at: number; status: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** The in-flight limit; may change between fan-outs. */
  limitInFlight: number | undefined;
  readonly #options: SimProviderOptions;
  readonly #requests: SimTokenBucket | undefined;
  readonly #tokens: SimTokenBucket | undefined;

  constructor(options: SimProviderOptions) {
    this.#options = options;
    this.limitInFlight = options.maxInFlight;
    this.#requests = options.requests && new SimTokenBucket(options.requests);
    this.#tokens = options.tokens && new SimTokenBucket(options.tokens);
  }

  get rejected(): number {
    return this.arrivals.filter((arrival) => arrival.status === 429).length;
  }
  get accepted(): number[] {
    return this.arrivals.filter((arrival) => arrival.status === 200).map((arrival) => arrival.at);
  }

  /** A request arrives costing `tokens`; the answer's headers are decided now. */
  admit(nowMs: number, tokens: number): SimAnswer {
    this.#requests?.refill(nowMs);
    this.#tokens?.refill(nowMs);
    const headers = () =>
      this.#options.headers === false
        ? {}
        : { ...this.#requests?.headers('requests'), ...this.#tokens?.headers('tokens') };
    const limit = this.limitInFlight;
    if (limit !== undefined && this.inFlight >= limit) {
      this.arrivals.push({ at: nowMs, status: 429 });
      return {
        status: 429,
        headers: headers(),
        message: `Too many concurrent requests (${limit})`,
      };
    }
    const shortMs = Math.max(
      this.#requests?.waitFor(1) ?? 0,
      this.#tokens?.waitFor(Math.min(tokens, this.#tokens.spec.capacity)) ?? 0,
    );
    if (shortMs > 0) {
      this.arrivals.push({ at: nowMs, status: 429 });
      const wait: Record<string, string> =
        this.#options.retryAfterMs === true ? { 'retry-after-ms': String(Math.ceil(shortMs)) } : {};
      return { status: 429, headers: { ...headers(), ...wait }, message: 'Rate limit reached' };
    }
    if (this.#requests) this.#requests.level -= 1;
    if (this.#tokens) this.#tokens.level -= tokens;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.arrivals.push({ at: nowMs, status: 200 });
    return { status: 200, headers: headers() };
  }

  finish(): void {
    this.inFlight -= 1;
  }
}

export interface FanOutOptions {
  readonly clock: FakeClock;
  readonly pacer: Pacer;
  readonly provider: SimProvider;
  readonly items: number;
  /** Items in progress at once, like `async_limit`. */
  readonly concurrencyLimit: number;
  /** Time to answer an admitted request. */
  readonly latencyMs: number;
  /** Time to answer a refused one; default 1 ms. */
  readonly rejectLatencyMs?: number;
  /** Time from leaving (`markSent`) to arriving at the provider, per request sent; default 0. */
  readonly transitMs?: (sent: number) => number;
  /** What the pacer is told; `concurrencyLimit` is added. */
  readonly demand?: Omit<PacerDemand, 'concurrencyLimit'>;
  /** What the provider counts (and reports as usage) per request. */
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number };
}

export interface FanOutResult {
  /** Errors of items that gave up (a stop, an abort). */
  readonly errors: unknown[];
  /** Permits' waits, in grant order. */
  readonly waits: number[];
}

/**
 * Runs `items` requests, at most `concurrencyLimit` at once, each retried at once through
 * the pacer after a 429 (the pacer owns the waiting). Drives the fake clock until idle.
 */
export async function runFanOut(options: FanOutOptions): Promise<FanOutResult> {
  const { clock, pacer, provider, latencyMs } = options;
  const usage = options.usage ?? { inputTokens: 0, outputTokens: 0 };
  const demand: PacerDemand = {
    inputTokens: 0,
    ...options.demand,
    concurrencyLimit: options.concurrencyLimit,
  };
  const errors: unknown[] = [];
  const waits: number[] = [];
  let next = 0;
  let sent = 0;
  const worker = async () => {
    while (next < options.items) {
      next += 1;
      try {
        for (;;) {
          const permit = await pacer.acquire(demand);
          waits.push(permit.waitedMs);
          permit.markSent();
          const transitMs = options.transitMs?.((sent += 1)) ?? 0;
          if (transitMs > 0) await clock.sleep(transitMs);
          const answer = provider.admit(clock.now(), usage.inputTokens + usage.outputTokens);
          const ok = answer.status === 200;
          await clock.sleep(ok ? latencyMs : (options.rejectLatencyMs ?? 1));
          if (ok) provider.finish();
          await permit.settle({ sent: true, answer, ...(ok && { usage }) });
          if (ok) break;
        }
      } catch (error) {
        errors.push(error);
      }
    }
  };
  const workers = Array.from({ length: options.concurrencyLimit }, () => worker());
  await clock.runUntilIdle({ maxWakeUps: 100_000 });
  await Promise.all(workers);
  return { errors, waits };
}
