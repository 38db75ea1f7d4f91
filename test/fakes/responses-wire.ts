import { sseFrame } from './fake-reply-plan.js';
import type { FakeIds, MessagePlan, WireFrame } from './fake-reply-plan.js';

/**
 * OpenAI Responses API wire format (`POST /v1/responses`), with the event sequence the
 * openai SDK 6.x accumulator (`responses.stream()`) accepts: response.created →
 * in_progress → per output item (added, content part / argument deltas, done) →
 * response.completed, or response.incomplete for finish reasons `length` / `content_filter`.
 */

type Json = Record<string, unknown>;

interface ResponseIds {
  responseId: string;
  messageId: string | undefined;
  functionItemIds: string[];
}

function allocateIds(plan: MessagePlan, ids: FakeIds): ResponseIds {
  const hasMessage = plan.text !== '' || plan.toolCalls.length === 0;
  return {
    responseId: ids.next('resp_fake_'),
    messageId: hasMessage ? ids.next('msg_fake_') : undefined,
    functionItemIds: plan.toolCalls.map(() => ids.next('fc_fake_')),
  };
}

function outputText(text: string): Json {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function messageItem(id: string, text: string, status: string): Json {
  const content = status === 'in_progress' ? [] : [outputText(text)];
  return { id, type: 'message', status, role: 'assistant', content };
}

function functionItem(plan: MessagePlan, position: number, itemId: string, done: boolean): Json {
  const call = plan.toolCalls[position];
  if (call === undefined) throw new Error(`no tool call at ${position}`);
  return {
    id: itemId,
    type: 'function_call',
    status: done ? 'completed' : 'in_progress',
    call_id: call.callId,
    name: call.name,
    arguments: done ? call.arguments : '',
  };
}

function outputItems(plan: MessagePlan, responseIds: ResponseIds): Json[] {
  const items: Json[] = [];
  if (responseIds.messageId !== undefined) {
    items.push(messageItem(responseIds.messageId, plan.text, 'completed'));
  }
  responseIds.functionItemIds.forEach((itemId, position) => {
    items.push(functionItem(plan, position, itemId, true));
  });
  return items;
}

function responseObject(plan: MessagePlan, responseIds: ResponseIds, final: boolean): Json {
  const incompleteReason =
    plan.finishReason === 'length'
      ? 'max_output_tokens'
      : plan.finishReason === 'content_filter'
        ? 'content_filter'
        : undefined;
  const status = !final ? 'in_progress' : incompleteReason ? 'incomplete' : 'completed';
  return {
    id: responseIds.responseId,
    object: 'response',
    created_at: plan.createdSeconds,
    status,
    error: null,
    incomplete_details: final && incompleteReason ? { reason: incompleteReason } : null,
    instructions: null,
    metadata: {},
    model: plan.model,
    output: final ? outputItems(plan, responseIds) : [],
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    usage: final
      ? {
          input_tokens: plan.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: plan.completionTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: plan.promptTokens + plan.completionTokens,
        }
      : null,
  };
}

/** Non-streaming `response` body (the SDK adds `output_text` itself; we send it too). */
export function responseJson(plan: MessagePlan, ids: FakeIds): Json {
  return { ...responseObject(plan, allocateIds(plan, ids), true), output_text: plan.text };
}

/** Streaming frames; every event has an `event:` line and a `sequence_number`. */
export function responseFrames(plan: MessagePlan, ids: FakeIds): WireFrame[] {
  const responseIds = allocateIds(plan, ids);
  const frames: WireFrame[] = [];
  const push = (part: WireFrame['part'], type: string, fields: Json) => {
    const event = { type, sequence_number: frames.length, ...fields };
    frames.push({ part, data: sseFrame(event, type) });
  };
  push('head', 'response.created', { response: responseObject(plan, responseIds, false) });
  push('head', 'response.in_progress', { response: responseObject(plan, responseIds, false) });
  let outputIndex = 0;
  const messageId = responseIds.messageId;
  if (messageId !== undefined) {
    const at = { item_id: messageId, output_index: outputIndex, content_index: 0 };
    const item = messageItem(messageId, plan.text, 'in_progress');
    push('head', 'response.output_item.added', { output_index: outputIndex, item });
    push('head', 'response.content_part.added', { ...at, part: outputText('') });
    for (const piece of plan.textDeltas) {
      push('delta', 'response.output_text.delta', { ...at, delta: piece, logprobs: [] });
    }
    push('tail', 'response.output_text.done', { ...at, text: plan.text, logprobs: [] });
    push('tail', 'response.content_part.done', { ...at, part: outputText(plan.text) });
    const doneItem = messageItem(messageId, plan.text, 'completed');
    push('tail', 'response.output_item.done', { output_index: outputIndex, item: doneItem });
    outputIndex += 1;
  }
  plan.toolCalls.forEach((call, position) => {
    const itemId = responseIds.functionItemIds[position] ?? '';
    const at = { item_id: itemId, output_index: outputIndex };
    const opening = functionItem(plan, position, itemId, false);
    push('tail', 'response.output_item.added', { output_index: outputIndex, item: opening });
    for (const piece of call.argumentChunks) {
      push('tail', 'response.function_call_arguments.delta', { ...at, delta: piece });
    }
    const doneFields = { ...at, name: call.name, arguments: call.arguments };
    push('tail', 'response.function_call_arguments.done', doneFields);
    const doneItem = functionItem(plan, position, itemId, true);
    push('tail', 'response.output_item.done', { output_index: outputIndex, item: doneItem });
    outputIndex += 1;
  });
  const final = responseObject(plan, responseIds, true);
  const terminal = final.status === 'completed' ? 'response.completed' : 'response.incomplete';
  push('tail', terminal, { response: final });
  return frames;
}

/** In-band `error` event; the SDK yields it as an event of type `error` (it does not throw). */
export function responsesErrorFrame(
  error: { message: string; type?: string; code?: string | null },
  sequenceNumber: number,
): string {
  const event = {
    type: 'error',
    sequence_number: sequenceNumber,
    code: error.code ?? error.type ?? 'server_error',
    message: error.message,
    param: null,
  };
  return sseFrame(event, 'error');
}
