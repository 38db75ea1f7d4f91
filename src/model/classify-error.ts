import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { permanentEndpointFailure, transientNetworkReason } from './classify-endpoint-failure.js';
import { fieldOf, messageOf, readErrorFacts, useSdkErrorClasses } from './error-facts.js';
import type { ErrorFacts } from './error-facts.js';
import { isLoopbackUrl } from './loopback-host.js';
import { ModelError } from './model-error.js';
import type { ErrorClass, ErrorClassification } from './model-error.js';
import { parseRetryHint, readHeader } from './retry-hints.js';
import type { RetryHint } from './retry-hints.js';

// error-facts.ts reads SDK errors through the classes this module (which loads the SDK) tells it.
useSdkErrorClasses({ APIError, APIConnectionError });

export interface ClassifyContext {
  /** Base URL the request went to; named in messages. */
  readonly endpoint: string;
  readonly model: string;
  /** The caller's signal: when it has fired, the failure is ours (`cancelled`). */
  readonly signal?: AbortSignal;
  /** Clock for HTTP-date `retry-after` values; default `Date.now`. */
  readonly now?: () => number;
  /** Response headers had arrived: a broken connection now is a broken stream. */
  readonly streamStarted?: boolean;
  /** Variable named by the 401 message; default `AI_API_TOKEN`. */
  readonly tokenVariable?: string;
}

const dailyLimitMs = 6 * 3_600_000;
const quotaStatuses = new Set([402, 403, 429]);
const serverStatuses = new Set([500, 502, 503, 504, 529]);
const serverKinds =
  /^(?:server_error|overloaded_error|overloaded|internal_error|internal_server_error|service_unavailable|api_error)$/i;
const quotaKinds =
  /^(?:insufficient_quota|billing_hard_limit_reached|credit_balance_exhausted)$|spend_limit/i;
const quotaText =
  /\b(?:insufficient_quota|billing_hard_limit_reached|credit_balance_exhausted|exceeded your current quota)\b|spend_limit/i;
const contextText =
  /\b(?:context_length_exceeded|maximum context length|prompt is too long|context length exceeded|exceeds the context window)\b/i;
const contentFilterText = /\bcontent_filter\b|\bcontent management policy\b/i;
const networkCodes = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const networkText = /\b(?:fetch failed|socket hang up|other side closed)\b/i;

