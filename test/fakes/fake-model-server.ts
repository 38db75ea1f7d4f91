import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  chatCompletionFrames,
  chatCompletionJson,
  chatErrorFrame,
} from './chat-completions-wire.js';
import { cutAfterDeltas, FakeIds, planMessage } from './fake-reply-plan.js';
import type { MessagePlan, WireFrame } from './fake-reply-plan.js';
import type {
  FakeModelServer,
  FakeModelServerOptions,
  FakeReply,
  FakeReplyHandler,
  RecordedRequest,
} from './fake-model-types.js';
import { responseFrames, responseJson, responsesErrorFrame } from './responses-wire.js';
import {
  apiOf,
  endJson,
  errorBody,
  failResponse,
  parseJsonObject,
  pause,
  readBody,
  startStream,
  writeAll,
} from './fake-http-io.js';

export type * from './fake-model-types.js';
export { lastUserText, messagesOf, toolResultsOf } from './fake-request-accessors.js';

/**
 * Starts a real HTTP server on `host` (default 127.0.0.1), random port, speaking the
 * OpenAI wire format: `POST /v1/chat/completions`, `POST /v1/responses` (both also without
 * `/v1`), `GET /v1/models`. Each model request consumes one scripted reply (queue first,
 * then the handler); with nothing scripted it answers 500 and is recorded in `unscripted`.
 * Its timers come from `node:timers/promises`, so tests' fake timers do not freeze it.
 */
export async function startFakeModelServer(
  options: FakeModelServerOptions = {},
): Promise<FakeModelServer> {
  const fake = new FakeModelHttpServer(options.models ?? ['fake-model', 'fake-model-mini']);
  await fake.listen(options.host ?? '127.0.0.1');
  return fake;
}

type ModelApi = 'chat' | 'responses';

