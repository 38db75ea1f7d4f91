/**
 * `fetch` for model requests, on node:http(s) with keep-alive connections. The global fetch
 * (undici) spends more CPU per request than the rest of a turn together: a Request object,
 * WebIDL checks of every header, a web stream per body. This one sends the request the SDK
 * built and answers with a Response-shaped object whose body is an async-iterable byte
 * stream: what the openai SDK reads streams from (`Stream.fromSSEResponse`), and what the
 * attempt watchdog watches (attempt-watchdog.ts).
 *
 * It behaves as the global fetch where taskflow can tell: a failure before the response is
 * `TypeError('fetch failed', { cause })`, a failure while reading the body
 * `TypeError('terminated', { cause })`, an abort rejects (or ends the body) with the
 * signal's reason, gzip/deflate/br bodies are decoded. What it does not do itself (a
 * redirect, a body that is not text or bytes, a Request as input) goes to the global fetch.
 */
import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Fetch } from './attempt-watchdog.js';

/**
 * One pool per scheme for the process: model requests reuse their connections. An idle
 * connection is closed after 4 s (as undici does): one a NAT or load balancer dropped
 * silently would otherwise meet the next request after a long tool call.
 */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
} as const;

/** Longest wait for a TCP connection (undici's connect timeout). */
const CONNECT_TIMEOUT_MS = 10_000;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NO_BODY = new Set([101, 204, 205, 304]);

export const httpFetch: Fetch = (input, init) => {
  const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : null;
  const body = init?.body;
  const plainBody =
    body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
  if (url === null || !plainBody || !(url.protocol in AGENTS)) return globalThis.fetch(input, init);
  return send(url, init ?? {}, body ?? undefined).then((response) =>
    response === 'redirect' ? globalThis.fetch(input, init) : response,
  );
};

function send(
  url: URL,
  init: RequestInit,
  body: string | Uint8Array | undefined,
): Promise<Response | 'redirect'> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted === true) return Promise.reject(abortReason(signal));
  const scheme = url.protocol as keyof typeof AGENTS;
  const transport = scheme === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: init.method ?? 'GET',
      headers: headerRecord(init.headers),
      agent: AGENTS[scheme],
    });
    let response: http.IncomingMessage | undefined;
    const onAbort = (): void => {
      const reason = abortReason(signal);
      request.destroy(reason);
      response?.destroy(reason);
      reject(reason);
    };
    const detach = (): void => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`), {
          code: 'ETIMEDOUT',
        });
        request.destroy(error);
      }, CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    request.once('error', (error) => {
      detach();
      reject(new TypeError('fetch failed', { cause: error }));
    });
    request.once('response', (incoming) => {
      response = incoming;
      incoming.once('close', detach);
      const status = incoming.statusCode ?? 0;
      if (REDIRECTS.has(status) && incoming.headers.location !== undefined) {
        detach();
        incoming.resume();
        resolve('redirect');
        return;
      }
      // Response-shaped (see HttpResponse): what the SDK and the watchdog read of one.
      resolve(new HttpResponse(url, init.method ?? 'GET', incoming, signal) as unknown as Response);
    });
    request.end(body);
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}

/** The SDK passes a Headers, a record or pairs; node:http takes a record. */
function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers === undefined) return record;
  const entries =
    headers instanceof Headers || Array.isArray(headers)
      ? headers
      : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries as Iterable<[string, string]>) record[name] = value;
  return record;
}

function responseHeaders(incoming: http.IncomingMessage): Headers {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    headers.append(raw[index] as string, raw[index + 1] as string);
  }
  return headers;
}

/** The decoded byte stream of a response body (content-encoding undone, as fetch does). */
function decoded(incoming: http.IncomingMessage): Readable {
  const encoding = (incoming.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (decoder === undefined) return incoming;
  // pipeline: an error on either side destroys both, and none goes unheard.
  return pipeline(incoming, decoder, () => undefined);
}

/**
 * A response body: iterating it yields the body's bytes; a read failure is fetch's
 * `TypeError('terminated')`, an abort the signal's reason; ending the iteration early
 * (the SDK cancelling a stream) closes the connection.
 */
class HttpBody implements AsyncIterable<Uint8Array> {
  readonly #stream: Readable;
  readonly #signal: AbortSignal | undefined;
  #used = false;

  constructor(stream: Readable, signal: AbortSignal | undefined) {
    this.#stream = stream;
    this.#signal = signal;
  }

  get used(): boolean {
    return this.#used;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    this.#used = true;
    const stream = this.#stream;
    const source = stream[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>;
    const signal = this.#signal;
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: () =>
        source.next().catch((error: unknown) => {
          if (signal?.aborted === true) throw abortReason(signal);
          throw new TypeError('terminated', { cause: error });
        }),
      return: async () => {
        // Ending before the first read would leave the connection open: close it outright.
        stream.destroy();
        await source.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

/** The parts of a fetch Response that the openai SDK and taskflow read. */
class HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly url: string;
  readonly redirected = false;
  readonly type = 'basic';
  readonly body: HttpBody | null;

  constructor(
    url: URL,
    method: string,
    incoming: http.IncomingMessage,
    signal: AbortSignal | undefined,
  ) {
    this.status = incoming.statusCode ?? 0;
    this.statusText = incoming.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = responseHeaders(incoming);
    this.url = url.href;
    const empty = NO_BODY.has(this.status) || method.toUpperCase() === 'HEAD';
    if (empty) incoming.resume();
    this.body = empty ? null : new HttpBody(decoded(incoming), signal);
  }

  get bodyUsed(): boolean {
    return this.body?.used ?? false;
  }

  async bytes(): Promise<Uint8Array> {
    if (this.body === null) return new Uint8Array();
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.body) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}
