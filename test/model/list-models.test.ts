import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer } from '../fakes/fake-model-server.js';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import { listModels } from '../../src/model/list-models.js';
import { closedPort, modelErrorOf } from './model-test-helpers.js';

let fake: FakeModelServer;
let capabilityServer: Server;
let capabilityUrl: string;
const seen: { path: string; authorization: string | undefined }[] = [];

const copilotModels = {
  data: [
    { id: 'gpt-4.1', capabilities: { supports: { tool_calls: true, streaming: true } } },
    { id: 'text-embedding-3', capabilities: { supports: { tool_calls: false } } },
    { id: 'mystery', capabilities: { family: 'x' } },
  ],
};
const githubCatalog = [
  { id: 'openai/gpt-4.1', capabilities: ['streaming', 'tool-calling'] },
  { id: 'cohere/embed', capabilities: ['embeddings'] },
  { id: 'meta/llama' },
];

beforeAll(async () => {
  fake = await startFakeModelServer();
  capabilityServer = createServer((request, response) => {
    seen.push({ path: request.url ?? '', authorization: request.headers.authorization });
    if (request.headers.authorization !== 'Bearer good') {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'bad credentials' } }));
      return;
    }
    const body = request.url === '/catalog/models' ? githubCatalog : copilotModels;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => capabilityServer.listen(0, '127.0.0.1', resolve));
  const address = capabilityServer.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  capabilityUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await fake.close();
  await new Promise<void>((resolve) => capabilityServer.close(() => resolve()));
});

describe('listModels', () => {
  it('plain OpenAI-compatible /models: every model, tool support unknown', async () => {
    fake.setModels(['a-model', 'b-model']);
    const models = await listModels({ endpoint: fake.url, token: 't' });
    expect(models).toEqual([
      { id: 'a-model', toolCalls: undefined },
      { id: 'b-model', toolCalls: undefined },
    ]);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it('Copilot-style capabilities: keeps tool-calling and unknown models', async () => {
    const models = await listModels({ endpoint: `${capabilityUrl}/`, token: 'good' });
    expect(models).toEqual([
      { id: 'gpt-4.1', toolCalls: true },
      { id: 'mystery', toolCalls: undefined },
    ]);
    expect(seen.at(-1)).toEqual({ path: '/models', authorization: 'Bearer good' });
  });

  it('GitHub Models: asks the catalog, keeps tool-calling models', async () => {
    const redirected: string[] = [];
    const models = await listModels({
      endpoint: 'https://models.github.ai/inference',
      token: 'good',
      fetch: (input, init) => {
        const url = input instanceof Request ? input.url : input.toString();
        redirected.push(url);
        return fetch(url.replace('https://models.github.ai', capabilityUrl), init);
      },
    });
    expect(redirected).toEqual(['https://models.github.ai/catalog/models']);
    // An entry without "tool-calling" cannot call tools, as seclab reads the catalog
    // (meta/llama was listed as unknown before issue 9).
    expect(models).toEqual([{ id: 'openai/gpt-4.1', toolCalls: true }]);
  });

  it('failures are classified ModelErrors', async () => {
    const auth = await modelErrorOf(
      listModels({ endpoint: capabilityUrl, token: 'bad', tokenVariable: 'MY_TOKEN' }),
    );
    expect(auth.classification).toEqual({ errorClass: 'auth', retryable: false, status: 401 });
    expect(auth.message).toContain('check MY_TOKEN');

    const refused = await modelErrorOf(
      listModels({ endpoint: `http://127.0.0.1:${await closedPort()}/v1`, token: 't' }),
    );
    expect(refused.classification).toEqual({
      errorClass: 'network',
      retryable: true,
      localRefused: true,
    });

    const cancelled = await modelErrorOf(
      listModels({ endpoint: fake.url, token: 't', signal: AbortSignal.abort() }),
    );
    expect(cancelled.classification.errorClass).toBe('cancelled');

    const missing = await modelErrorOf(listModels({ endpoint: `${fake.url}/nothing`, token: 't' }));
    expect(missing.classification).toMatchObject({ errorClass: 'config', status: 404 });
    expect(missing.message).toMatch(/^cannot list models at http:\/\/.*\/nothing\/models \(404: /);
  });
});
