import { sseFrame } from './fake-reply-plan.js';
import type { FakeIds, MessagePlan, WireFrame } from './fake-reply-plan.js';

/**
 * OpenAI chat completions wire format (`POST /v1/chat/completions`), as the openai SDK
 * 6.x parses it: a `chat.completion` object, or `chat.completion.chunk` SSE frames ending
 * with `data: [DONE]`.
 */

function usageOf(plan: MessagePlan) {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
  };
}

/** Non-streaming `chat.completion` body. */
export function chatCompletionJson(plan: MessagePlan, ids: FakeIds): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: plan.text === '' && plan.toolCalls.length > 0 ? null : plan.text,
    refusal: null,
  };
  if (plan.toolCalls.length > 0) {
    message.tool_calls = plan.toolCalls.map((call) => ({
      id: call.callId,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: ids.next('chatcmpl-fake-'),
    object: 'chat.completion',
    created: plan.createdSeconds,
    model: plan.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
    usage: usageOf(plan),
  };
}

/**
 * Streaming frames. Tool calls are streamed like OpenAI does: a first delta with index, id,
 * type and name (empty arguments), then argument pieces carrying only the index. The usage
 * chunk (empty `choices`) is sent only when `stream_options.include_usage` is true.
 */
export function chatCompletionFrames(
  plan: MessagePlan,
  ids: FakeIds,
  options: { includeUsage: boolean },
): WireFrame[] {
  const id = ids.next('chatcmpl-fake-');
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id,
    object: 'chat.completion.chunk',
    created: plan.createdSeconds,
    model: plan.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(options.includeUsage ? { usage: null } : {}),
  });
  const frames: WireFrame[] = [
    { part: 'head', data: sseFrame(chunk({ role: 'assistant', content: '', refusal: null })) },
  ];
  for (const piece of plan.textDeltas) {
    frames.push({ part: 'delta', data: sseFrame(chunk({ content: piece })) });
  }
  plan.toolCalls.forEach((call, index) => {
    const opening = {
      index,
      id: call.callId,
      type: 'function',
      function: { name: call.name, arguments: '' },
    };
    frames.push({ part: 'tail', data: sseFrame(chunk({ tool_calls: [opening] })) });
    for (const piece of call.argumentChunks) {
      const argumentsDelta = { index, function: { arguments: piece } };
      frames.push({ part: 'tail', data: sseFrame(chunk({ tool_calls: [argumentsDelta] })) });
    }
  });
  frames.push({ part: 'tail', data: sseFrame(chunk({}, plan.finishReason)) });
  if (options.includeUsage) {
    const usageChunk = { ...chunk({}), choices: [], usage: usageOf(plan) };
    frames.push({ part: 'tail', data: sseFrame(usageChunk) });
  }
  frames.push({ part: 'tail', data: sseFrame('[DONE]') });
  return frames;
}

/** In-band error as OpenAI sends it mid-stream; the SDK throws an `APIError` (no status) for it. */
export function chatErrorFrame(error: {
  message: string;
  type?: string;
  code?: string | null;
}): string {
  return sseFrame({
    error: {
      message: error.message,
      type: error.type ?? 'server_error',
      param: null,
      code: error.code ?? null,
    },
  });
}
