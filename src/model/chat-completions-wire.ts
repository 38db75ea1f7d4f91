import { randomUUID } from 'node:crypto';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { ReplyCollector } from './run-streamed-attempt.js';
import type { FinishReason, ModelRequest, ModelResponse, ToolCall, Usage } from './types.js';

/**
 * Chat completions wire format: request body and the assembly of streamed chunks.
 * Settings are spread first, so the structural keys (model, messages, tools, stream,
 * stream_options) are always ours.
 */
export function chatCompletionsBody(request: ModelRequest): ChatCompletionCreateParamsStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (request.instructions !== '') messages.push({ role: 'system', content: request.instructions });
  for (const item of request.conversation) {
    switch (item.role) {
      case 'user':
        messages.push({ role: 'user', content: item.content });
        break;
      case 'assistant':
        messages.push({
          role: 'assistant',
          // Some servers reject an empty string next to tool calls; null is the documented form.
          content: item.content === '' && item.toolCalls.length > 0 ? null : item.content,
          ...(item.toolCalls.length > 0 && {
            tool_calls: item.toolCalls.map((call) => ({
              id: call.id,
              type: 'function' as const,
              function: { name: call.name, arguments: call.arguments },
            })),
          }),
        });
        break;
      case 'tool':
        messages.push({ role: 'tool', tool_call_id: item.toolCallId, content: item.content });
        break;
    }
  }
  const tools: ChatCompletionTool[] = request.tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      parameters: { ...tool.parameters },
    },
  }));
  return {
    ...request.settings,
    model: request.model,
    messages,
    // An empty tools array is rejected by some OpenAI-compatible servers.
    ...(tools.length > 0 && { tools }),
    stream: true,
    stream_options: { include_usage: true },
  };
}

function finishReasonOf(reason: string): FinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'other';
  }
}

interface PartialToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Assembles chunks: text deltas, tool call deltas by `index`, finish reason, usage. */
export class ChatReplyCollector implements ReplyCollector {
  readonly #onTextDelta: ((text: string) => void) | undefined;
  readonly #toolCalls = new Map<number, PartialToolCall>();
  /** Unique per reply, so generated ids do not repeat across turns. */
  readonly #idPrefix = randomUUID().slice(0, 8);
  #text = '';
  #finishReason: FinishReason | undefined;
  #usage: Usage = { inputTokens: 0, outputTokens: 0 };

  constructor(onTextDelta?: (text: string) => void) {
    this.#onTextDelta = onTextDelta;
  }

  add(chunk: ChatCompletionChunk): void {
    if (chunk.usage) {
      this.#usage = {
        inputTokens: chunk.usage.prompt_tokens ?? 0,
        outputTokens: chunk.usage.completion_tokens ?? 0,
      };
    }
    const choice = chunk.choices[0];
    if (choice === undefined) return;
    const content = choice.delta?.content;
    if (typeof content === 'string' && content !== '') {
      this.#text += content;
      this.#onTextDelta?.(content);
    }
    (choice.delta?.tool_calls ?? []).forEach((delta, position) => {
      // Some servers omit `index`; position in the delta array is the best guess then.
      const index = typeof delta.index === 'number' ? delta.index : position;
      const call = this.#toolCalls.get(index) ?? { id: '', name: '', arguments: '' };
      if (delta.id) call.id ||= delta.id;
      // Names arrive whole in the first delta; later repeats (some servers) are ignored.
      if (delta.function?.name) call.name ||= delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
      this.#toolCalls.set(index, call);
    });
    if (choice.finish_reason) this.#finishReason = finishReasonOf(choice.finish_reason);
  }

  result(): ModelResponse | undefined {
    if (this.#finishReason === undefined) return undefined;
    const toolCalls: ToolCall[] = [...this.#toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({
        // Local servers sometimes send no id; the conversation needs one to pair results.
        id: call.id || `call_${this.#idPrefix}_${index}`,
        name: call.name,
        arguments: call.arguments,
      }));
    // Some servers (e.g. Ollama) say `stop` although the message carries tool calls.
    const finishReason =
      this.#finishReason === 'stop' && toolCalls.length > 0 ? 'tool_calls' : this.#finishReason;
    return { text: this.#text, toolCalls, finishReason, usage: this.#usage };
  }
}
