import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  lastUserText,
  messagesOf,
  startFakeModelServer,
  toolResultsOf,
} from './fake-model-server.js';
import type { FakeModelServer } from './fake-model-server.js';

let server: FakeModelServer;
let client: OpenAI;

beforeEach(async () => {
  server = await startFakeModelServer();
  client = new OpenAI({ baseURL: server.url, apiKey: 'test-key', maxRetries: 0 });
});
afterEach(async () => {
  await server.close();
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

const user = [{ role: 'user' as const, content: 'hi there' }];
const weatherArguments = { city: 'Zürich', days: [1, 2, 3], note: 'a "quoted" value' };

describe('chat completions', () => {
  it('answers a non-streaming text request with usage and records it', async () => {
    server.enqueue({
      kind: 'message',
      text: 'Hello world',
      usage: { promptTokens: 11, completionTokens: 3 },
    });
    const completion = await client.chat.completions.create({ model: 'gpt-x', messages: user });
    expect(completion.id).toBe('chatcmpl-fake-1');
    expect(completion.model).toBe('gpt-x');
    expect(completion.choices[0]?.message.content).toBe('Hello world');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 11,
      completion_tokens: 3,
      total_tokens: 14,
    });
    const [recorded] = server.requests;
    expect(recorded).toMatchObject({
      index: 0,
      method: 'POST',
      path: '/v1/chat/completions',
      api: 'chat',
      stream: false,
    });
    expect(recorded?.body.messages).toEqual(user);
    expect(recorded?.headers.authorization).toBe('Bearer test-key');
    expect(server.unscripted).toHaveLength(0);
  });

  it('streams text deltas by word and a usage chunk only when include_usage is set', async () => {
    server.enqueue(
      { kind: 'message', text: 'one two three' },
      { kind: 'message', text: 'abcdef', deltas: 3 },
    );
    const withUsage = await collect(
      await client.chat.completions.create({
        model: 'm',
        messages: user,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const contents = withUsage.map((chunk) => chunk.choices[0]?.delta.content).filter(Boolean);
    expect(contents).toEqual(['one ', 'two ', 'three']);
    expect(withUsage.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual([
      'stop',
    ]);
    expect(withUsage.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
    const withoutUsage = await collect(
      await client.chat.completions.create({ model: 'm', messages: user, stream: true }),
    );
    expect(withoutUsage.map((chunk) => chunk.choices[0]?.delta.content).filter(Boolean)).toEqual([
      'ab',
      'cd',
      'ef',
    ]);
    expect(withoutUsage.some((chunk) => chunk.usage)).toBe(false);
    expect(server.requests[0]?.stream).toBe(true);
  });

  it('streams tool calls as incremental deltas that reassemble to the arguments', async () => {
    server.enqueue({
      kind: 'message',
      toolCalls: [
        { name: 'get_weather', arguments: weatherArguments },
        { id: 'call_given', name: 'echo', arguments: '{"broken": ' },
      ],
    });
    const chunks: ChatCompletionChunk[] = await collect(
      await client.chat.completions.create({ model: 'm', messages: user, stream: true }),
    );
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    const first = deltas.filter((delta) => delta.index === 0);
    expect(first.length).toBeGreaterThan(2);
    expect(first[0]).toMatchObject({
      id: 'call_fake_1',
      type: 'function',
      function: { name: 'get_weather' },
    });
    expect(first.slice(1).every((delta) => delta.id === undefined)).toBe(true);
    const joined = first.map((delta) => delta.function?.arguments ?? '').join('');
    expect(JSON.parse(joined)).toEqual(weatherArguments);
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual([
      'tool_calls',
    ]);

    // The SDK's own accumulator agrees with the chunk shapes.
    server.enqueue({
      kind: 'message',
      text: 'calling',
      toolCalls: [{ name: 'get_weather', arguments: weatherArguments }],
    });
    const final = await client.chat.completions
      .stream({ model: 'm', messages: user })
      .finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('calling');
    const [call] = final.choices[0]?.message.tool_calls ?? [];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual(
      weatherArguments,
    );
  });

  it('returns tool calls, verbatim string arguments and scripted finish reasons without streaming', async () => {
    server.enqueue(
      { kind: 'message', toolCalls: [{ id: 'call_x', name: 'echo', arguments: 'not json' }] },
      { kind: 'message', text: 'cut', finishReason: 'length' },
      { kind: 'message', text: '', finishReason: 'content_filter' },
    );
    const calls = await client.chat.completions.create({ model: 'm', messages: user });
    expect(calls.choices[0]?.message.content).toBeNull();
    expect(calls.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_x', type: 'function', function: { name: 'echo', arguments: 'not json' } },
    ]);
    expect(calls.choices[0]?.finish_reason).toBe('tool_calls');
    const length = await client.chat.completions.create({ model: 'm', messages: user });
    expect(length.choices[0]?.finish_reason).toBe('length');
    const filtered = await client.chat.completions.create({ model: 'm', messages: user });
    expect(filtered.choices[0]?.finish_reason).toBe('content_filter');
  });

  it('accepts paths without the /v1 prefix', async () => {
    const bare = new OpenAI({
      baseURL: server.url.replace(/\/v1$/, ''),
      apiKey: 'k',
      maxRetries: 0,
    });
    server.enqueue({ kind: 'message', text: 'ok' });
    const completion = await bare.chat.completions.create({ model: 'm', messages: user });
    expect(completion.choices[0]?.message.content).toBe('ok');
    expect(server.requests[0]).toMatchObject({ path: '/chat/completions', api: 'chat' });
  });
});

describe('responses', () => {
  it('answers a non-streaming request with message and function_call items and usage', async () => {
    server.enqueue({
      kind: 'message',
      text: 'Let me check.',
      toolCalls: [{ name: 'get_weather', arguments: weatherArguments }],
      usage: { promptTokens: 20, completionTokens: 5 },
    });
    const response = await client.responses.create({ model: 'm', input: 'weather?' });
    expect(response).toMatchObject({
      id: 'resp_fake_1',
      status: 'completed',
      output_text: 'Let me check.',
    });
    expect(response.output.map((item) => item.type)).toEqual(['message', 'function_call']);
    expect(response.output[1]).toMatchObject({
      type: 'function_call',
      call_id: 'call_fake_1',
      name: 'get_weather',
    });
    const call = response.output[1];
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual(weatherArguments);
    expect(response.usage).toMatchObject({ input_tokens: 20, output_tokens: 5, total_tokens: 25 });
    expect(server.requests[0]).toMatchObject({
      api: 'responses',
      path: '/v1/responses',
      stream: false,
    });
  });

  it('streams typed events that the SDK accumulator turns into the same response', async () => {
    const reply = {
      kind: 'message' as const,
      text: 'Let me check.',
      toolCalls: [{ name: 'get_weather', arguments: weatherArguments }],
    };
    server.enqueue(reply, reply);
    const events: ResponseStreamEvent[] = await collect(
      await client.responses.create({ model: 'm', input: 'weather?', stream: true }),
    );
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.output_item.done');
    expect(events.map((event) => event.sequence_number)).toEqual(
      events.map((_, position) => position),
    );
    const text = events.flatMap((event) =>
      event.type === 'response.output_text.delta' ? [event.delta] : [],
    );
    expect(text).toEqual(['Let ', 'me ', 'check.']);
    const argumentDeltas = events.flatMap((event) =>
      event.type === 'response.function_call_arguments.delta' ? [event.delta] : [],
    );
    expect(argumentDeltas.length).toBeGreaterThan(1);
    const done = events.find((event) => event.type === 'response.function_call_arguments.done');
    expect(done?.type === 'response.function_call_arguments.done' && done.arguments).toBe(
      argumentDeltas.join(''),
    );
    expect(JSON.parse(argumentDeltas.join(''))).toEqual(weatherArguments);
    const completed = events.at(-1);
    expect(
      completed?.type === 'response.completed' && completed.response.usage?.total_tokens,
    ).toBeGreaterThan(0);

    const final = await client.responses.stream({ model: 'm', input: 'weather?' }).finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Let me check.');
    expect(final.output[1]).toMatchObject({
      type: 'function_call',
      call_id: 'call_fake_2',
      name: 'get_weather',
    });
  });

  it('ends with response.incomplete for finish reason length', async () => {
    server.enqueue({ kind: 'message', text: 'cut short', finishReason: 'length' });
    const events = await collect(
      await client.responses.create({ model: 'm', input: 'x', stream: true }),
    );
    const last = events.at(-1);
    expect(last?.type).toBe('response.incomplete');
    expect(last?.type === 'response.incomplete' && last.response.incomplete_details).toEqual({
      reason: 'max_output_tokens',
    });
  });
});

describe('scripting', () => {
  it('serves the scripted model list', async () => {
    const ids = async () => (await collect(client.models.list())).map((model) => model.id);
    expect(await ids()).toEqual(['fake-model', 'fake-model-mini']);
    server.setModels(['a', 'b', 'c']);
    expect(await ids()).toEqual(['a', 'b', 'c']);
    expect(server.requests.map((request) => request.api)).toEqual(['models', 'models']);
  });

  it('uses the queue first, then the handler, and records unscripted requests', async () => {
    server.enqueue({ kind: 'message', text: 'queued' });
    const first = await client.chat.completions.create({ model: 'm', messages: user });
    expect(first.choices[0]?.message.content).toBe('queued');
    const unscripted = client.chat.completions.create({ model: 'm', messages: user });
    await expect(unscripted).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(unscripted).rejects.toThrow('fake model server: unscripted request #1');
    expect(server.unscripted.map((request) => request.index)).toEqual([1]);
    server.setHandler((request) => ({
      kind: 'message',
      text: `echo: ${lastUserText(request) ?? ''}`,
    }));
    const echoed = await client.responses.create({ model: 'm', input: 'ping' });
    expect(echoed.output_text).toBe('echo: ping');
    expect(server.unscripted).toHaveLength(1);
  });

  it('waits latencyMs before the headers and chunkDelayMs between frames', async () => {
    // 5 frames (role, 2 deltas, finish, [DONE]) → 4 gaps; lower bounds only.
    server.enqueue({ kind: 'message', text: 'a b', latencyMs: 40, chunkDelayMs: 10 });
    const startedMs = performance.now();
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: user,
      stream: true,
    });
    const headersMs = performance.now() - startedMs;
    await collect(stream);
    expect(headersMs).toBeGreaterThanOrEqual(35);
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(75);
  });

  it('keeps its delays running while the test uses fake timers', async () => {
    server.enqueue({ kind: 'message', text: 'a b', latencyMs: 20, chunkDelayMs: 5 });
    vi.useFakeTimers();
    try {
      const stream = await client.chat.completions.create({
        model: 'm',
        messages: user,
        stream: true,
      });
      const chunks = await collect(stream);
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('a b');
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts concurrent model requests', async () => {
    let release = () => {};
    const allArrived = new Promise<void>((resolve) => (release = resolve));
    server.setHandler(async () => {
      if (server.inFlight === 3) release();
      await allArrived;
      return { kind: 'message', text: 'done' };
    });
    const ask = () => client.chat.completions.create({ model: 'm', messages: user });
    await Promise.all([ask(), ask(), ask()]);
    await ask();
    expect(server.maxConcurrent).toBe(3);
    expect(server.inFlight).toBe(0);
  });

  it('reads conversations and tool results from recorded requests', async () => {
    server.setHandler(() => ({ kind: 'message', text: 'ok' }));
    await client.chat.completions.create({
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'first' }] },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'result one' },
      ],
    });
    await client.responses.create({
      model: 'm',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'second' }] },
        { type: 'function_call_output', call_id: 'c2', output: 'result two' },
      ],
    });
    const [chat, responses] = server.requests;
    if (chat === undefined || responses === undefined) throw new Error('requests missing');
    expect(messagesOf(chat)).toHaveLength(3);
    expect(lastUserText(chat)).toBe('first');
    expect(toolResultsOf(chat)).toEqual([{ callId: 'c1', output: 'result one' }]);
    expect(lastUserText(responses)).toBe('second');
    expect(toolResultsOf(responses)).toEqual([{ callId: 'c2', output: 'result two' }]);
  });
});
