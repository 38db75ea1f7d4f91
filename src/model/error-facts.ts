import type { APIConnectionError, APIError } from 'openai';
import { causeChain, fieldOf, messageOf } from './error-fields.js';

export { causeChain, fieldOf, messageOf };

/**
 * The openai SDK's error classes, told by the modules that load the SDK (classify-error.ts,
 * list-models.ts) so this file does not: code that only reads error fields stays free of
 * the SDK. Before the SDK is loaded no SDK error can exist.
 */
let sdkErrors:
  | { readonly APIError: typeof APIError; readonly APIConnectionError: typeof APIConnectionError }
  | undefined;

export function useSdkErrorClasses(classes: NonNullable<typeof sdkErrors>): void {
  sdkErrors = classes;
}

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

function stringField(value: unknown, name: string): string | undefined {
  const field = fieldOf(value, name);
  return typeof field === 'string' && field !== '' ? field : undefined;
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
  const isConnection = sdkErrors !== undefined && error instanceof sdkErrors.APIConnectionError;
  if (sdkErrors !== undefined && error instanceof sdkErrors.APIError && !isConnection) {
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
