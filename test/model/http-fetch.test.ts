import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpFetch } from '../../src/model/http-fetch.js';

/** src/model/http-fetch.ts against a real HTTP server on 127.0.0.1. */

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

let server: http.Server;
let handler: Handler;
let connections = 0;
let base: string;

beforeEach(async () => {
  connections = 0;
  handler = (_request, response) => response.end('ok');
  server = http.createServer((request, response) => handler(request, response));
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function bodyOf(response: Response): AsyncIterable<Uint8Array> {
  return response.body as unknown as AsyncIterable<Uint8Array>;
}

describe('httpFetch', () => {
  it('sends method, headers and body; answers status, headers and JSON', async () => {
    handler = (request, response) => {
      let received = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      request.on('end', () => {
        response.setHeader('x-request-id', 'req-1');
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({ method: request.method, auth: request.headers.authorization, received }),
        );
      });
    };
    const response = await httpFetch(`${base}/v1/chat`, {
      method: 'POST',
      headers: new Headers({ authorization: 'Bearer token-1', 'content-type': 'application/json' }),
      body: '{"hello":1}',
    });
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-request-id')).toBe('req-1');
    expect(await response.json()).toEqual({
      method: 'POST',
      auth: 'Bearer token-1',
      received: '{"hello":1}',
    });
  });

  it('keeps connections alive across requests', async () => {
    for (let round = 0; round < 3; round++) {
      const response = await httpFetch(`${base}/`, { method: 'GET' });
      expect(await response.text()).toBe('ok');
    }
    expect(connections).toBe(1);
  });

  it('decodes a gzip body as fetch does', async () => {
    handler = (_request, response) => {
      response.setHeader('content-encoding', 'gzip');
      response.end(zlib.gzipSync('compressed answer'));
    };
    const response = await httpFetch(`${base}/`, {});
    expect(await readAll(bodyOf(response))).toBe('compressed answer');
  });

  it('a refused connection is fetch failed, its cause ECONNREFUSED', async () => {
    const port = (server.address() as AddressInfo).port;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const failure = await httpFetch(`http://127.0.0.1:${port}/`, {}).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe('fetch failed');
    expect(((failure as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  it('a body cut off mid-stream is fetch’s "terminated"', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n');
      setTimeout(() => response.socket?.destroy(), 20);
    };
    const response = await httpFetch(`${base}/`, {});
    const failure = await readAll(bodyOf(response)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe('terminated');
  });

  it('an abort before the answer rejects with the signal’s reason; after, ends the body so', async () => {
    handler = (_request, response) => {
      setTimeout(() => {
        response.writeHead(200);
        response.write('partial');
      }, 30);
    };
    const early = new AbortController();
    const pending = httpFetch(`${base}/`, { signal: early.signal });
    early.abort();
    expect(((await pending.catch((error: unknown) => error)) as Error).name).toBe('AbortError');

    const late = new AbortController();
    const response = await httpFetch(`${base}/`, { signal: late.signal });
    const reading = readAll(bodyOf(response)).catch((error: unknown) => error);
    setTimeout(() => late.abort(), 20);
    expect(((await reading) as Error).name).toBe('AbortError');
  });

  it('an unread compressed body survives an abort (no stray error event)', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' });
      response.write(zlib.gzipSync('x'.repeat(1000)).subarray(0, 20));
    };
    const controller = new AbortController();
    const response = await httpFetch(`${base}/`, { signal: controller.signal });
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const failure = await readAll(bodyOf(response)).catch((error: unknown) => error);
    expect((failure as Error).name).toBe('AbortError');
  });

  it('ending a body before reading it closes the connection', async () => {
    let closed = false;
    handler = (request, response) => {
      request.socket.once('close', () => (closed = true));
      response.writeHead(200);
      response.write('never read');
    };
    const response = await httpFetch(`${base}/`, {});
    await bodyOf(response)[Symbol.asyncIterator]().return?.();
    for (let waited = 0; !closed && waited < 2_000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(true);
  });

  it('follows a redirect (through the global fetch)', async () => {
    handler = (request, response) => {
      if (request.url === '/old') response.writeHead(307, { location: '/new' }).end();
      else response.end(`at ${request.url}`);
    };
    const response = await httpFetch(`${base}/old`, {});
    expect(await response.text()).toBe('at /new');
  });

  it('answers no body for 204 and HEAD', async () => {
    handler = (request, response) =>
      response.writeHead(request.method === 'HEAD' ? 200 : 204).end();
    expect((await httpFetch(`${base}/`, {})).body).toBeNull();
    expect((await httpFetch(`${base}/`, { method: 'HEAD' })).body).toBeNull();
  });
});
