import type OpenAI from 'openai';
import { ResponsesReplyCollector, responsesBody } from './responses-wire.js';
import { StreamingModelClient } from './streaming-model-client.js';
import type { ModelRequest } from './types.js';

/**
 * `ModelClient` over `POST {endpoint}/responses`, streamed, stateless (`store: false`).
 * One call is one attempt (see `StreamingModelClient`). In-band `error` / `response.failed`
 * events are classified like HTTP errors without a status.
 */
export class ResponsesClient extends StreamingModelClient<ResponsesReplyCollector> {
  readonly apiType = 'responses' as const;

  protected override createCollector(
    onTextDelta: ((text: string) => void) | undefined,
  ): ResponsesReplyCollector {
    return new ResponsesReplyCollector(onTextDelta);
  }

  protected override async streamReply(
    sdk: OpenAI,
    request: ModelRequest,
    collector: ResponsesReplyCollector,
    requestOptions: OpenAI.RequestOptions,
  ): Promise<void> {
    const stream = await sdk.responses.create(responsesBody(request), requestOptions);
    for await (const event of stream) collector.add(event);
  }
}
