import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox, runCli } from './cli-harness.js';

/** `taskflow models` end to end: the built CLI against real HTTP endpoints. */

const STACK_LINE = /^\s+at /m;

let fake: FakeModelServer;
let sandbox: string;
/** Answers `GET /models` with Copilot-style capabilities, and 401 to any other token. */
let capabilityServer: Server;
let capabilityUrl: string;

beforeAll(async () => {
  fake = await startFakeModelServer();
  sandbox = makeSandbox();
  capabilityServer = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.headers.authorization !== 'Bearer good-token') {
      response.writeHead(401).end(JSON.stringify({ error: { message: 'bad credentials' } }));
      return;
    }
    const data = [
      { id: 'gpt-4.1', capabilities: { supports: { tool_calls: true } } },
      { id: 'text-embedding-3', capabilities: { supports: { tool_calls: false } } },
      { id: 'mystery', capabilities: {} },
    ];
    response.writeHead(200).end(JSON.stringify({ data }));
  });
  await new Promise<void>((resolve) => capabilityServer.listen(0, '127.0.0.1', resolve));
  const address = capabilityServer.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  capabilityUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await fake.close();
  capabilityServer.closeAllConnections();
  await new Promise<void>((resolve) => capabilityServer.close(() => resolve()));
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('taskflow models', () => {
  it('lists a plain /models endpoint, marking unknown tool support (also as -l)', async () => {
    fake.setModels(['alpha', 'beta']);
    const env = { AI_API_ENDPOINT: fake.url, AI_API_TOKEN: 'listing-token' };
    const result = await runCli(['models'], sandbox, { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('alpha (tool support unknown)\nbeta (tool support unknown)\n');
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      headers: { authorization: 'Bearer listing-token' },
    });
    const compat = await runCli(['-l'], sandbox, { env });
    expect(compat.code).toBe(0);
    expect(compat.stdout).toBe(result.stdout);
  });

  it('needs no token for a loopback endpoint', async () => {
    fake.setModels(['local-model']);
    const result = await runCli(['models', '--json'], sandbox, {
      env: { AI_API_ENDPOINT: fake.url },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ id: 'local-model', toolCalls: null }]);
  });

  it('keeps tool-calling models; --all adds the others, in the endpoint order', async () => {
    const env = { AI_API_ENDPOINT: capabilityUrl, COPILOT_TOKEN: 'good-token' };
    const tools = await runCli(['models'], sandbox, { env });
    expect(tools.code).toBe(0);
    expect(tools.stdout).toBe('gpt-4.1\nmystery (tool support unknown)\n');
    const all = await runCli(['models', '--all', '--json'], sandbox, { env });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual([
      { id: 'gpt-4.1', toolCalls: true },
      { id: 'text-embedding-3', toolCalls: false },
      { id: 'mystery', toolCalls: null },
    ]);
  });

  it('exits 78 on a rejected token, naming the variable but never the token', async () => {
    const result = await runCli(['models'], sandbox, {
      env: { AI_API_ENDPOINT: capabilityUrl, AI_API_TOKEN: 'wrong-token-value' },
    });
    expect(result.code).toBe(78);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^taskflow: authentication failed at .*\(401\): check AI_API_TOKEN\n$/,
    );
    expect(result.stderr).not.toContain('wrong-token-value');
  });

  it('exits 78 when a local endpoint refuses the connection', async () => {
    const port = await closedPort();
    const result = await runCli(['models'], sandbox, {
      env: { AI_API_ENDPOINT: `http://127.0.0.1:${port}/v1` },
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(`http://127.0.0.1:${port}/v1`);
    expect(result.stderr).toContain('is the local server running?');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('exits 78 without a request when a remote endpoint has no token', async () => {
    const result = await runCli(['models'], sandbox, {
      env: { AI_API_ENDPOINT: 'https://models.example.invalid/v1' },
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toBe(
      'taskflow: no API token for https://models.example.invalid/v1: set AI_API_TOKEN or COPILOT_TOKEN\n',
    );
  });
});
