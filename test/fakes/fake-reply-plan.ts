import type { FakeFinishReason, FakeMessageReply } from './fake-model-types.js';

/** Deterministic id generator: one counter per prefix, per server. */
export class FakeIds {
  readonly #counters = new Map<string, number>();

  /** `next('call_fake_')` → `call_fake_1`, `call_fake_2`, … */
  next(prefix: string): string {
    const value = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, value);
    return `${prefix}${value}`;
  }
}

export interface PlannedToolCall {
  /** `call_…`: the id the model client answers with. */
  callId: string;
  name: string;
  arguments: string;
  /** Pieces of `arguments`, in order, as streamed. */
  argumentChunks: string[];
}

/** A message reply with every default resolved; the wire formats render it. */
export interface MessagePlan {
  model: string;
  createdSeconds: number;
  text: string;
  /** Pieces of `text`, in order, as streamed; joined they equal `text`. */
  textDeltas: string[];
  toolCalls: PlannedToolCall[];
  finishReason: FakeFinishReason;
  promptTokens: number;
  completionTokens: number;
}

export interface PlanContext {
  ids: FakeIds;
  /** Model name echoed in responses. */
  model: string;
  /** Length of the raw request body, for the default prompt token estimate. */
  requestBodyChars: number;
  createdSeconds: number;
}

const charactersPerToken = 4;
const argumentChunkCount = 3;

/** Resolves defaults of a message-like reply (ids, deltas, finish reason, usage). */
export function planMessage(
  reply: Omit<FakeMessageReply, 'kind' | 'latencyMs' | 'chunkDelayMs'>,
  context: PlanContext,
): MessagePlan {
  const text = reply.text ?? '';
  const toolCalls = (reply.toolCalls ?? []).map((call): PlannedToolCall => {
    const argumentsText =
      typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    return {
      callId: call.id ?? context.ids.next('call_fake_'),
      name: call.name,
      arguments: argumentsText,
      argumentChunks: splitEvenly(argumentsText, argumentChunkCount),
    };
  });
  const replyChars = text.length + toolCalls.reduce((sum, call) => sum + call.arguments.length, 0);
  return {
    model: context.model,
    createdSeconds: context.createdSeconds,
    text,
    textDeltas: reply.deltas === undefined ? splitWords(text) : splitEvenly(text, reply.deltas),
    toolCalls,
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    promptTokens:
      reply.usage?.promptTokens ?? Math.ceil(context.requestBodyChars / charactersPerToken),
    completionTokens:
      reply.usage?.completionTokens ?? Math.max(1, Math.ceil(replyChars / charactersPerToken)),
  };
}

/** One piece per word, each with its trailing whitespace (leading whitespace is its own piece). */
export function splitWords(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

/** At most `count` non-empty pieces of similar length; none for an empty text. */
export function splitEvenly(text: string, count: number): string[] {
  if (text.length === 0) return [];
  const pieces = Math.max(1, Math.min(Math.floor(count), text.length));
  const size = Math.ceil(text.length / pieces);
  const result: string[] = [];
  for (let start = 0; start < text.length; start += size) {
    result.push(text.slice(start, start + size));
  }
  return result;
}

/** One SSE frame, tagged by where it sits relative to the text deltas so faults can cut the stream. */
export interface WireFrame {
  part: 'head' | 'delta' | 'tail';
  /** Complete SSE text, ending with a blank line. */
  data: string;
}

/** Formats one SSE event: an optional `event:` line and a JSON (or literal) `data:` line. */
export function sseFrame(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`;
}

/** Head frames plus the first `deltaCount` text deltas (all of them for `Infinity`). */
export function cutAfterDeltas(frames: WireFrame[], deltaCount: number): string[] {
  const kept: string[] = [];
  let deltasSeen = 0;
  for (const frame of frames) {
    if (frame.part === 'tail') break;
    if (frame.part === 'delta') {
      if (deltasSeen >= deltaCount) break;
      deltasSeen += 1;
    }
    kept.push(frame.data);
  }
  return kept;
}
