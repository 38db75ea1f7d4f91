import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer } from '../fakes/fake-model-server.js';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import { API_TYPES, clientFor, modelErrorOf, requestWith } from './model-test-helpers.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  expect(server.unscripted).toEqual([]);
  await server.close();
});

describe.each(API_TYPES)('%s client shared by concurrent attempts', (apiType) => {
  it('watches each attempt on its own: one stalls, the other streams slowly to the end', async () => {
    // Five deltas 50 ms apart outlast idleMs overall but never go silent for that long.
    server.setHandler((request) =>
      JSON.stringify(request.body).includes('stall me')
        ? { kind: 'stall', afterDeltas: 1, text: 'one two' }
        : { kind: 'message', text: 'a b c d e', chunkDelayMs: 50 },
    );
    const client = clientFor(server, apiType, { timeouts: { headersMs: 2_000, idleMs: 150 } });
    const stalled = modelErrorOf(
      client.complete(requestWith({ conversation: [{ role: 'user', content: 'stall me' }] })),
    );
    const slow = client.complete(requestWith());

    expect(await slow).toMatchObject({ text: 'a b c d e', finishReason: 'stop' });
    const error = await stalled;
    expect(error.classification).toEqual({ errorClass: 'stream-stalled', retryable: true });
    expect(server.maxConcurrent).toBe(2);
    await vi.waitFor(() => expect(server.inFlight).toBe(0), { interval: 5 });
  });
});
