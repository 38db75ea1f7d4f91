import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { logModelErrors } from '../../src/model/log-model-errors.js';
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

describe.each(API_TYPES)('logModelErrors (%s)', (apiType) => {
  it('logs a failed attempt with status, classification and request id, never the token', async () => {
    const lines: string[] = [];
    const client = logModelErrors(clientFor(server, apiType), (line) => lines.push(line));
    server.setHandler(() => ({
      kind: 'error',
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { message: 'Rate limit reached for requests', code: 'rate_limit' } },
    }));
    const error = await modelErrorOf(client.complete(requestWith()));
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toContain(`model error: model fake-model at ${server.url}: `);
    expect(line).toMatch(/status 429, class rate-limited \(retryable\), request id req_fake_\w+: /);
    expect(line).toContain(error.message);
    expect(line).toContain('Rate limit reached for requests');
    expect(line).not.toContain(TEST_TOKEN);
  });

  it('says nothing when the attempt succeeds or is cancelled', async () => {
    const lines: string[] = [];
    const client = logModelErrors(clientFor(server, apiType), (line) => lines.push(line));
    server.setHandler(() => ({ kind: 'message', text: 'fine' }));
    await client.complete(requestWith());
    server.setHandler(() => ({ kind: 'stall' }));
    const controller = new AbortController();
    const pending = client.complete(requestWith(), { signal: controller.signal });
    controller.abort();
    expect((await modelErrorOf(pending)).classification.errorClass).toBe('cancelled');
    expect(lines).toEqual([]);
  });

  it('logs a network failure without a status', async () => {
    const lines: string[] = [];
    const port = await closedPort();
    const client = logModelErrors(clientFor(`http://127.0.0.1:${port}/v1`, apiType), (line) =>
      lines.push(line),
    );
    await modelErrorOf(client.complete(requestWith()));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^model error: model fake-model at http:\/\/127\.0\.0\.1:\d+\/v1: /);
    expect(lines[0]).toMatch(/no status, class \S+/);
    expect(lines[0]).not.toContain('request id');
  });
});
