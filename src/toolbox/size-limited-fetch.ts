/**
 * The fetch of a streamable-HTTP toolbox, bounding each server message as stdio toolboxes
 * bound each line (`MAX_STDIO_MESSAGE_BYTES`): a JSON answer, or one event of an SSE
 * stream, larger than the limit is never held in memory. In its place the request gets the
 * JSON-RPC error "result too large" (see `result-too-large.ts`), so a tool call tells the
 * model its result was too large and the server stays in use. An oversized event on a
 * stream that answers no request of ours (the server's GET stream) is dropped.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { resultTooLargeError } from './result-too-large.js';

/** `fetch` with every server message bounded to `limitBytes`. */
export function sizeLimitedFetch(limitBytes: number, base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const response = await base(url, init);
    if (response.body === null) return response;
    const type = response.headers.get('content-type') ?? '';
    // Read only for an answer over the limit, not on every request.
    const idOf = () => requestIdOf(init?.body);
    if (type.includes('text/event-stream')) {
      const limited = response.body.pipeThrough(eventSizeLimit(limitBytes, idOf));
      return rebuilt(response, limited);
    }
    if (!type.includes('json')) return response;
    const body = await readWithin(response.body, limitBytes);
    if (body.complete) return rebuilt(response, body.bytes);
    const size = Number(response.headers.get('content-length')) || body.bytesRead;
    const id = idOf();
    if (id === undefined) throw new Error(tooLargeText(size, limitBytes));
    return rebuilt(response, JSON.stringify(errorAnswer(id, size, limitBytes)));
  };
}

/** The id of the single JSON-RPC request `body` carries, if it is one. */
function requestIdOf(body: unknown): string | number | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const message = JSON.parse(body) as { id?: unknown } | null;
    const id = message?.id;
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

function errorAnswer(id: string | number, bytes: number, limitBytes: number) {
  return { jsonrpc: '2.0', id, error: resultTooLargeError(bytes, limitBytes) };
}

function tooLargeText(bytes: number, limitBytes: number): string {
  return `a toolbox answer is too large: ${resultTooLargeError(bytes, limitBytes).message}`;
}

function rebuilt(response: Response, body: ConstructorParameters<typeof Response>[0]): Response {
  const headers = new Headers(response.headers);
  // The body is no longer the one these describe.
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** Reads `stream` to its end, or stops (cancelling it) once it holds more than `limitBytes`. */
async function readWithin(
  stream: ReadableStream<Uint8Array>,
  limitBytes: number,
): Promise<{ complete: boolean; bytes: Uint8Array; bytesRead: number }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let bytesRead = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytesRead += value.byteLength;
    if (bytesRead > limitBytes) {
      await reader.cancel().catch(() => undefined);
      return { complete: false, bytes: new Uint8Array(0), bytesRead };
    }
    chunks.push(value);
  }
  return { complete: true, bytes: Buffer.concat(chunks), bytesRead };
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Passes SSE events through whole; an event that grows past `limitBytes` is dropped up to
 * its end and, when the stream answers a request (`idOf`), replaced by that request's
 * "result too large" answer. Lines end with LF, CR LF or CR; an empty line ends an event.
 */
function eventSizeLimit(
  limitBytes: number,
  idOf: () => string | number | undefined,
): TransformStream<Uint8Array, Uint8Array> {
  let event: Uint8Array[] = [];
  let eventBytes = 0;
  let oversized = false;
  /** The previous byte ended a line (LF, or CR not yet known to be CR LF). */
  let lineEnded = false;
  let previous = 0;
  const encoder = new TextEncoder();
  const endEvent = (controller: TransformStreamDefaultController<Uint8Array>) => {
    if (oversized) {
      const id = idOf();
      if (id !== undefined) {
        const answer = JSON.stringify(errorAnswer(id, eventBytes, limitBytes));
        controller.enqueue(encoder.encode(`event: message\ndata: ${answer}\n\n`));
      }
    } else {
      for (const piece of event) controller.enqueue(piece);
    }
    event = [];
    eventBytes = 0;
    oversized = false;
  };
  /** Adds a piece of the current event, dropping the event once it is too large. */
  const add = (piece: Uint8Array) => {
    eventBytes += piece.byteLength;
    if (oversized) return;
    if (eventBytes > limitBytes) {
      oversized = true;
      event = [];
      return;
    }
    event.push(piece.slice());
  };
  return new TransformStream({
    transform(chunk, controller) {
      let start = 0;
      for (let index = 0; index < chunk.length; index++) {
        const byte = chunk[index] ?? 0;
        if (byte !== LF && byte !== CR) {
          lineEnded = false;
          previous = byte;
          continue;
        }
        // LF after CR ends the same line the CR did.
        const blankLine = lineEnded && !(byte === LF && previous === CR);
        previous = byte;
        lineEnded = !blankLine;
        if (!blankLine) continue;
        add(chunk.subarray(start, index + 1));
        start = index + 1;
        endEvent(controller);
      }
      if (start < chunk.length) add(chunk.subarray(start));
    },
    flush(controller) {
      if (eventBytes > 0) endEvent(controller);
    },
  });
}
