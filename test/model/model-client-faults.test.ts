import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer } from '../fakes/fake-model-server.js';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import type { Fetch } from '../../src/model/attempt-watchdog.js';
import { API_TYPES, clientFor, modelErrorOf, requestWith } from './model-test-helpers.js';

// A server per test: a fault must not leave a stalled response or a queued reply behind.
let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  expect(server.unscripted).toEqual([]);
  await server.close();
});

const short = { timeouts: { headersMs: 150, idleMs: 150 } };

/**
 * Passes the real body through, then, once the server has sent everything, either fails
 * like a dropped socket or goes silent (until the request is aborted): a teardown fault
 * after the complete reply.
 */
function fetchWithFaultyTeardown(ending: 'error' | 'silence'): Fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const source: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
    if (source === undefined) return response;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await source.read();
        if (!done) {
          controller.enqueue(value);
          return;
        }
        if (ending === 'error') {
          const socketError = Object.assign(new Error('other side closed'), {
            code: 'UND_ERR_SOCKET',
          });
          controller.error(new TypeError('terminated', { cause: socketError }));
          return;
        }
        await new Promise<void>((resolve) => {
          init?.signal?.addEventListener('abort', () => resolve(), { once: true });
        });
        controller.error(new DOMException('This operation was aborted', 'AbortError'));
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

describe.each(API_TYPES)('%s faults', (apiType) => {
  it('drop mid-stream -> stream-interrupted (partial text streamed first)', async () => {
    server.enqueue({ kind: 'drop', afterDeltas: 2, text: 'one two three four' });
    const deltas: string[] = [];
    const error = await modelErrorOf(
      clientFor(server, apiType).complete(requestWith(), { onTextDelta: (t) => deltas.push(t) }),
    );
    expect(deltas).toEqual(['one ', 'two ']);
    expect(error.classification).toEqual({ errorClass: 'stream-interrupted', retryable: true });
    expect(error.code).toBe('model');
  });

  it('truncate (clean end, no finish reason) -> stream-interrupted', async () => {
    server.enqueue({ kind: 'truncate', text: 'half an answer' });
    const error = await modelErrorOf(clientFor(server, apiType).complete(requestWith()));
    expect(error.classification).toEqual({ errorClass: 'stream-interrupted', retryable: true });
  });

  it('reset before headers -> network', async () => {
    server.enqueue({ kind: 'reset' });
    const error = await modelErrorOf(clientFor(server, apiType).complete(requestWith()));
    expect(error.classification).toEqual({ errorClass: 'network', retryable: true });
    expect(error.message).toContain('ECONNRESET');
  });

  it('stall after the first delta -> stream-stalled after idleMs', async () => {
    server.enqueue({ kind: 'stall', afterDeltas: 1, text: 'one two' });
    const error = await modelErrorOf(clientFor(server, apiType, short).complete(requestWith()));
    expect(error.classification).toEqual({ errorClass: 'stream-stalled', retryable: true });
    expect(error.message).toContain('no data for 0.15s');
    await vi.waitFor(() => expect(server.inFlight).toBe(0), { interval: 5 });
  });

  it('slow headers -> timeout after headersMs', async () => {
    server.enqueue({ kind: 'message', text: 'late', latencyMs: 10_000 });
    const error = await modelErrorOf(clientFor(server, apiType, short).complete(requestWith()));
    expect(error.classification).toEqual({ errorClass: 'timeout', retryable: true });
    expect(error.message).toContain('no response headers');
    await vi.waitFor(() => expect(server.inFlight).toBe(0), { interval: 5 });
  });

  it('caller abort mid-stream -> cancelled (default 120 s watchdogs never involved)', async () => {
    server.enqueue({ kind: 'stall', afterDeltas: 1, text: 'one two' });
    const controller = new AbortController();
    const error = await modelErrorOf(
      clientFor(server, apiType).complete(requestWith(), {
        signal: controller.signal,
        onTextDelta: () => controller.abort(),
      }),
    );
    expect(error.classification).toEqual({ errorClass: 'cancelled', retryable: false });
    expect(error.code).toBe('cancelled');
  });

  it('caller abort before headers -> cancelled; an aborted signal sends nothing', async () => {
    server.enqueue({ kind: 'message', text: 'late', latencyMs: 60_000 });
    const controller = new AbortController();
    const pending = clientFor(server, apiType).complete(requestWith(), {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1), { interval: 5 });
    controller.abort();
    expect((await modelErrorOf(pending)).classification.errorClass).toBe('cancelled');

    const error = await modelErrorOf(
      clientFor(server, apiType).complete(requestWith(), { signal: AbortSignal.abort() }),
    );
    expect(error.classification.errorClass).toBe('cancelled');
    expect(server.requests).toHaveLength(1);
  });

  it('in-band stream error event of kind overloaded -> server', async () => {
    server.enqueue({
      kind: 'stream-error',
      afterDeltas: 1,
      text: 'one two',
      error: { message: 'overloaded', type: 'overloaded_error', code: 'overloaded_error' },
    });
    const error = await modelErrorOf(clientFor(server, apiType).complete(requestWith()));
    expect(error.classification).toEqual({ errorClass: 'server', retryable: true });
    expect(error.message).toContain('overloaded');
  });

  it('accepts the complete reply when only the teardown fails or stalls', async () => {
    server.enqueue({ kind: 'message', text: 'all of it' }, { kind: 'message', text: 'again' });
    const failing = clientFor(server, apiType, { fetch: fetchWithFaultyTeardown('error') });
    expect(await failing.complete(requestWith())).toMatchObject({
      text: 'all of it',
      finishReason: 'stop',
    });
    const silent = clientFor(server, apiType, {
      ...short,
      fetch: fetchWithFaultyTeardown('silence'),
    });
    expect(await silent.complete(requestWith())).toMatchObject({ text: 'again' });
  });
});
