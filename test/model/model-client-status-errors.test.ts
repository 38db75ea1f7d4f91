import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer } from '../fakes/fake-model-server.js';
import type { FakeErrorReply, FakeModelServer } from '../fakes/fake-model-server.js';
import type { ErrorClassification } from '../../src/model/model-error.js';
import {
  API_TYPES,
  TEST_TOKEN,
  clientFor,
  closedPort,
  modelErrorOf,
  requestWith,
} from './model-test-helpers.js';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});

function apiError(
  status: number,
  error: { message: string; type?: string; code?: string; param?: string },
  headers: Record<string, string> = {},
): FakeErrorReply {
  return { kind: 'error', status, headers, body: { error: { param: null, code: null, ...error } } };
}

const rateLimit = { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' };
const quota = {
  message: 'You exceeded your current quota, please check your plan and billing details.',
  type: 'insufficient_quota',
  code: 'insufficient_quota',
};

interface Case {
  name: string;
  reply: FakeErrorReply;
  expected: ErrorClassification;
  message?: RegExp;
}

const cases: Case[] = [
  {
    name: '429 retry-after-ms',
    reply: apiError(429, rateLimit, { 'retry-after-ms': '1500', 'retry-after': '9' }),
    expected: rated(1500, 'retry-after-ms'),
    message: /^rate limited by http:\/\/127\.0\.0\.1:\d+\/v1 \(429\) for model fake-model$/,
  },
  {
    name: '429 retry-after seconds',
    reply: apiError(429, rateLimit, { 'retry-after': '7' }),
    expected: rated(7000, 'retry-after'),
  },
  {
    name: '429 reset header of the exhausted bucket',
    reply: apiError(429, rateLimit, {
      'x-ratelimit-reset-requests': '1m2.5s',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-tokens': '6m',
      'x-ratelimit-remaining-tokens': '5000',
    }),
    expected: rated(62_500, 'reset-header'),
  },
  {
    name: '429 reset headers, bucket unknown: the larger',
    reply: apiError(429, rateLimit, {
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-reset-tokens': '30s',
    }),
    expected: rated(30_000, 'reset-header'),
  },
  {
    name: '429 "try again in 20s" message',
    reply: apiError(429, { ...rateLimit, message: 'Rate limit reached. Please try again in 20s.' }),
    expected: rated(20_000, 'message'),
  },
  {
    name: '429 insufficient_quota',
    reply: apiError(429, quota),
    expected: { errorClass: 'quota', retryable: false, status: 429 },
    message: /quota exhausted .*exceeded your current quota/,
  },
  {
    name: '429 insufficient_quota despite x-should-retry: true',
    reply: apiError(429, quota, { 'x-should-retry': 'true' }),
    expected: { errorClass: 'quota', retryable: false, status: 429 },
  },
  {
    name: '429 with a daily-limit retry-after (> 6 h)',
    reply: apiError(429, rateLimit, { 'retry-after': '86400' }),
    expected: {
      errorClass: 'quota',
      retryable: false,
      status: 429,
      hintMs: 86_400_000,
      hintSource: 'retry-after',
    },
  },
  {
    name: '503',
    reply: apiError(503, { message: 'unavailable', type: 'server_error' }, { 'retry-after': '3' }),
    expected: {
      errorClass: 'server',
      retryable: true,
      status: 503,
      hintMs: 3000,
      hintSource: 'retry-after',
    },
  },
  {
    name: '529 overloaded',
    reply: apiError(529, { message: 'Overloaded', type: 'overloaded_error' }),
    expected: { errorClass: 'server', retryable: true, status: 529 },
  },
  {
    name: '408',
    reply: apiError(408, { message: 'request timeout' }),
    expected: { errorClass: 'transient-http', retryable: true, status: 408 },
  },
  {
    name: '409',
    reply: apiError(409, { message: 'conflict' }),
    expected: { errorClass: 'transient-http', retryable: true, status: 409 },
  },
  {
    name: '503 with x-should-retry: false',
    reply: apiError(503, { message: 'do not retry' }, { 'x-should-retry': 'false' }),
    expected: { errorClass: 'server-said-no', retryable: false, status: 503 },
  },
  {
    name: '401',
    reply: apiError(401, { message: `Incorrect API key provided: ${TEST_TOKEN}` }),
    expected: { errorClass: 'auth', retryable: false, status: 401 },
    message: /^authentication failed at http:\/\/127\.0\.0\.1:\d+\/v1 \(401\): check MY_TOKEN$/,
  },
  {
    name: '404',
    reply: apiError(404, { message: 'The model does not exist', code: 'model_not_found' }),
    expected: { errorClass: 'config', retryable: false, status: 404 },
    message: /^model "fake-model" not found at http:\/\/127\.0\.0\.1:\d+\/v1 \(404\)$/,
  },
  {
    name: '403 (not quota)',
    reply: apiError(403, { message: 'no access to this model' }),
    expected: { errorClass: 'config', retryable: false, status: 403 },
    message: /"fake-model" .*\(403\): no access to this model/,
  },
  {
    name: '422',
    reply: apiError(422, { message: 'unsupported parameter' }),
    expected: { errorClass: 'config', retryable: false, status: 422 },
  },
  {
    name: '400 context_length_exceeded',
    reply: apiError(400, {
      message: "This model's maximum context length is 8192 tokens.",
      code: 'context_length_exceeded',
      type: 'invalid_request_error',
    }),
    expected: { errorClass: 'context-overflow', retryable: false, status: 400 },
  },
  {
    name: '400 other',
    reply: apiError(400, {
      message: 'Unsupported value: temperature must be at most 2',
      type: 'invalid_request_error',
      param: 'temperature',
    }),
    expected: { errorClass: 'bad-request', retryable: false, status: 400 },
    message: /\(400\) for model fake-model \(param temperature\): Unsupported value: temperature/,
  },
  {
    name: '400 content_filter',
    reply: apiError(400, {
      message: 'The response was filtered due to the content management policy.',
      code: 'content_filter',
    }),
    expected: { errorClass: 'content-filtered', retryable: false, status: 400 },
  },
];

function rated(hintMs: number, hintSource: ErrorClassification['hintSource']): ErrorClassification {
  return { errorClass: 'rate-limited', retryable: true, status: 429, hintMs, hintSource };
}

describe.each(API_TYPES)('%s status errors', (apiType) => {
  it.each(cases)('$name', async ({ reply, expected, message }) => {
    server.enqueue(reply);
    const error = await modelErrorOf(clientFor(server, apiType).complete(requestWith()));
    expect(error.classification).toEqual(expected);
    expect(error.status).toBe(expected.status);
    if (message !== undefined) expect(error.message).toMatch(message);
    expect(error.message).not.toContain(TEST_TOKEN);
    expect(error.message).not.toContain('\n');
  });

  it('429 retry-after as an HTTP date is relative to now', async () => {
    const resetAt = new Date(Date.now() + 30_000).toUTCString();
    server.enqueue(apiError(429, rateLimit, { 'retry-after': resetAt }));
    const error = await modelErrorOf(clientFor(server, apiType).complete(requestWith()));
    expect(error.classification).toMatchObject({
      errorClass: 'rate-limited',
      hintSource: 'retry-after',
    });
    // The date has whole seconds, so the hint lies in (29 s - elapsed, 30 s].
    expect(error.classification.hintMs).toBeGreaterThan(25_000);
    expect(error.classification.hintMs).toBeLessThanOrEqual(30_000);
  });

  it('connection refused on a closed loopback port -> network, localRefused', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/v1`;
    const error = await modelErrorOf(clientFor(endpoint, apiType).complete(requestWith()));
    expect(error.classification).toEqual({
      errorClass: 'network',
      retryable: true,
      localRefused: true,
    });
    expect(error.message).toContain('is the local server running?');
  });
});
