import type { RecordedRequest } from './fake-model-types.js';

/** Small readers of recorded request bodies, for assertions and dynamic handlers. */

type Item = Record<string, unknown>;

function isItem(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The conversation sent: chat `messages`, or responses `input` (a string input becomes one
 * user message). Non-object entries are dropped.
 */
export function messagesOf(request: RecordedRequest): Item[] {
  const source = request.api === 'responses' ? request.body.input : request.body.messages;
  if (typeof source === 'string') return [{ role: 'user', content: source }];
  return Array.isArray(source) ? source.filter(isItem) : [];
}

/** Text of a content value: a string, or the `text` of its text parts joined. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(isItem)
    .map((part) => (typeof part.text === 'string' ? part.text : ''))
    .join('');
}

/** Text of the last user message, or `undefined` when there is none. */
export function lastUserText(request: RecordedRequest): string | undefined {
  const users = messagesOf(request).filter((message) => message.role === 'user');
  const last = users[users.length - 1];
  return last === undefined ? undefined : textOf(last.content);
}

/** Tool results sent back: chat `tool` messages or responses `function_call_output` items. */
export function toolResultsOf(request: RecordedRequest): { callId: string; output: string }[] {
  return messagesOf(request).flatMap((item) => {
    if (item.role === 'tool' && typeof item.tool_call_id === 'string') {
      return [{ callId: item.tool_call_id, output: textOf(item.content) }];
    }
    if (item.type === 'function_call_output' && typeof item.call_id === 'string') {
      return [{ callId: item.call_id, output: textOf(item.output) }];
    }
    return [];
  });
}
