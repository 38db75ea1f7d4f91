import { resolveClientOptions, sdkClientFor } from './openai-client-options.js';
import type { OpenAiClientOptions, ResolvedClientOptions } from './openai-client-options.js';
import { ResponsesReplyCollector, responsesBody } from './responses-wire.js';
import { runStreamedAttempt } from './run-streamed-attempt.js';
import type { CompleteOptions, ModelClient, ModelRequest, ModelResponse } from './types.js';

/**
 * `ModelClient` over `POST {endpoint}/responses`, streamed, stateless (`store: false`).
 * One call is one attempt: it never retries and throws only classified `ModelError`s
 * (see `runStreamedAttempt`). In-band `error` / `response.failed` events are classified
 * like HTTP errors without a status.
 */
export class ResponsesClient implements ModelClient {
  readonly apiType = 'responses' as const;
  readonly #options: ResolvedClientOptions;

  constructor(options: OpenAiClientOptions) {
    this.#options = resolveClientOptions(options);
  }

  get endpoint(): string {
    return this.#options.endpoint;
  }

  async complete(request: ModelRequest, options: CompleteOptions = {}): Promise<ModelResponse> {
    const collector = new ResponsesReplyCollector(options.onTextDelta);
    const settings = {
      ...this.#options,
      model: request.model,
      ...(options.signal !== undefined && { signal: options.signal }),
    };
    return runStreamedAttempt(settings, collector, async (io) => {
      const client = sdkClientFor(this.#options, io.fetch);
      const stream = await client.responses.create(responsesBody(request), { signal: io.signal });
      for await (const event of stream) collector.add(event);
    });
  }
}
