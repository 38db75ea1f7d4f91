/**
 * Types of the fake model server's scripting API. Re-exported by `fake-model-server.ts`;
 * import from there.
 */

/** Finish reasons of chat completions; the Responses API maps `length` / `content_filter` to an incomplete response. */
export type FakeFinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter';

/** A tool call the fake model makes. `arguments` given as an object is sent as its JSON text. */
export interface FakeToolCall {
  /** Defaults to a generated `call_fake_N`. */
  id?: string;
  name: string;
  /** Sent verbatim when a string, so malformed JSON can be scripted. */
  arguments: string | Record<string, unknown>;
}

/** Token counts to report; defaults estimate ~4 characters per token of request body / reply. */
export interface FakeUsage {
  promptTokens: number;
  completionTokens: number;
}

/** A complete assistant message (text and/or tool calls). */
export interface FakeMessageReply {
  kind: 'message';
  text?: string;
  toolCalls?: FakeToolCall[];
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: FakeFinishReason;
  usage?: FakeUsage;
  /** Delay before the response headers. */
  latencyMs?: number;
  /** Delay between stream frames (SSE events). */
  chunkDelayMs?: number;
  /** Split the text into this many deltas of similar size (default: one delta per word). */
  deltas?: number;
}

/** An HTTP error response. */
export interface FakeErrorReply {
  kind: 'error';
  status: number;
  headers?: Record<string, string>;
  /** JSON value (sent as application/json) or string (sent as text/plain). Defaults to an OpenAI-style error object. */
  body?: unknown;
  /** Delay before the response headers. */
  latencyMs?: number;
}

/** Destroy the socket (TCP reset) before any response header. */
export interface FakeResetReply {
  kind: 'reset';
}

/** Stream `afterDeltas` text deltas of `text`, then close the socket mid-body. */
export interface FakeDropReply {
  kind: 'drop';
  afterDeltas: number;
  text: string;
}

/** Send headers and `afterDeltas` text deltas (default 0), then nothing until the client aborts or the server closes. */
export interface FakeStallReply {
  kind: 'stall';
  afterDeltas?: number;
  text?: string;
}

/** Stream all text deltas, then end the response cleanly without finish reason, usage, `[DONE]` or `response.completed`. */
export interface FakeTruncateReply {
  kind: 'truncate';
  text: string;
}

/**
 * Stream `afterDeltas` text deltas, then an in-band error event and end the response:
 * chat sends `data: {"error": {...}}`, responses sends an `error` event. A non-streaming
 * request gets HTTP 500 with `{ error }` instead.
 */
export interface FakeStreamErrorReply {
  kind: 'stream-error';
  afterDeltas?: number;
  text?: string;
  error: { message: string; type?: string; code?: string | null };
}

export type FakeReply =
  | FakeMessageReply
  | FakeErrorReply
  | FakeResetReply
  | FakeDropReply
  | FakeStallReply
  | FakeTruncateReply
  | FakeStreamErrorReply;

/** Which endpoint a request hit. */
export type FakeApi = 'chat' | 'responses' | 'models' | 'other';

/** One HTTP request as the fake server received it. */
export interface RecordedRequest {
  /** Position in `requests` (0-based, across all endpoints). */
  index: number;
  method: string;
  /** Path without the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; `{}` when there is no body or it is not a JSON object. */
  body: Record<string, unknown>;
  api: FakeApi;
  /** `Date.now()` when the body was complete. */
  receivedAt: number;
  /** `body.stream === true`. */
  stream: boolean;
}

export type FakeReplyHandler = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeModelServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Append replies, consumed one per model request (chat or responses) in arrival order. */
  enqueue(...replies: FakeReply[]): void;
  /** Dynamic replies: called for each model request when the queue is empty. */
  setHandler(handler: FakeReplyHandler | undefined): void;
  /** Highest number of model requests in flight at the same time, so far. */
  readonly maxConcurrent: number;
  /** Model requests received whose response has not finished or closed yet. */
  readonly inFlight: number;
  /** Replace the list served by `GET /v1/models`. */
  setModels(ids: string[]): void;
  /** Requests that arrived with nothing scripted (answered 500 with a body that says so). */
  readonly unscripted: readonly RecordedRequest[];
  /** Stop listening and destroy every open socket (stalled ones included). Never hangs. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface FakeModelServerOptions {
  /** Interface to listen on; default `127.0.0.1`. The port is always chosen by the OS. */
  host?: string;
  /** Initial model list; default `['fake-model', 'fake-model-mini']`. */
  models?: string[];
}
