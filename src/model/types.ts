/**
 * The provider-neutral model interface. `agent/` talks only to `ModelClient`; the
 * chat-completions and responses implementations translate to the wire formats.
 */

export interface ToolCall {
  /** Provider call id (chat: tool_call id; responses: call_id). */
  readonly id: string;
  readonly name: string;
  /** Raw JSON text as the model produced it (may be malformed; repair decides). */
  readonly arguments: string;
}

export type ConversationItem =
  | { readonly role: 'user'; readonly content: string }
  | {
      readonly role: 'assistant';
      readonly content: string;
      readonly toolCalls: readonly ToolCall[];
    }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly content: string };

export interface ToolSpec {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface ModelRequest {
  /** Provider model id. */
  readonly model: string;
  /** System prompt. */
  readonly instructions: string;
  readonly conversation: readonly ConversationItem[];
  readonly tools: readonly ToolSpec[];
  /** API settings sent as-is (temperature, reasoning, ...); engine keys already removed. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'other';

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface ModelResponse {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  readonly usage: Usage;
}

export interface CompleteOptions {
  readonly signal?: AbortSignal;
  /** Streamed text as it arrives (the message is committed only when complete). */
  readonly onTextDelta?: (text: string) => void;
  /** The HTTP request is handed to `fetch` (the pacer counts the budget's refill from then). Must not throw. */
  readonly onRequest?: () => void;
  /**
   * The status and headers of the HTTP answer, as soon as they arrive (before the body),
   * for every status; the pacer learns the rate-limit budget from them. Must not throw.
   */
  readonly onResponse?: (status: number, headers: Headers) => void;
}

export interface ModelClient {
  readonly apiType: 'chat_completions' | 'responses';
  /** Base URL (for messages and gate keys). */
  readonly endpoint: string;
  /**
   * One attempt: send the request, stream the reply, return it once complete.
   * Throws ModelError (classified) on any failure; never retries.
   */
  complete(request: ModelRequest, options?: CompleteOptions): Promise<ModelResponse>;
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
}
