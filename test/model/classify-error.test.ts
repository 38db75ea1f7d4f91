import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyModelError } from '../../src/model/classify-error.js';
import { ModelError } from '../../src/model/model-error.js';

const context = { endpoint: 'https://api.example.com/v1', model: 'gpt-4.1' };

function classOf(error: unknown, extra: Partial<Parameters<typeof classifyModelError>[1]> = {}) {
  return classifyModelError(error, { ...context, ...extra }).classification;
}

function withCode(message: string, code: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

/** `depth` plain wrappers around `inner`. */
function wrapped(inner: unknown, depth: number): unknown {
  let error = inner;
  for (let level = 0; level < depth; level += 1)
    error = new Error(`layer ${level}`, { cause: error });
  return error;
}

describe('message text is a last resort, with word boundaries', () => {
  it('does not read a token count as a status', () => {
    expect(classOf(new Error('prompt has 14010 tokens'))).toEqual({
      errorClass: 'unknown',
      retryable: false,
    });
    expect(classOf(new Error('the prompt used 401 tokens')).errorClass).toBe('unknown');
  });

  it('reads a status that reads as one', () => {
    expect(classOf(new Error('401 Unauthorized'))).toMatchObject({
      errorClass: 'auth',
      status: 401,
    });
    expect(classOf(new Error('Request failed with status code 503')).errorClass).toBe('server');
    expect(classOf(new Error('HTTP 429 Too Many Requests')).errorClass).toBe('rate-limited');
  });

  it('matches keywords as words only', () => {
    expect(classOf({ status: 400, message: 'see content_filter_results' }).errorClass).toBe(
      'bad-request',
    );
    expect(classOf({ status: 400, message: 'blocked by content_filter' }).errorClass).toBe(
      'content-filtered',
    );
    expect(classOf({ status: 400, message: 'Prompt is too long: 9000 > 8000' }).errorClass).toBe(
      'context-overflow',
    );
  });
});

describe('cause chains', () => {
  it('finds network codes up to 5 levels deep, not deeper', () => {
    const reset = withCode('read ECONNRESET', 'ECONNRESET');
    expect(classOf(wrapped(reset, 5))).toEqual({ errorClass: 'network', retryable: true });
    expect(classOf(wrapped(reset, 6)).errorClass).toBe('unknown');
  });

  it('recognises UND_ERR_*, fetch failed and socket hang up', () => {
    expect(classOf(wrapped(withCode('x', 'UND_ERR_CONNECT_TIMEOUT'), 2)).errorClass).toBe(
      'network',
    );
    expect(classOf(new TypeError('fetch failed')).errorClass).toBe('network');
    expect(classOf(new Error('socket hang up')).errorClass).toBe('network');
  });

  it('looks inside AggregateError (localhost resolving to ::1 and 127.0.0.1)', () => {
    const refused = new AggregateError(
      [
        withCode('connect ECONNREFUSED ::1:8080', 'ECONNREFUSED'),
        withCode('connect ECONNREFUSED 127.0.0.1:8080', 'ECONNREFUSED'),
      ],
      'connect failed',
    );
    const error = new APIConnectionError({
      cause: new TypeError('fetch failed', { cause: refused }),
    });
    expect(classOf(error, { endpoint: 'http://localhost:8080/v1' })).toEqual({
      errorClass: 'network',
      retryable: true,
      localRefused: true,
    });
    expect(classOf(error)).toEqual({ errorClass: 'network', retryable: true });
    expect(classifyModelError(error, context).message).toBe(
      'cannot reach https://api.example.com/v1 (ECONNREFUSED) for model gpt-4.1',
    );
  });

  it('a broken stream is stream-interrupted, not network', () => {
    const terminated = new TypeError('terminated', {
      cause: withCode('other side closed', 'UND_ERR_SOCKET'),
    });
    expect(classOf(terminated)).toEqual({ errorClass: 'stream-interrupted', retryable: true });
    const reset = withCode('read ECONNRESET', 'ECONNRESET');
    expect(classOf(reset, { streamStarted: true }).errorClass).toBe('stream-interrupted');
  });
});

describe('table order', () => {
  it('our abort wins over everything', () => {
    const error = new APIError(429, { message: 'x' }, undefined, new Headers());
    expect(classOf(error, { signal: AbortSignal.abort() })).toEqual({
      errorClass: 'cancelled',
      retryable: false,
    });
    expect(classifyModelError(error, { ...context, signal: AbortSignal.abort() }).code).toBe(
      'cancelled',
    );
  });

  it('quota beats x-should-retry; x-should-retry: false beats 429 and 5xx', () => {
    const headers = new Headers({ 'x-should-retry': 'false' });
    const quota = new APIError(
      429,
      { code: 'insufficient_quota', message: 'q' },
      undefined,
      headers,
    );
    expect(classOf(quota).errorClass).toBe('quota');
    const limited = new APIError(429, { message: 'slow' }, undefined, headers);
    expect(classOf(limited).errorClass).toBe('server-said-no');
  });

  it('quota from *spend_limit*, 402, and a daily limit on 403', () => {
    const spend = { status: 429, error: { type: 'monthly_spend_limit_reached', message: 's' } };
    expect(classOf(spend).errorClass).toBe('quota');
    expect(classOf({ status: 402, message: 'Payment Required' }).errorClass).toBe('quota');
    const daily = { status: 403, headers: { 'retry-after': '30000' }, message: 'daily limit' };
    expect(classOf(daily)).toMatchObject({ errorClass: 'quota', hintMs: 30_000_000 });
    const shortWait = { status: 403, headers: { 'retry-after': '30' }, message: 'forbidden' };
    expect(classOf(shortWait).errorClass).toBe('config');
  });

  it('in-band stream errors (no status) by their code or type', () => {
    const inBand = (error: object) => new APIError(undefined, error, undefined, undefined);
    expect(classOf(inBand({ type: 'server_error', message: 'boom' })).errorClass).toBe('server');
    expect(classOf(inBand({ code: 'rate_limit_exceeded', message: 'slow' })).errorClass).toBe(
      'rate-limited',
    );
    expect(classOf(inBand({ code: 'insufficient_quota', message: 'q' })).errorClass).toBe('quota');
    expect(classOf(inBand({ code: 'context_length_exceeded', message: 'c' })).errorClass).toBe(
      'context-overflow',
    );
    expect(classOf(inBand({ code: 'weird', message: 'w' })).errorClass).toBe('unknown');
  });

  it('413 is context-overflow; SDK timeouts are timeout', () => {
    expect(classOf({ status: 413, message: 'Request Entity Too Large' }).errorClass).toBe(
      'context-overflow',
    );
    expect(classOf(new APIConnectionTimeoutError())).toEqual({
      errorClass: 'timeout',
      retryable: true,
    });
  });

  it('returns a ModelError unchanged', () => {
    const existing = new ModelError('x', { errorClass: 'server', retryable: true });
    expect(classifyModelError(existing, context)).toBe(existing);
  });
});

describe('hints and messages', () => {
  it('parses an HTTP-date retry-after against the injected clock', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const error = { status: 429, headers: { 'Retry-After': 'Wed, 01 Jan 2025 00:01:30 GMT' } };
    expect(classOf(error, { now: () => now })).toEqual({
      errorClass: 'rate-limited',
      retryable: true,
      status: 429,
      hintMs: 90_000,
      hintSource: 'retry-after',
    });
  });

  it('keeps messages on one line and redacts credentials', () => {
    const error = new APIError(
      400,
      { message: 'bad\nthing with sk-abcdefghijklmnop and Bearer xyz123', param: 'messages' },
      undefined,
      new Headers(),
    );
    const { message } = classifyModelError(error, context);
    expect(message).toBe(
      'bad request to https://api.example.com/v1 (400) for model gpt-4.1 (param messages): bad thing with [redacted] and Bearer [redacted]',
    );
  });
});
