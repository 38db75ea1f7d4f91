import OpenAI from 'openai';
import { TaskflowError } from '../errors.js';
import type { Fetch, WatchdogTimeouts } from './attempt-watchdog.js';
import { DEFAULT_TIMEOUTS } from './attempt-watchdog.js';
import { httpFetch } from './http-fetch.js';
import type { RequestDefaults } from './request-defaults.js';

/** Options shared by the chat completions and responses clients. */
export interface OpenAiClientOptions {
  /** Base URL, e.g. `https://models.github.ai/inference` or `http://127.0.0.1:11434/v1`. */
  readonly endpoint: string;
  readonly token: string;
  /** Variable the token came from; named in 401 messages. Default `AI_API_TOKEN`. */
  readonly tokenVariable?: string;
  /** Watchdogs; each defaults to 120 000 ms. */
  readonly timeouts?: Partial<WatchdogTimeouts>;
  /** `fetch` to use (tests, proxies); default http-fetch.ts's, on node:http(s). */
  readonly fetch?: Fetch;
  /** Extra headers on every request (the provider's, e.g. `Copilot-Integration-Id`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Settings sent under each request's own; none when undefined. */
  readonly requestDefaults?: RequestDefaults;
}

export interface ResolvedClientOptions {
  readonly endpoint: string;
  readonly token: string;
  readonly tokenVariable: string;
  readonly timeouts: WatchdogTimeouts;
  readonly fetch: Fetch;
  readonly headers: Readonly<Record<string, string>>;
  readonly requestDefaults?: RequestDefaults;
}

export function resolveClientOptions(options: OpenAiClientOptions): ResolvedClientOptions {
  return {
    endpoint: options.endpoint,
    token: options.token,
    tokenVariable: options.tokenVariable ?? 'AI_API_TOKEN',
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    fetch: options.fetch ?? httpFetch,
    headers: options.headers ?? {},
    ...(options.requestDefaults !== undefined && { requestDefaults: options.requestDefaults }),
  };
}

/** Key of the `fetchOptions` entry that carries an attempt's watched `fetch`. */
const ATTEMPT_FETCH = Symbol('taskflow.attemptFetch');

/**
 * An SDK client shared by every attempt of a model client (building one per attempt cost
 * more CPU than its request). Its `fetch` forwards each request to the watched `fetch` of
 * the attempt that sent it, named in that request's `fetchOptions` (see
 * `attemptRequestOptions`). `maxRetries: 0` because our request loop owns every retry; the
 * SDK timeout is only a backstop behind our headers watchdog; the organization/project
 * options are pinned so the SDK reads nothing from the environment that would change the
 * request.
 */
export function createSdkClient(options: ResolvedClientOptions): OpenAI {
  return new OpenAI({
    baseURL: options.endpoint,
    apiKey: options.token,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: Math.ceil(options.timeouts.headersMs) + 60_000,
    defaultHeaders: { ...options.headers },
    fetch: forwardToAttempt,
  });
}

/**
 * Per-request SDK options of one attempt: its signal, and its watched `fetch` in
 * `fetchOptions`, which the SDK hands to `fetch` with the rest of the request init.
 */
export function attemptRequestOptions(io: {
  readonly signal: AbortSignal;
  readonly fetch: Fetch;
}): OpenAI.RequestOptions {
  const fetchOptions = { [ATTEMPT_FETCH]: io.fetch } as NonNullable<
    OpenAI.RequestOptions['fetchOptions']
  >;
  return { signal: io.signal, fetchOptions };
}

/** @throws TaskflowError 'internal' when a request carries no attempt (the SDK dropped it). */
function forwardToAttempt(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const attemptFetch = (init as { [ATTEMPT_FETCH]?: Fetch } | undefined)?.[ATTEMPT_FETCH];
  if (attemptFetch === undefined) {
    const message = 'model request without its attempt: the openai SDK dropped fetchOptions';
    return Promise.reject(new TaskflowError('internal', message));
  }
  return attemptFetch(input, init);
}