class FakeModelHttpServer implements FakeModelServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #closing = new AbortController();
  readonly #ids = new FakeIds();
  readonly #requests: RecordedRequest[] = [];
  readonly #unscripted: RecordedRequest[] = [];
  readonly #queue: FakeReply[] = [];
  /** Settles when each open model response has emitted 'close'. */
  readonly #responsesClosed = new Set<Promise<void>>();
  readonly #createdSeconds = Math.floor(Date.now() / 1000);
  #handler: FakeReplyHandler | undefined;
  #models: string[];
  #inFlight = 0;
  #maxConcurrent = 0;
  #url = '';
  #closed: Promise<void> | undefined;

  constructor(models: string[]) {
    this.#models = [...models];
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => failResponse(response, error));
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  get url(): string {
    return this.#url;
  }
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }
  get unscripted(): readonly RecordedRequest[] {
    return this.#unscripted;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  get maxConcurrent(): number {
    return this.#maxConcurrent;
  }

  enqueue(...replies: FakeReply[]): void {
    this.#queue.push(...replies);
  }
  setHandler(handler: FakeReplyHandler | undefined): void {
    this.#handler = handler;
  }
  setModels(ids: string[]): void {
    this.#models = [...ids];
  }

  async listen(host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const hostPart = address.address.includes(':') ? `[${address.address}]` : address.address;
    this.#url = `http://${hostPart}:${address.port}/v1`;
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closing.abort();
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
      this.#server.closeAllConnections();
    }).then(async () => {
      // Destroyed sockets close their responses a tick later; wait so inFlight reads 0.
      await Promise.all(this.#responsesClosed);
    });
    return this.#closed;
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawBody = await readBody(request);
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const api = apiOf(method, path);
    const parsed = parseJsonObject(rawBody);
    const recorded: RecordedRequest = {
      index: this.#requests.length,
      method,
      path,
      headers: { ...request.headers },
      body: parsed ?? {},
      api,
      receivedAt: Date.now(),
      stream: parsed?.stream === true,
    };
    this.#requests.push(recorded);
    const requestId = this.#ids.next('req_fake_');
    if (api === 'models') {
      const data = this.#models.map((id) => ({
        id,
        object: 'model',
        created: this.#createdSeconds,
        owned_by: 'fake-model-server',
      }));
      endJson(response, 200, { object: 'list', data }, { 'x-request-id': requestId });
      return;
    }
    if (api === 'other') {
      endJson(response, 404, errorBody(`fake model server: no route for ${method} ${path}`));
      return;
    }
    if (parsed === undefined) {
      endJson(response, 400, errorBody('fake model server: request body is not a JSON object'));
      return;
    }
    this.#trackInFlight(response);
    const ended = new AbortController();
    response.once('close', () => ended.abort());
    const signal = AbortSignal.any([ended.signal, this.#closing.signal]);
    const reply = await this.#nextReply(recorded);
    if (reply === undefined) {
      this.#unscripted.push(recorded);
      const message = `fake model server: unscripted request #${recorded.index} (${method} ${path})`;
      endJson(response, 500, errorBody(message, 'fake_unscripted'));
      return;
    }
    const context = { api, recorded, rawBody, requestId, signal };
    await this.#respond(reply, context, request, response);
  }

  #trackInFlight(response: ServerResponse): void {
    this.#inFlight += 1;
    this.#maxConcurrent = Math.max(this.#maxConcurrent, this.#inFlight);
    const closed = new Promise<void>((resolve) => {
      response.once('close', () => {
        this.#inFlight -= 1;
        this.#responsesClosed.delete(closed);
        resolve();
      });
    });
    this.#responsesClosed.add(closed);
  }

  async #nextReply(recorded: RecordedRequest): Promise<FakeReply | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    return this.#handler === undefined ? undefined : await this.#handler(recorded);
  }

  async #respond(
    reply: FakeReply,
    context: RespondContext,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const { signal } = context;
    const baseHeaders = { 'x-request-id': context.requestId };
    switch (reply.kind) {
      case 'reset':
        request.socket.resetAndDestroy();
        return;
      case 'error': {
        if (!(await pause(reply.latencyMs ?? 0, signal))) return;
        const body = reply.body ?? errorBody(`fake model server: scripted error ${reply.status}`);
        endJson(response, reply.status, body, { ...baseHeaders, ...reply.headers });
        return;
      }
      case 'message': {
        if (!(await pause(reply.latencyMs ?? 0, signal))) return;
        const plan = this.#plan(reply, context);
        if (!context.recorded.stream) {
          endJson(response, 200, this.#json(plan, context.api), baseHeaders);
          return;
        }
        startStream(response, baseHeaders);
        const frames = this.#frames(plan, context).map((frame) => frame.data);
        if (await writeAll(response, frames, reply.chunkDelayMs ?? 0, signal)) response.end();
        return;
      }
      case 'drop':
      case 'stall':
      case 'truncate':
      case 'stream-error':
        await this.#fault(reply, context, response);
        return;
      default:
        assertNever(reply);
    }
  }

  /** Faults that cut a text reply short; see the reply kinds for what each does. */
  async #fault(
    reply: Extract<FakeReply, { kind: 'drop' | 'stall' | 'truncate' | 'stream-error' }>,
    context: RespondContext,
    response: ServerResponse,
  ): Promise<void> {
    const plan = this.#plan({ text: reply.text ?? '' }, context);
    const baseHeaders = { 'x-request-id': context.requestId };
    if (!context.recorded.stream) {
      if (reply.kind === 'stream-error') {
        endJson(response, 500, { error: { param: null, code: null, ...reply.error } }, baseHeaders);
        return;
      }
      startStream(response, baseHeaders, 'application/json');
      if (reply.kind === 'stall') return;
      const json = JSON.stringify(this.#json(plan, context.api));
      if (!(await writeAll(response, [json.slice(0, json.length >> 1)], 0, context.signal))) return;
      if (reply.kind === 'drop') response.socket?.destroy();
      else response.end();
      return;
    }
    const deltaCount = reply.kind === 'truncate' ? Infinity : (reply.afterDeltas ?? 0);
    const frames = cutAfterDeltas(this.#frames(plan, context), deltaCount);
    if (reply.kind === 'stream-error') {
      const error =
        context.api === 'chat'
          ? chatErrorFrame(reply.error)
          : responsesErrorFrame(reply.error, frames.length);
      frames.push(error);
    }
    startStream(response, baseHeaders);
    if (!(await writeAll(response, frames, 0, context.signal))) return;
    if (reply.kind === 'drop') response.socket?.destroy();
    else if (reply.kind !== 'stall') response.end();
  }

  #plan(reply: Parameters<typeof planMessage>[0], context: RespondContext): MessagePlan {
    const model = context.recorded.body.model;
    return planMessage(reply, {
      ids: this.#ids,
      model: typeof model === 'string' ? model : 'fake-model',
      requestBodyChars: context.rawBody.length,
      createdSeconds: this.#createdSeconds,
    });
  }

  #json(plan: MessagePlan, api: ModelApi): Record<string, unknown> {
    return api === 'chat' ? chatCompletionJson(plan, this.#ids) : responseJson(plan, this.#ids);
  }

  #frames(plan: MessagePlan, context: RespondContext): WireFrame[] {
    if (context.api === 'responses') return responseFrames(plan, this.#ids);
    const streamOptions = context.recorded.body.stream_options;
    const includeUsage =
      typeof streamOptions === 'object' &&
      streamOptions !== null &&
      (streamOptions as Record<string, unknown>).include_usage === true;
    return chatCompletionFrames(plan, this.#ids, { includeUsage });
  }
}

interface RespondContext {
  api: ModelApi;
  recorded: RecordedRequest;
  rawBody: string;
  requestId: string;
  signal: AbortSignal;
}

function assertNever(value: never): never {
  throw new Error(`unhandled fake reply: ${JSON.stringify(value)}`);
}
