import { createServer } from 'node:net';
import { expect } from 'vitest';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import { createModelClient } from '../../src/model/create-model-client.js';
import type { CreateModelClientOptions } from '../../src/model/create-model-client.js';
import { ModelError } from '../../src/model/model-error.js';
import type { ModelClient, ModelRequest } from '../../src/model/types.js';

export const API_TYPES = ['chat_completions', 'responses'] as const;
export type ApiType = (typeof API_TYPES)[number];

export const TEST_TOKEN = 'sk-test-secret-token-123456';

export function clientFor(
  server: FakeModelServer | string,
  apiType: ApiType,
  options: CreateModelClientOptions = {},
): ModelClient {
  const endpoint = typeof server === 'string' ? server : server.url;
  return createModelClient(
    { apiType, endpoint, token: TEST_TOKEN, tokenVariable: 'MY_TOKEN' },
    options,
  );
}

export function requestWith(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'fake-model',
    instructions: 'You are a test.',
    conversation: [{ role: 'user', content: 'hello' }],
    tools: [],
    settings: {},
    ...overrides,
  };
}

/** The ModelError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function modelErrorOf(promise: Promise<unknown>): Promise<ModelError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome))
    throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
  expect(outcome.error).toBeInstanceOf(ModelError);
  return outcome.error as ModelError;
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
