import type OpenAI from 'openai';
import { ChatReplyCollector, chatCompletionsBody } from './chat-completions-wire.js';
import { StreamingModelClient } from './streaming-model-client.js';
import type { ModelRequest } from './types.js';

/**
 * `ModelClient` over `POST {endpoint}/chat/completions`, always streamed with usage.
 * One call is one attempt (see `StreamingModelClient`).
 */
export class ChatCompletionsClient extends StreamingModelClient<ChatReplyCollector> {
  readonly apiType = 'chat_completions' as const;

  protected override createCollector(
    onTextDelta: ((text: string) => void) | undefined,
  ): ChatReplyCollector {
    return new ChatReplyCollector(onTextDelta);
  }

  protected override async streamReply(
    sdk: OpenAI,
    request: ModelRequest,
    collector: ChatReplyCollector,
    requestOptions: OpenAI.RequestOptions,
  ): Promise<void> {
    const stream = await sdk.chat.completions.create(chatCompletionsBody(request), requestOptions);
    for await (const chunk of stream) collector.add(chunk);
  }
}
