import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messagesOf, startFakeModelServer, toolResultsOf } from '../fakes/fake-model-server.js';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import type { ConversationItem, ToolSpec } from '../../src/model/types.js';
import { API_TYPES, clientFor, modelErrorOf, requestWith } from './model-test-helpers.js';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setHandler(undefined);
});

const lookupTool: ToolSpec = {
  name: 'lookup',
  description: 'Looks a word up.',
  parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
};

const conversation: ConversationItem[] = [
  { role: 'user', content: 'find x and y' },
  {
    role: 'assistant',
    content: 'Let me look.',
    toolCalls: [
      { id: 'call_a', name: 'lookup', arguments: '{"q":"x"}' },
      { id: 'call_b', name: 'lookup', arguments: '{"q":"y"}' },
    ],
  },
  { role: 'tool', toolCallId: 'call_a', content: 'x is 1' },
  { role: 'tool', toolCallId: 'call_b', content: 'y is 2' },
  { role: 'assistant', content: 'x is 1, y is 2.', toolCalls: [] },
  { role: 'user', content: 'thanks' },
];

describe.each(API_TYPES)('%s client', (apiType) => {
  it('streams text deltas and returns the text, finish reason and usage', async () => {
    server.enqueue({
      kind: 'message',
      text: 'hello there world',
      usage: { promptTokens: 11, completionTokens: 7 },
    });
    const deltas: string[] = [];
    const reply = await clientFor(server, apiType).complete(requestWith(), {
      onTextDelta: (text) => deltas.push(text),
    });
    expect(deltas).toEqual(['hello ', 'there ', 'world']);
    expect(reply).toEqual({
      text: 'hello there world',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 7 },
    });
  });

  it('returns several tool calls with their arguments', async () => {
    server.enqueue({
      kind: 'message',
      text: '',
      toolCalls: [
        { id: 'call_1', name: 'lookup', arguments: { q: 'x' } },
        { id: 'call_2', name: 'other', arguments: '{"n": 2, "deep": {"k": [1, 2]}}' },
        { id: 'call_3', name: 'lookup', arguments: 'not json' },
      ],
    });
    const reply = await clientFor(server, apiType).complete(requestWith({ tools: [lookupTool] }));
    expect(reply.finishReason).toBe('tool_calls');
    expect(reply.text).toBe('');
    expect(reply.toolCalls).toEqual([
      { id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
      { id: 'call_2', name: 'other', arguments: '{"n": 2, "deep": {"k": [1, 2]}}' },
      { id: 'call_3', name: 'lookup', arguments: 'not json' },
    ]);
  });

  it('round-trips tool results by call id', async () => {
    const client = clientFor(server, apiType);
    server.enqueue(
      { kind: 'message', toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }] },
      { kind: 'message', text: 'x is 1' },
    );
    const first = await client.complete(requestWith({ tools: [lookupTool] }));
    const call = first.toolCalls[0];
    expect(call).toBeDefined();
    if (call === undefined) return;
    const second = await client.complete(
      requestWith({
        tools: [lookupTool],
        conversation: [
          { role: 'user', content: 'hello' },
          { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
          { role: 'tool', toolCallId: call.id, content: 'x is 1' },
        ],
      }),
    );
    expect(second.text).toBe('x is 1');
    const recorded = server.requests.at(-1);
    if (recorded === undefined) throw new Error('no request recorded');
    expect(toolResultsOf(recorded)).toEqual([{ callId: call.id, output: 'x is 1' }]);
  });

  it('sends settings as-is, streaming always on, and never retries itself', async () => {
    server.enqueue({ kind: 'error', status: 500 });
    const before = server.requests.length;
    const settings = { temperature: 0.2, top_p: 0.9, max_tokens: 50, reasoning: { effort: 'low' } };
    await modelErrorOf(clientFor(server, apiType).complete(requestWith({ settings })));
    const recorded = server.requests.at(-1);
    expect(recorded?.body).toMatchObject({ model: 'fake-model', temperature: 0.2, top_p: 0.9 });
    expect(recorded?.body.reasoning).toEqual({ effort: 'low' });
    expect(recorded?.stream).toBe(true);
    if (apiType === 'chat_completions') {
      expect(recorded?.body.max_tokens).toBe(50);
      expect(recorded?.body.stream_options).toEqual({ include_usage: true });
    } else {
      expect(recorded?.body.max_output_tokens).toBe(50);
      expect(recorded?.body).not.toHaveProperty('max_tokens');
      expect(recorded?.body.store).toBe(false);
    }
    // maxRetries: 0 — the SDK did not repeat the 500.
    expect(server.requests.length - before).toBe(1);
    expect(server.unscripted).toEqual([]);
  });

  it('maps finish reason length and rejects content_filter as content-filtered', async () => {
    server.enqueue(
      { kind: 'message', text: 'cut', finishReason: 'length' },
      { kind: 'message', text: 'bad', finishReason: 'content_filter' },
    );
    const client = clientFor(server, apiType);
    expect((await client.complete(requestWith())).finishReason).toBe('length');
    const error = await modelErrorOf(client.complete(requestWith()));
    expect(error.classification).toEqual({ errorClass: 'content-filtered', retryable: false });
  });
});

