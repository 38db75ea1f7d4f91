import { TaskflowError, type ErrorCode } from '../errors.js';

/** Error classes of resilience.md "Classification". */
export type ErrorClass =
  | 'cancelled'
  | 'quota'
  | 'server-said-no'
  | 'rate-limited'
  | 'server'
  | 'transient-http'
  | 'network'
  | 'timeout'
  | 'stream-stalled'
  | 'stream-interrupted'
  | 'auth'
  | 'config'
  | 'context-overflow'
  | 'bad-request'
  | 'content-filtered'
  | 'unknown';

export interface ErrorClassification {
  readonly errorClass: ErrorClass;
  readonly retryable: boolean;
  /** Server-provided wait, when a hint parsed (retry-after-ms, retry-after, reset headers, message). */
  readonly hintMs?: number;
  /** Which hint the wait came from. */
  readonly hintSource?: 'retry-after-ms' | 'retry-after' | 'reset-header' | 'message';
  /** HTTP status, when there was a response. */
  readonly status?: number;
  /** Connection refused to a loopback host (exit 78 after 2 attempts). */
  readonly localRefused?: boolean;
}

function codeFor(errorClass: ErrorClass): ErrorCode {
  switch (errorClass) {
    case 'cancelled':
      return 'cancelled';
    case 'quota':
      return 'quota';
    case 'auth':
      return 'auth';
    case 'config':
      return 'config';
    default:
      return 'model';
  }
}

/** A failed model attempt, classified once at the boundary. Retry code reads `classification`. */
export class ModelError extends TaskflowError {
  override readonly name = 'ModelError';
  readonly classification: ErrorClassification;
  /**
   * The cause in a few words for retry notices (`connection reset (ECONNRESET)`, the API's
   * own message); absent when the message says it best.
   */
  readonly reason?: string;

  constructor(
    message: string,
    classification: ErrorClassification,
    options: { cause?: unknown; reason?: string } = {},
  ) {
    super(codeFor(classification.errorClass), message, {
      ...(options.cause !== undefined && { cause: options.cause }),
      ...(classification.status !== undefined && { status: classification.status }),
    });
    this.classification = classification;
    if (options.reason !== undefined && options.reason !== '') this.reason = options.reason;
  }
}

export function isModelError(error: unknown): error is ModelError {
  return error instanceof ModelError;
}
