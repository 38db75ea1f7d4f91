/**
 * Watchdogs of one model attempt (resilience.md row 8): no response headers within
 * `headersMs` → abort as `timeout`; no body bytes for `idleMs` → abort as `stream-stalled`.
 * The caller's signal aborts the attempt as `cancelled`. Activity is observed on the raw
 * body bytes (through a wrapped `fetch`), so SSE comments and keep-alives count too.
 */

export interface WatchdogTimeouts {
  /** Longest wait for response headers, in milliseconds. */
  readonly headersMs: number;
  /** Longest silence on the response body once headers arrived, in milliseconds. */
  readonly idleMs: number;
}

export const DEFAULT_TIMEOUTS: WatchdogTimeouts = { headersMs: 120_000, idleMs: 120_000 };

export type StopReason = 'cancelled' | 'timeout' | 'stream-stalled';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Statuses whose responses cannot carry a body (`new Response` rejects one). */
const nullBodyStatuses = new Set([101, 204, 205, 304]);

export class AttemptWatchdog {
  readonly #controller = new AbortController();
  readonly #timeouts: WatchdogTimeouts;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort = () => this.#stop('cancelled');
  #headersTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #stopReason: StopReason | undefined;
  #headersReceived = false;

  constructor(timeouts: WatchdogTimeouts, callerSignal?: AbortSignal) {
    this.#timeouts = timeouts;
    this.#callerSignal = callerSignal;
    if (callerSignal?.aborted === true) this.#stop('cancelled');
    else callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
    if (this.#stopReason === undefined) {
      this.#headersTimer = setTimeout(() => this.#stop('timeout'), timeouts.headersMs);
      this.#headersTimer.unref();
    }
  }

  /** Aborts when the caller aborts or a watchdog fires; pass it to the request. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why the attempt was aborted, if it was. */
  get stopReason(): StopReason | undefined {
    return this.#stopReason;
  }

  /** Whether the response headers arrived (a failure after that breaks a started stream). */
  get headersReceived(): boolean {
    return this.#headersReceived;
  }

  /** Wraps `fetch` so headers stop the headers watchdog and every body chunk feeds the idle one. */
  wrapFetch(fetchImplementation: Fetch): Fetch {
    return async (input, init) => {
      const response = await fetchImplementation(input, init);
      this.#onHeaders();
      if (response.body === null || nullBodyStatuses.has(response.status)) return response;
      const watched = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform: (chunk, controller) => {
            this.#idleTimer?.refresh();
            controller.enqueue(chunk);
          },
        }),
      );
      return new Response(watched, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    };
  }

  /** Clears the timers and detaches from the caller's signal. Idempotent. */
  dispose(): void {
    clearTimeout(this.#headersTimer);
    clearTimeout(this.#idleTimer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }

  #onHeaders(): void {
    this.#headersReceived = true;
    clearTimeout(this.#headersTimer);
    if (this.#stopReason !== undefined) return;
    this.#idleTimer = setTimeout(() => this.#stop('stream-stalled'), this.#timeouts.idleMs);
    this.#idleTimer.unref();
  }

  #stop(reason: StopReason): void {
    if (this.#stopReason !== undefined) return;
    this.#stopReason = reason;
    clearTimeout(this.#headersTimer);
    clearTimeout(this.#idleTimer);
    this.#controller.abort();
  }
}
