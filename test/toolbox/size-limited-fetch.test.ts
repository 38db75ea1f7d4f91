import { describe, expect, it } from 'vitest';
import { RESULT_TOO_LARGE_CODE } from '../../src/toolbox/result-too-large.js';
import { sizeLimitedFetch } from '../../src/toolbox/size-limited-fetch.js';

/** A base fetch answering with `chunks` (strings, as bytes) under `contentType`. */
function answering(contentType: string, chunks: readonly string[]) {
  return () =>
    Promise.resolve(
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
            controller.close();
          },
        }),
        { headers: { 'content-type': contentType } },
      ),
    );
}

const request = { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'x' }) };

describe('sizeLimitedFetch', () => {
  it('passes SSE events within the limit through byte for byte, split anywhere, any line end', async () => {
    const stream = 'event: message\r\ndata: {"a":1}\r\n\r\ndata: {"b":2}\n\ndata: {"c":3}\r\r';
    const chunks = [
      stream.slice(0, 5),
      stream.slice(5, 31),
      stream.slice(31, 32),
      stream.slice(32),
    ];
    const fetch = sizeLimitedFetch(40, answering('text/event-stream', chunks));
    expect(await (await fetch('http://x/mcp', request)).text()).toBe(stream);
  });

  it('replaces an SSE event over the limit by the request\'s "result too large" answer', async () => {
    const big = `data: ${'x'.repeat(100)}\n\n`;
    const fetch = sizeLimitedFetch(
      40,
      answering('text/event-stream', [
        'data: 1\n\n',
        big.slice(0, 30),
        big.slice(30),
        'data: 2\n\n',
      ]),
    );
    const text = await (await fetch('http://x/mcp', request)).text();
    const events = text.split('\n\n').filter((event) => event !== '');
    expect(events[0]).toBe('data: 1');
    expect(events[2]).toBe('data: 2');
    const answer = JSON.parse(events[1]!.replace(/^event: message\ndata: /, '')) as {
      id: number;
      error: { code: number; message: string };
    };
    expect(answer.id).toBe(7);
    expect(answer.error.code).toBe(RESULT_TOO_LARGE_CODE);
  });

  it('drops an oversized event of a stream that answers no request (GET)', async () => {
    const fetch = sizeLimitedFetch(
      20,
      answering('text/event-stream', [`data: ${'y'.repeat(50)}\n\ndata: ok\n\n`]),
    );
    expect(await (await fetch('http://x/mcp', { method: 'GET' })).text()).toBe('data: ok\n\n');
  });

  it('answers a JSON body over the limit with the error, for the request id', async () => {
    const fetch = sizeLimitedFetch(
      10,
      answering('application/json', ['{"jsonrpc":"2.0",', '"id":7,"result":{}}']),
    );
    const answer = (await (await fetch('http://x/mcp', request)).json()) as {
      id: number;
      error: { code: number };
    };
    expect(answer).toMatchObject({ id: 7, error: { code: RESULT_TOO_LARGE_CODE } });
    const small = sizeLimitedFetch(100, answering('application/json', ['{"ok":', 'true}']));
    expect(await (await small('http://x/mcp', request)).json()).toEqual({ ok: true });
  });
});