/** One line, bounded, with anything that looks like a credential removed. */
export function oneLine(text: string, maxLength = 300): string {
  const flat = text
    .replace(/\b(?:sk|ghp|gho|ghu|ghs|ghr|github_pat)[-_][A-Za-z0-9_-]{8,}/g, '[redacted]')
    .replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

function networkCodeOf(chain: readonly unknown[]): string | undefined {
  for (const item of chain) {
    const code = fieldOf(item, 'code');
    if (typeof code === 'string' && (networkCodes.has(code) || code.startsWith('UND_ERR_'))) {
      return code;
    }
  }
  return undefined;
}

function isTerminated(chain: readonly unknown[]): boolean {
  return chain.some((item) => item instanceof TypeError && item.message === 'terminated');
}

function isAbortLike(error: unknown): boolean {
  return error instanceof APIUserAbortError || fieldOf(error, 'name') === 'AbortError';
}

function matchesKind(facts: ErrorFacts, pattern: RegExp): boolean {
  return [facts.code, facts.type].some((value) => value !== undefined && pattern.test(value));
}

/**
 * Classifies a failed model request per resilience.md "Classification" (first match wins).
 * Never throws; an existing `ModelError` is returned unchanged. Messages are one line,
 * name the endpoint, model and status, and never contain the token.
 */
export function classifyModelError(error: unknown, context: ClassifyContext): ModelError {
  if (error instanceof ModelError) return error;
  const { endpoint, model } = context;
  const make = (
    errorClass: ErrorClass,
    retryable: boolean,
    message: string,
    extra: Partial<ErrorClassification> = {},
    reason?: string,
  ) =>
    new ModelError(
      message,
      { errorClass, retryable, ...extra },
      { cause: error, ...(reason !== undefined && { reason }) },
    );

  // Only we abort requests, so any abort is ours.
  if (context.signal?.aborted === true || isAbortLike(error)) {
    return make('cancelled', false, `request to ${endpoint} cancelled (model ${model})`);
  }
  const facts = readErrorFacts(error);
  const { status } = facts;
  const withStatus = status === undefined ? {} : { status };
  const statusText = status === undefined ? '' : ` (${status})`;
  const detail = oneLine(facts.apiMessage);
  const hint = parseRetryHint({
    headers: facts.headers,
    status,
    message: facts.apiMessage,
    now: context.now ?? Date.now,
  });
  const hinted = { ...withStatus, ...hintFields(hint) };

  const quotaStatus = status === undefined ? facts.inBand : quotaStatuses.has(status);
  const quotaCoded = matchesKind(facts, quotaKinds) || quotaText.test(facts.apiMessage);
  const dailyLimit = (hint?.hintMs ?? 0) > dailyLimitMs;
  if (quotaStatus && (quotaCoded || status === 402 || dailyLimit)) {
    const message = `quota exhausted at ${endpoint}${statusText} for model ${model}: ${detail}`;
    return make('quota', false, message, hinted);
  }
  if (readHeader(facts.headers, 'x-should-retry')?.trim().toLowerCase() === 'false') {
    const message = `${endpoint}${statusText} said not to retry (model ${model}): ${detail}`;
    return make('server-said-no', false, message, hinted);
  }
  if (status === 429 || (facts.inBand && matchesKind(facts, /^rate_limit/i))) {
    const message = `rate limited by ${endpoint}${statusText} for model ${model}`;
    return make('rate-limited', true, message, hinted, detail);
  }
  const serverKind =
    matchesKind(facts, serverKinds) && (status === undefined ? facts.inBand : status >= 500);
  if ((status !== undefined && serverStatuses.has(status)) || serverKind) {
    const where = facts.inBand ? `in the stream from ${endpoint}` : `at ${endpoint}${statusText}`;
    const message = `server error ${where} for model ${model}: ${detail}`;
    return make('server', true, message, hinted, detail);
  }
  if (status === 408 || status === 409) {
    const what = status === 408 ? 'request timeout' : 'conflict';
    const message = `${what} at ${endpoint} (${status}) for model ${model}`;
    return make('transient-http', true, message, hinted, detail);
  }
  if (error instanceof APIConnectionTimeoutError || fieldOf(error, 'name') === 'TimeoutError') {
    const message = `request to ${endpoint} timed out (model ${model})`;
    return make('timeout', true, message, {}, 'the request timed out');
  }
  const networkCode = networkCodeOf(facts.chain);
  const networkish =
    networkCode !== undefined ||
    error instanceof APIConnectionError ||
    facts.chain.some((item) => networkText.test(messageOf(item)));
  // Before the network row: undici's "terminated" (UND_ERR_SOCKET) only happens mid-body.
  const broken = isTerminated(facts.chain) || (context.streamStarted === true && networkish);
  const reason = transientNetworkReason(facts.chain, endpoint);
  if (status === undefined && broken) {
    const message = `stream from ${endpoint} broke off before the reply was complete (model ${model})`;
    return make('stream-interrupted', true, message, {}, reason);
  }
  // Before the transient network row: a failure that cannot heal is a configuration error.
  const permanent =
    status === undefined ? permanentEndpointFailure(facts.chain, endpoint) : undefined;
  if (permanent !== undefined) return make('config', false, oneLine(permanent, 400));
  if (status === undefined && networkish) {
    if (networkCode === 'ECONNREFUSED' && isLoopbackUrl(endpoint)) {
      const message = `connection refused by ${endpoint} (ECONNREFUSED): is the local server running?`;
      return make('network', true, message, { localRefused: true }, reason);
    }
    const short = networkCode ?? oneLine(reason ?? 'connection failed');
    const message = `cannot reach ${endpoint} (${short}) for model ${model}`;
    return make('network', true, message, {}, reason);
  }
  if (status === 401) {
    const variable = context.tokenVariable ?? 'AI_API_TOKEN';
    const message = `authentication failed at ${endpoint} (401): check ${variable}`;
    return make('auth', false, message, withStatus);
  }
  if (status === 404) {
    return make('config', false, `model "${model}" not found at ${endpoint} (404)`, withStatus);
  }
  if (status === 403 || status === 422) {
    const what = status === 403 ? 'access denied' : 'request rejected';
    const message = `${what} for model "${model}" at ${endpoint} (${status}): ${detail}`;
    return make('config', false, message, withStatus);
  }
  const requestError = status === 400 || status === 413 || facts.inBand;
  const overflow =
    status === 413 ||
    facts.code === 'context_length_exceeded' ||
    contextText.test(facts.apiMessage);
  if (requestError && overflow) {
    const message = `conversation too long for model ${model} at ${endpoint}${statusText}: ${detail}`;
    return make('context-overflow', false, message, withStatus);
  }
  const filtered =
    matchesKind(facts, /^content_filter$/i) || contentFilterText.test(facts.apiMessage);
  if (requestError && filtered) {
    const message = `content filter triggered at ${endpoint}${statusText} for model ${model}: ${detail}`;
    return make('content-filtered', false, message, withStatus);
  }
  if (status === 400) {
    const param = facts.param === undefined ? '' : ` (param ${facts.param})`;
    const message = `bad request to ${endpoint} (400) for model ${model}${param}: ${detail}`;
    return make('bad-request', false, message, withStatus);
  }
  const message = `model request to ${endpoint} failed${statusText} for model ${model}: ${detail}`;
  return make('unknown', false, message, withStatus);
}

function hintFields(hint: RetryHint | undefined): Partial<ErrorClassification> {
  return hint === undefined ? {} : { hintMs: hint.hintMs, hintSource: hint.hintSource };
}
