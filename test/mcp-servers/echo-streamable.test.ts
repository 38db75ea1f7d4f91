import type { ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callText, exitOf, spawnServer, waitForStderr } from './server-process.js';

describe('echo server over streamable HTTP (diagnostic tools on)', () => {
  let child: ChildProcess;
  let url: URL;
  const clients: Client[] = [];

  beforeAll(async () => {
    child = spawnServer('echo', ['--transport', 'streamable', '--port', '0'], {
      TASKFLOW_ECHO_DIAGNOSTICS: '1',
    });
    const match = await waitForStderr(child, /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)\n/);
    url = new URL(match[1] ?? '');
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  async function connect(): Promise<Client> {
    const client = new Client({ name: 'taskflow-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url));
    clients.push(client);
    return client;
  }

  it('answers on the printed URL', async () => {
    const client = await connect();
    expect(await callText(client, 'echo', { message: 'over http' })).toBe('over http');
  });

  it('keeps one counter for all sessions of the process', async () => {
    const first = await connect();
    const second = await connect();
    const before = Number(await callText(first, 'counter'));
    expect(await callText(second, 'counter')).toBe(String(before + 1));
  });

  it('serves MCP only at /mcp and only to loopback host names', async () => {
    expect((await fetch(new URL('/other', url), { method: 'POST' })).status).toBe(404);
    // fetch does not let a caller set Host; node:http does.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpRequest(url, { method: 'POST', headers: { host: 'attacker.example' } });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on('error', reject);
      request.end('{}');
    });
    expect(status).toBe(403);
  });

  it('exits with code 0 on SIGTERM', async () => {
    await connect();
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });
});
