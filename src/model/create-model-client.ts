import type { Fetch, WatchdogTimeouts } from './attempt-watchdog.js';
import { ChatCompletionsClient } from './chat-completions-client.js';
import { ResponsesClient } from './responses-client.js';
import type { ModelTarget } from './resolve-model.js';
import type { ModelClient } from './types.js';

export interface CreateModelClientOptions {
  /** Watchdogs; each defaults to 120 000 ms. */
  readonly timeouts?: Partial<WatchdogTimeouts>;
  /** `fetch` to use; default the global one. */
  readonly fetch?: Fetch;
}

/** The `ModelClient` for a resolved target's api type. Creates no connection yet. */
export function createModelClient(
  target: Pick<ModelTarget, 'apiType' | 'endpoint' | 'token' | 'tokenVariable'> &
    Partial<Pick<ModelTarget, 'headers' | 'requestDefaults'>>,
  options: CreateModelClientOptions = {},
): ModelClient {
  const clientOptions = {
    endpoint: target.endpoint,
    token: target.token,
    tokenVariable: target.tokenVariable,
    ...(target.headers !== undefined && { headers: target.headers }),
    ...(target.requestDefaults !== undefined && { requestDefaults: target.requestDefaults }),
    ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
  };
  return target.apiType === 'responses'
    ? new ResponsesClient(clientOptions)
    : new ChatCompletionsClient(clientOptions);
}
