import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer } from './fake-model-server.js';
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

const user = [{ role: 'user' as const, content: 'hi' }];
const chatStream = (signal?: AbortSignal) =>
  client.chat.completions.create({ model: 'm', messages: user, stream: true }, { signal });
const responsesStream = (signal?: AbortSignal) =>
  client.responses.create({ model: 'm', input: 'hi', stream: true }, { signal });

/** Iterates `stream`, returning what arrived and what was thrown (if anything). */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** `code` of the first error in the `cause` chain that has one. */
function causeCode(error: unknown): unknown {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if ('code' in current && current.code !== undefined) return current.code;
    current = current.cause;
  }
  return undefined;
}

describe('error replies', () => {
  it('surface as APIError with status, headers and body, on both APIs', async () => {
    const rateLimited = {
      kind: 'error' as const,
      status: 429,
      headers: { 'retry-after': '7', 'x-ratelimit-reset-requests': '1m2.5s' },
      body: { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } },
    };
    server.enqueue(rateLimited, rateLimited);
    const chatError = await rejectionOf(chatStream());
    const responsesError = await rejectionOf(client.responses.create({ model: 'm', input: 'x' }));
    for (const error of [chatError, responsesError]) {
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(429);
      expect(apiError.headers?.get('retry-after')).toBe('7');
      expect(apiError.headers?.get('x-ratelimit-reset-requests')).toBe('1m2.5s');
      expect(apiError.code).toBe('rate_limit_exceeded');
      expect(apiError.message).toContain('slow down');
    }
  });

  it('sends string bodies as text and a default OpenAI-style body otherwise', async () => {
    server.enqueue(
      {
        kind: 'error',
        status: 503,
        body: 'upstream unavailable',
        headers: { 'x-should-retry': 'false' },
      },
      { kind: 'error', status: 401 },
    );
    const unavailable = await rejectionOf(
      client.chat.completions.create({ model: 'm', messages: user }),
    );
    expect(unavailable).toBeInstanceOf(OpenAI.InternalServerError);
    expect((unavailable as InstanceType<typeof OpenAI.APIError>).message).toContain(
      'upstream unavailable',
    );
    expect(
      (unavailable as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry'),
    ).toBe('false');
    const unauthorized = await rejectionOf(
      client.chat.completions.create({ model: 'm', messages: user }),
    );
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((unauthorized as InstanceType<typeof OpenAI.APIError>).message).toContain(
      'scripted error 401',
    );
  });
});