describe('wire shapes', () => {
  it('chat: system message, assistant tool_calls, tool messages, function tools', async () => {
    server.enqueue({ kind: 'message', text: 'ok' });
    await clientFor(server, 'chat_completions').complete(
      requestWith({ conversation, tools: [lookupTool] }),
    );
    const recorded = server.requests.at(-1);
    if (recorded === undefined) throw new Error('no request recorded');
    expect(recorded.path).toBe('/v1/chat/completions');
    expect(messagesOf(recorded)).toEqual([
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: 'find x and y' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
          { id: 'call_b', type: 'function', function: { name: 'lookup', arguments: '{"q":"y"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: 'x is 1' },
      { role: 'tool', tool_call_id: 'call_b', content: 'y is 2' },
      { role: 'assistant', content: 'x is 1, y is 2.' },
      { role: 'user', content: 'thanks' },
    ]);
    expect(recorded.body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'lookup',
          description: 'Looks a word up.',
          parameters: lookupTool.parameters,
        },
      },
    ]);
    expect(recorded.headers.authorization).toBe('Bearer sk-test-secret-token-123456');
  });

  it('responses: instructions, stateless input items, function tools', async () => {
    server.enqueue({ kind: 'message', text: 'ok' });
    await clientFor(server, 'responses').complete(
      requestWith({ conversation, tools: [lookupTool] }),
    );
    const recorded = server.requests.at(-1);
    if (recorded === undefined) throw new Error('no request recorded');
    expect(recorded.path).toBe('/v1/responses');
    expect(recorded.body.instructions).toBe('You are a test.');
    expect(recorded.body.store).toBe(false);
    expect(recorded.body).not.toHaveProperty('previous_response_id');
    expect(messagesOf(recorded)).toEqual([
      { role: 'user', content: 'find x and y' },
      { role: 'assistant', content: 'Let me look.' },
      { type: 'function_call', call_id: 'call_a', name: 'lookup', arguments: '{"q":"x"}' },
      { type: 'function_call', call_id: 'call_b', name: 'lookup', arguments: '{"q":"y"}' },
      { type: 'function_call_output', call_id: 'call_a', output: 'x is 1' },
      { type: 'function_call_output', call_id: 'call_b', output: 'y is 2' },
      { role: 'assistant', content: 'x is 1, y is 2.' },
      { role: 'user', content: 'thanks' },
    ]);
    expect(recorded.body.tools).toEqual([
      {
        type: 'function',
        name: 'lookup',
        description: 'Looks a word up.',
        parameters: lookupTool.parameters,
        strict: false,
      },
    ]);
  });

  it('omits empty tool lists and the system message when there are no instructions', async () => {
    server.enqueue({ kind: 'message', text: 'ok' }, { kind: 'message', text: 'ok' });
    await clientFor(server, 'chat_completions').complete(requestWith({ instructions: '' }));
    const chat = server.requests.at(-1);
    await clientFor(server, 'responses').complete(requestWith({ instructions: '' }));
    const responses = server.requests.at(-1);
    expect(chat?.body).not.toHaveProperty('tools');
    expect(chat && messagesOf(chat)).toEqual([{ role: 'user', content: 'hello' }]);
    expect(responses?.body).not.toHaveProperty('tools');
    expect(responses?.body).not.toHaveProperty('instructions');
  });
});
