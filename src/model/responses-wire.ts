import { APIError } from 'openai';
import type {
  FunctionTool,
  Response,
  ResponseCreateParamsStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import type { ReplyCollector } from './run-streamed-attempt.js';
import type { FinishReason, ModelRequest, ModelResponse, ToolCall, Usage } from './types.js';

/**
 * Responses API wire format. The conversation is sent statelessly (`store: false`) as input
 * items: user/assistant messages, `function_call` and `function_call_output` items.
 * Settings are spread first, so structural keys are ours. `max_tokens` (the chat name, as
 * model configs written for chat use it) becomes `max_output_tokens` unless that is set;
 * every other setting is sent as written.
 */
export function responsesBody(request: ModelRequest): ResponseCreateParamsStreaming {
  const input: ResponseInputItem[] = [];
  for (const item of request.conversation) {
    switch (item.role) {
      case 'user':
        input.push({ role: 'user', content: item.content });
        break;
      case 'assistant':
        if (item.content !== '') input.push({ role: 'assistant', content: item.content });
        for (const call of item.toolCalls) {
          input.push({
            type: 'function_call',
            call_id: call.id,
            name: call.name,
            arguments: call.arguments,
          });
        }
        break;
      case 'tool':
        input.push({
          type: 'function_call_output',
          call_id: item.toolCallId,
          output: item.content,
        });
        break;
    }
  }
  const tools: FunctionTool[] = request.tools.map((tool) => ({
    type: 'function',
    name: tool.name,
    ...(tool.description !== undefined && { description: tool.description }),
    parameters: { ...tool.parameters },
    // Strict mode demands schemas most MCP tools do not have.
    strict: false,
  }));
  const { max_tokens: maxTokens, ...settings } = request.settings;
  return {
    ...(maxTokens !== undefined && { max_output_tokens: maxTokens as number }),
    ...settings,
    model: request.model,
    ...(request.instructions !== '' && { instructions: request.instructions }),
    input,
    ...(tools.length > 0 && { tools }),
    store: false,
    stream: true,
  };
}

function finishReasonOf(response: Response, toolCalls: readonly ToolCall[]): FinishReason {
  if (response.status === 'completed') return toolCalls.length > 0 ? 'tool_calls' : 'stop';
  switch (response.incomplete_details?.reason) {
    case 'max_output_tokens':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** Collects text deltas and the terminal response; throws in-band errors as `APIError`s. */
export class ResponsesReplyCollector implements ReplyCollector {
  readonly #onTextDelta: ((text: string) => void) | undefined;
  #streamedText = '';
  #final: Response | undefined;

  constructor(onTextDelta?: (text: string) => void) {
    this.#onTextDelta = onTextDelta;
  }

  add(event: ResponseStreamEvent): void {
    switch (event.type) {
      case 'response.output_text.delta':
        this.#streamedText += event.delta;
        this.#onTextDelta?.(event.delta);
        return;
      case 'response.completed':
      case 'response.incomplete':
        this.#final = event.response;
        return;
      case 'response.failed': {
        const error = event.response.error;
        const body = { message: error?.message ?? 'response failed', code: error?.code ?? null };
        throw new APIError(
          undefined,
          { ...body, type: body.code ?? undefined },
          undefined,
          undefined,
        );
      }
      case 'error': {
        const body = { message: event.message, code: event.code, param: event.param };
        throw new APIError(
          undefined,
          { ...body, type: event.code ?? undefined },
          undefined,
          undefined,
        );
      }
      default:
        return;
    }
  }

  result(): ModelResponse | undefined {
    const final = this.#final;
    if (final === undefined) return undefined;
    let text = '';
    let hasMessage = false;
    const toolCalls: ToolCall[] = [];
    for (const item of final.output) {
      if (item.type === 'message') {
        hasMessage = true;
        for (const part of item.content) {
          text += part.type === 'output_text' ? part.text : part.refusal;
        }
      } else if (item.type === 'function_call') {
        toolCalls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
      }
    }
    const usage: Usage = {
      inputTokens: final.usage?.input_tokens ?? 0,
      outputTokens: final.usage?.output_tokens ?? 0,
    };
    return {
      text: hasMessage ? text : this.#streamedText,
      toolCalls,
      finishReason: finishReasonOf(final, toolCalls),
      usage,
    };
  }
}
