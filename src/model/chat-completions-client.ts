import { ChatReplyCollector, chatCompletionsBody } from './chat-completions-wire.js';
import { resolveClientOptions, sdkClientFor } from './openai-client-options.js';
import type { OpenAiClientOptions, ResolvedClientOptions } from './openai-client-options.js';
import { runStreamedAttempt } from './run-streamed-attempt.js';
import type { CompleteOptions, ModelClient, ModelRequest, ModelResponse } from './types.js';

/**
 * `ModelClient` over `POST {endpoint}/chat/completions`, always streamed with usage.
 * One call is one attempt: it never retries and throws only classified `ModelError`s
 * (see `runStreamedAttempt` for which outcome becomes which class).
 */
export class ChatCompletionsClient implements ModelClient {
  readonly apiType = 'chat_completions' as const;
  readonly #options: ResolvedClientOptions;

  constructor(options: OpenAiClientOptions) {
    this.#options = resolveClientOptions(options);
  }

  get endpoint(): string {
    return this.#options.endpoint;
  }

  async complete(request: ModelRequest, options: CompleteOptions = {}): Promise<ModelResponse> {
    const collector = new ChatReplyCollector(options.onTextDelta);
    const settings = {
      ...this.#options,
      model: request.model,
      ...(options.signal !== undefined && { signal: options.signal }),
    };
    return runStreamedAttempt(settings, collector, async (io) => {
      const client = sdkClientFor(this.#options, io.fetch);
      const stream = await client.chat.completions.create(chatCompletionsBody(request), {
        signal: io.signal,
      });
      for await (const chunk of stream) collector.add(chunk);
    });
  }
}
