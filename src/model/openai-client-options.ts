import OpenAI from 'openai';
import type { Fetch, WatchdogTimeouts } from './attempt-watchdog.js';
import { DEFAULT_TIMEOUTS } from './attempt-watchdog.js';

/** Options shared by the chat completions and responses clients. */
export interface OpenAiClientOptions {
  /** Base URL, e.g. `https://models.github.ai/inference` or `http://127.0.0.1:11434/v1`. */
  readonly endpoint: string;
  readonly token: string;
  /** Variable the token came from; named in 401 messages. Default `AI_API_TOKEN`. */
  readonly tokenVariable?: string;
  /** Watchdogs; each defaults to 120 000 ms. */
  readonly timeouts?: Partial<WatchdogTimeouts>;
  /** `fetch` to use (tests, proxies); default the global one. */
  readonly fetch?: Fetch;
}

export interface ResolvedClientOptions {
  readonly endpoint: string;
  readonly token: string;
  readonly tokenVariable: string;
  readonly timeouts: WatchdogTimeouts;
  readonly fetch: Fetch;
}

export function resolveClientOptions(options: OpenAiClientOptions): ResolvedClientOptions {
  return {
    endpoint: options.endpoint,
    token: options.token,
    tokenVariable: options.tokenVariable ?? 'AI_API_TOKEN',
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

/**
 * An SDK client for one attempt. A fresh client per attempt carries that attempt's watched
 * `fetch`; construction is cheap next to a request. `maxRetries: 0` because our request loop
 * owns every retry; the SDK timeout is only a backstop behind our headers watchdog; the
 * organization/project options are pinned so the SDK reads nothing from the environment
 * that would change the request.
 */
export function sdkClientFor(options: ResolvedClientOptions, fetch: Fetch): OpenAI {
  return new OpenAI({
    baseURL: options.endpoint,
    apiKey: options.token,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: Math.ceil(options.timeouts.headersMs) + 60_000,
    fetch,
  });
}