describe('connection faults', () => {
  it('reset surfaces as APIConnectionError caused by ECONNRESET', async () => {
    server.enqueue({ kind: 'reset' }, { kind: 'reset' });
    const chatError = await rejectionOf(chatStream());
    const responsesError = await rejectionOf(client.responses.create({ model: 'm', input: 'x' }));
    for (const error of [chatError, responsesError]) {
      expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(causeCode(error)).toBe('ECONNRESET');
    }
  });

  it('drop yields the first deltas, then a "terminated" TypeError (not an APIError)', async () => {
    server.enqueue({ kind: 'drop', afterDeltas: 2, text: 'one two three four' });
    const chat = await drain(await chatStream());
    expect(chat.items.map((chunk) => chunk.choices[0]?.delta.content).filter(Boolean)).toEqual([
      'one ',
      'two ',
    ]);
    expect(chat.error).toBeInstanceOf(TypeError);
    expect(chat.error).toMatchObject({ message: 'terminated' });
    expect(causeCode(chat.error)).toBe('UND_ERR_SOCKET');

    server.enqueue({ kind: 'drop', afterDeltas: 1, text: 'one two three four' });
    const responses = await drain(await responsesStream());
    const deltas = responses.items.flatMap((event) =>
      event.type === 'response.output_text.delta' ? [event.delta] : [],
    );
    expect(deltas).toEqual(['one ']);
    expect(responses.error).toMatchObject({ message: 'terminated' });
  });

  it('truncate completes silently; only the missing finish reason / terminal event shows it', async () => {
    server.enqueue(
      { kind: 'truncate', text: 'half an answer' },
      { kind: 'truncate', text: 'half an answer' },
    );
    const chat = await drain(await chatStream());
    expect(chat.error).toBeUndefined();
    expect(chat.items.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      'half an answer',
    );
    expect(chat.items.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    const responses = await drain(await responsesStream());
    expect(responses.error).toBeUndefined();
    const types = responses.items.map((event) => event.type);
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.completed');
    expect(types).not.toContain('response.output_item.done');

    // The SDK's helpers: chat rejects, responses resolves with a snapshot still "in_progress".
    server.enqueue({ kind: 'truncate', text: 'half' }, { kind: 'truncate', text: 'half' });
    const helper = client.chat.completions
      .stream({ model: 'm', messages: user })
      .finalChatCompletion();
    await expect(helper).rejects.toThrow('missing finish_reason');
    const snapshot = await client.responses.stream({ model: 'm', input: 'x' }).finalResponse();
    expect(snapshot.status).toBe('in_progress');
  });

  it('stream-error sends an in-band error after the first deltas', async () => {
    const overloaded = {
      kind: 'stream-error' as const,
      afterDeltas: 1,
      text: 'one two',
      error: { message: 'overloaded', type: 'overloaded_error' },
    };
    server.enqueue(overloaded, overloaded);
    const chat = await drain(await chatStream());
    expect(chat.error).toBeInstanceOf(OpenAI.APIError);
    expect(chat.error).toMatchObject({
      status: undefined,
      type: 'overloaded_error',
      message: 'overloaded',
    });
    const responses = await drain(await responsesStream());
    expect(responses.error).toBeUndefined();
    expect(responses.items.at(-1)).toMatchObject({
      type: 'error',
      code: 'overloaded_error',
      message: 'overloaded',
    });
  });
});

describe('stalls and shutdown', () => {
  it('a stalled stream stops when the client aborts, and the server sees the request end', async () => {
    server.enqueue({ kind: 'stall', afterDeltas: 1, text: 'one two' });
    const controller = new AbortController();
    const stream = await chatStream(controller.signal);
    const received: string[] = [];
    // The SDK ends the iteration without throwing when its signal aborts mid-stream.
    for await (const chunk of stream) {
      received.push(chunk.choices[0]?.delta.content ?? '');
      if (received.join('') === 'one ') controller.abort();
    }
    expect(received.join('')).toBe('one ');
    await vi.waitFor(() => expect(server.inFlight).toBe(0), { interval: 5 });
  });

  it('a stall before the body rejects the awaiting client on abort', async () => {
    server.enqueue({ kind: 'stall' }, { kind: 'message', text: 'late', latencyMs: 60_000 });
    for (const _ of [1, 2]) {
      const controller = new AbortController();
      const pending = client.chat.completions.create(
        { model: 'm', messages: user },
        { signal: controller.signal },
      );
      await vi.waitFor(() => expect(server.inFlight).toBe(1), { interval: 5 });
      controller.abort();
      const error = await rejectionOf(pending);
      // Before the headers arrive the SDK throws its own abort error; once they have, the
      // body read rejects with the platform's AbortError.
      const isAbort =
        error instanceof OpenAI.APIUserAbortError ||
        (error instanceof Error && error.name === 'AbortError');
      expect(isAbort, String(error)).toBe(true);
      await vi.waitFor(() => expect(server.inFlight).toBe(0), { interval: 5 });
    }
  });

  it('close() does not hang on stalled streams or pending latency', async () => {
    server.enqueue(
      { kind: 'stall', afterDeltas: 1, text: 'one two' },
      { kind: 'message', text: 'late', latencyMs: 60_000 },
    );
    const stalled = await responsesStream();
    const iterator = stalled[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'response.created' });
    const waiting = rejectionOf(client.chat.completions.create({ model: 'm', messages: user }));
    await vi.waitFor(() => expect(server.inFlight).toBe(2), { interval: 5 });
    await server.close();
    expect(await waiting).toBeInstanceOf(Error);
    const rest = await drain({ [Symbol.asyncIterator]: () => iterator });
    expect(rest.error).toBeInstanceOf(Error);
    expect(server.inFlight).toBe(0);
  });
});
