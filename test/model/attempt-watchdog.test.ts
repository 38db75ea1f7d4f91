import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AttemptWatchdog } from '../../src/model/attempt-watchdog.js';
import type { Fetch } from '../../src/model/attempt-watchdog.js';

const GAP_MS = 40;
const CHUNKS = [
  'data: a\n\n',
  'data: b\n\n',
  'data: c\n\n',
  'data: d\n\n',
  'data: e\n\n',
  ': done',
];
/** Idle limit well above one gap, well below the whole body (5 gaps = 200 ms). */
const timeouts = { headersMs: 1_000, idleMs: 120 };

/** A fetch answering `status` with CHUNKS, one every GAP_MS: slow overall, never silent for long. */
function tricklingFetch(status: number): Fetch {
  return () => {
    const encoder = new TextEncoder();
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (index > 0) await delay(GAP_MS);
        const chunk = CHUNKS[index++];
        if (chunk === undefined) controller.close();
        else controller.enqueue(encoder.encode(chunk));
      },
    });
    return Promise.resolve(new Response(body, { status }));
  };
}

describe('AttemptWatchdog', () => {
  it('feeds the idle watchdog with every chunk a successful body yields to for-await', async () => {
    const watchdog = new AttemptWatchdog(timeouts);
    const response = await watchdog.wrapFetch(tricklingFetch(200))('http://127.0.0.1/');
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of response.body as ReadableStream<Uint8Array>) {
      text += decoder.decode(chunk);
    }
    watchdog.dispose();
    expect(text).toBe(CHUNKS.join(''));
    expect(watchdog.headersReceived).toBe(true);
    expect(watchdog.stopReason).toBeUndefined();
    expect(watchdog.signal.aborted).toBe(false);
  });

  it('feeds it with every chunk of an error body read with text()', async () => {
    const watchdog = new AttemptWatchdog(timeouts);
    const response = await watchdog.wrapFetch(tricklingFetch(503))('http://127.0.0.1/');
    expect(await response.text()).toBe(CHUNKS.join(''));
    watchdog.dispose();
    expect(response.status).toBe(503);
    expect(watchdog.stopReason).toBeUndefined();
  });

  it('stops a successful body that goes silent as stream-stalled', async () => {
    const watchdog = new AttemptWatchdog({ headersMs: 1_000, idleMs: 50 });
    const silent = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode('data: a\n\n')),
    });
    const response = await watchdog.wrapFetch(() => Promise.resolve(new Response(silent)))(
      'http://127.0.0.1/',
    );
    const iterator = (response.body as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await new Promise((resolve) => watchdog.signal.addEventListener('abort', resolve));
    watchdog.dispose();
    expect(watchdog.stopReason).toBe('stream-stalled');
  });
});
