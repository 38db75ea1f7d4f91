/**
 * Watchdogs of one model attempt (resilience.md row 8): no response headers within
 * `headersMs` → abort as `timeout`; no body bytes for `idleMs` → abort as `stream-stalled`.
 * The caller's signal aborts the attempt as `cancelled`. Activity is observed on the raw
 * body bytes (through a wrapped `fetch`), so SSE comments and keep-alives count too.
 */

import type { CompleteOptions } from './types.js';

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
  readonly #onBodyChunk = () => void this.#idleTimer?.refresh();
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

  /**
   * Wraps `fetch` so headers stop the headers watchdog and every body chunk feeds the idle one.
   *
   * A successful response keeps its own body stream, whose async iterator is watched: that is
   * how the openai SDK reads a stream (`Stream.fromSSEResponse`), and it spares a
   * TransformStream and a second `Response` per attempt. An error response is read with
   * `text()`, which bypasses that iterator, so its body (like a body without an async
   * iterator) is piped through a watcher instead.
   *
   * `hooks.onRequest` is called as each request is handed to `fetchImplementation`,
   * `hooks.onResponse` with each response's status and headers as they arrive.
   */
  wrapFetch(
    fetchImplementation: Fetch,
    hooks: Pick<CompleteOptions, 'onRequest' | 'onResponse'> = {},
  ): Fetch {
    return async (input, init) => {
      hooks.onRequest?.();
      const response = await fetchImplementation(input, init);
      this.#onHeaders();
      hooks.onResponse?.(response.status, response.headers);
      const body = response.body;
      if (body === null || nullBodyStatuses.has(response.status)) return response;
      // A body that is not a web stream (http-fetch.ts) is read only through its iterator,
      // text() included, so watching the iterator covers every read.
      const webStream = typeof (body as Partial<ReadableStream>).pipeThrough === 'function';
      if ((response.ok || !webStream) && typeof body[Symbol.asyncIterator] === 'function') {
        watchIteration(body, this.#onBodyChunk);
        return response;
      }
      return watchedCopy(response, body, this.#onBodyChunk);
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

/**
 * Makes `for await (const chunk of body)` call `onChunk` for every chunk read. Only this
 * stream instance changes; `getReader()` and the response's `text()` / `json()` stay as
 * they were (and do not feed the watchdog).
 */
function watchIteration(body: ReadableStream<Uint8Array>, onChunk: () => void): void {
  const iterate = body[Symbol.asyncIterator].bind(body);
  Object.defineProperty(body, Symbol.asyncIterator, {
    configurable: true,
    value: (): AsyncIterableIterator<Uint8Array> => {
      const source = iterate();
      const watched: AsyncIterableIterator<Uint8Array> = {
        next: () =>
          source.next().then((result) => {
            if (result.done !== true) onChunk();
            return result;
          }),
        return: () => source.return?.() ?? Promise.resolve({ done: true, value: undefined }),
        [Symbol.asyncIterator]: () => watched,
      };
      return watched;
    },
  });
}

/** A copy of `response` whose body passes every chunk by `onChunk`, however it is read. */
function watchedCopy(
  response: Response,
  body: ReadableStream<Uint8Array>,
  onChunk: () => void,
): Response {
  const watched = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => {
        onChunk();
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(watched, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
