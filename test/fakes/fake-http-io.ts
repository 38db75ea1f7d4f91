import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeApi } from './fake-model-types.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Low-level I/O helpers of the fake model server. */

/** Reads the whole request body as UTF-8. Rejects if the client goes away first. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Waits `durationMs` (0 → returns at once). Resolves `false` when `signal` aborts first,
 * meaning the response is gone and the caller should stop.
 */
export async function pause(durationMs: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (durationMs <= 0) return true;
  try {
    await sleep(durationMs, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Sends a complete response: JSON for non-strings, text/plain for strings. */
export function endJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.destroyed) return;
  const isText = typeof body === 'string';
  const payload = isText ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
  });
  response.end(payload);
}

/** Sends 200 headers at once (no content-length), so the client sees the response start. */
export function startStream(
  response: ServerResponse,
  headers: Record<string, string>,
  contentType = 'text/event-stream; charset=utf-8',
): void {
  response.writeHead(200, {
    'content-type': contentType,
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  response.flushHeaders();
}

/**
 * Writes `pieces` in order, `delayMs` apart, each handed to the kernel before the next, so
 * a socket destroyed afterwards has delivered them. Resolves `false` if aborted meanwhile.
 */
export async function writeAll(
  response: ServerResponse,
  pieces: readonly string[],
  delayMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  for (const [position, piece] of pieces.entries()) {
    if (position > 0 && !(await pause(delayMs, signal))) return false;
    if (signal.aborted || response.destroyed) return false;
    await new Promise<void>((resolve) => response.write(piece, () => resolve()));
  }
  return !signal.aborted && !response.destroyed;
}

/** Which endpoint a method and path address; `/v1` is optional. */
export function apiOf(method: string, path: string): FakeApi {
  const route = path.replace(/^\/v1(?=\/)/, '').replace(/\/+$/, '');
  if (method === 'POST' && route === '/chat/completions') return 'chat';
  if (method === 'POST' && route === '/responses') return 'responses';
  if (method === 'GET' && route === '/models') return 'models';
  return 'other';
}

/** A JSON object body; `{}` for an empty body, `undefined` for anything else. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** OpenAI-style error body. */
export function errorBody(message: string, type = 'fake_error'): Record<string, unknown> {
  return { error: { message, type, param: null, code: null } };
}

/** Last resort when handling a request threw (e.g. a scripted handler). */
export function failResponse(response: ServerResponse, error: unknown): void {
  const message = `fake model server: internal error: ${error instanceof Error ? error.message : String(error)}`;
  if (!response.headersSent && !response.destroyed) endJson(response, 500, errorBody(message));
  else response.destroy();
}
