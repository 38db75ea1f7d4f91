import { APIConnectionError, APIError } from 'openai';

/**
 * What an error thrown at the model boundary says about itself, read defensively: SDK
 * `APIError`s, undici/Node network errors (through `cause` chains), or plain objects.
 */
export interface ErrorFacts {
  /** HTTP status from the error, or (last resort) from its message text. */
  readonly status: number | undefined;
  readonly headers: unknown;
  /** API error `code` / `type` / `param` (not Node system codes). */
  readonly code: string | undefined;
  readonly type: string | undefined;
  readonly param: string | undefined;
  /** The API's own message when the body had one, else the error's message. */
  readonly apiMessage: string;
  /** An error reported inside a stream (an SSE error event): an APIError without status. */
  readonly inBand: boolean;
  /** Errors from the top down through `cause` (and `AggregateError.errors`), at most 5 deep. */
  readonly chain: readonly unknown[];
}

const maxCauseDepth = 5;

/** The error, its causes and aggregated errors, breadth first, at most `maxCauseDepth` levels. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let level: unknown[] = [error];
  for (let depth = 0; depth <= maxCauseDepth && level.length > 0; depth += 1) {
    const next: unknown[] = [];
    for (const item of level) {
      if (item === undefined || item === null || chain.includes(item)) continue;
      chain.push(item);
      if (typeof item !== 'object') continue;
      const cause = (item as { cause?: unknown }).cause;
      if (cause !== undefined) next.push(cause);
      const errors = (item as { errors?: unknown }).errors;
      if (Array.isArray(errors)) next.push(...(errors as unknown[]));
    }
    level = next;
  }
  return chain;
}

export function fieldOf(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function stringField(value: unknown, name: string): string | undefined {
  const field = fieldOf(value, name);
  return typeof field === 'string' && field !== '' ? field : undefined;
}

export function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  const message = fieldOf(value, 'message');
  return typeof message === 'string' ? message : String(value);
}

/**
 * A status in message text only where it reads as one: at the very start ("429 Too Many
 * Requests") or after "status", "status code", "HTTP" or "error". Word boundaries keep a
 * token count like "14010 tokens" from reading as 401.
 */
export function statusFromMessage(message: string): number | undefined {
  const match =
    /^\s*([1-5]\d\d)\b/.exec(message) ??
    /\b(?:status(?:\s+code)?|http(?:\/\d(?:\.\d)?)?|error)\s*[:=]?\s*([1-5]\d\d)\b/i.exec(message);
  return match === null ? undefined : Number(match[1]);
}

function numericStatus(error: unknown): number | undefined {
  for (const name of ['status', 'statusCode']) {
    const value = fieldOf(error, name);
    if (typeof value === 'number' && Number.isInteger(value) && value >= 100 && value < 600) {
      return value;
    }
  }
  const response = fieldOf(error, 'response');
  const responseStatus = fieldOf(response, 'status');
  return typeof responseStatus === 'number' ? responseStatus : undefined;
}

export function readErrorFacts(error: unknown): ErrorFacts {
  const chain = causeChain(error);
  const isConnection = error instanceof APIConnectionError;
  if (error instanceof APIError && !isConnection) {
    const body: unknown = error.error;
    const status: unknown = error.status;
    return {
      status: typeof status === 'number' ? status : undefined,
      headers: error.headers,
      code: typeof error.code === 'string' ? error.code : undefined,
      type: error.type,
      param: typeof error.param === 'string' ? error.param : undefined,
      apiMessage: stringField(body, 'message') ?? error.message,
      inBand: status === undefined,
      chain,
    };
  }
  // Not an SDK error: a plain object shaped like an API error, or a network failure.
  const body = fieldOf(error, 'error');
  const code = stringField(body, 'code') ?? stringField(error, 'code');
  const message = messageOf(error);
  const status = isConnection ? undefined : (numericStatus(error) ?? statusFromMessage(message));
  return {
    status,
    headers: fieldOf(error, 'headers') ?? fieldOf(fieldOf(error, 'response'), 'headers'),
    // Node system codes (ECONNRESET, ...) live in `code` too; they never collide with API codes.
    code,
    type: stringField(body, 'type') ?? stringField(error, 'type'),
    param: stringField(body, 'param') ?? stringField(error, 'param'),
    apiMessage: stringField(body, 'message') ?? message,
    inBand: false,
    chain,
  };
}

/** A short reason for a connection failure: the first system code in the chain, else the innermost message. */
export function failureReason(error: unknown): string {
  const chain = causeChain(error);
  for (const item of chain) {
    const code = fieldOf(item, 'code');
    if (typeof code === 'string' && /^(?:E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
  }
  const last = chain.at(-1);
  return last === undefined ? 'connection failed' : messageOf(last).replace(/\s+/g, ' ').trim();
}
