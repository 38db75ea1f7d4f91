import type OpenAI from 'openai';
import {
  attemptRequestOptions,
  createSdkClient,
  resolveClientOptions,
} from './openai-client-options.js';
import type { OpenAiClientOptions, ResolvedClientOptions } from './openai-client-options.js';
import { withRequestDefaults } from './request-defaults.js';
import { runStreamedAttempt } from './run-streamed-attempt.js';
import type { ReplyCollector } from './run-streamed-attempt.js';
import type { CompleteOptions, ModelClient, ModelRequest, ModelResponse } from './types.js';

/**
 * What the chat completions and responses clients share: one SDK client for all their
 * attempts, and `complete` as one streamed attempt under the watchdogs. One call is one
 * attempt: it never retries and throws only classified `ModelError`s (see
 * `runStreamedAttempt` for which outcome becomes which class). The request goes out with
 * the client's request defaults under its own settings. Subclasses supply the wire
 * format: the reply collector and the request that streams into it.
 */
export abstract class StreamingModelClient<
  Collector extends ReplyCollector,
> implements ModelClient {
  abstract readonly apiType: ModelClient['apiType'];
  readonly #options: ResolvedClientOptions;
  #sdk: OpenAI | undefined;

  constructor(options: OpenAiClientOptions) {
    this.#options = resolveClientOptions(options);
  }

  get endpoint(): string {
    return this.#options.endpoint;
  }

  async complete(request: ModelRequest, options: CompleteOptions = {}): Promise<ModelResponse> {
    const collector = this.createCollector(options.onTextDelta);
    const settings = {
      ...this.#options,
      model: request.model,
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.onRequest !== undefined && { onRequest: options.onRequest }),
      ...(options.onResponse !== undefined && { onResponse: options.onResponse }),
    };
    this.#sdk ??= createSdkClient(this.#options);
    const sdk = this.#sdk;
    const sent = withRequestDefaults(request, this.#options.requestDefaults);
    return runStreamedAttempt(settings, collector, (io) =>
      this.streamReply(sdk, sent, collector, attemptRequestOptions(io)),
    );
  }

  /** A fresh collector for one reply. */
  protected abstract createCollector(onTextDelta: ((text: string) => void) | undefined): Collector;

  /**
   * Sends `request` with `requestOptions` (they carry the attempt's signal and watched
   * `fetch`) and feeds every streamed chunk or event to `collector`.
   */
  protected abstract streamReply(
    sdk: OpenAI,
    request: ModelRequest,
    collector: Collector,
    requestOptions: OpenAI.RequestOptions,
  ): Promise<void>;
}
