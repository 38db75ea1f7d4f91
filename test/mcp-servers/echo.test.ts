import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  builtServerPath,
  callText,
  connectStdioServer,
  exitOf,
  processExists,
  resultText,
  spawnServer,
  type StdioServerConnection,
} from './server-process.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw-test', version: '1.0.0' },
  },
};

/** What switches the echo executable to taskflow's diagnostic echo server. */
const DIAGNOSTICS = { TASKFLOW_ECHO_DIAGNOSTICS: '1' };

/** The connection a test made (closed after it). */
let connection: StdioServerConnection | undefined;

beforeAll(() => {
  builtServerPath('echo');
});

afterEach(async () => {
  await connection?.close();
  connection = undefined;
});

describe("echo server (seclab's, the default)", () => {
  it('offers only echo_tool {message}, which answers "Tool echo: <message>"', async () => {
    connection = await connectStdioServer('echo');
    const { tools } = await connection.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo_tool']);
    expect(tools[0]?.inputSchema).toMatchObject({
      properties: { message: { type: 'string' } },
      required: ['message'],
    });
    expect(await callText(connection.client, 'echo_tool', { message: 'hello {{ x }} ü' })).toBe(
      'Tool echo: hello {{ x }} ü',
    );
  });

  it('serves the echo:// resource templates and echo_prompt', async () => {
    connection = await connectStdioServer('echo');
    const { client } = connection;
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toEqual([
      'echo://1/{message}',
      'echo://2/{message}',
    ]);
    const read = async (uri: string) => (await client.readResource({ uri })).contents[0];
    expect(await read('echo://1/hi')).toMatchObject({ text: 'Resource 1 echo: hi' });
    expect(await read('echo://2/there')).toMatchObject({ text: 'Resource 2 echo: there' });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => prompt.name)).toEqual(['echo_prompt']);
    const prompt = await client.getPrompt({ name: 'echo_prompt', arguments: { message: 'hi' } });
    expect(prompt.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'Please process this message: hi' } },
    ]);
  });

  it('logs to $LOG_DIR/mcp_echo.log when LOG_DIR is set', async () => {
    const logDirectory = await mkdtemp(join(tmpdir(), 'taskflow-echo-log-'));
    try {
      connection = await connectStdioServer('echo', { LOG_DIR: logDirectory });
      await callText(connection.client, 'echo_tool', { message: 'x' });
      expect(await readFile(join(logDirectory, 'mcp_echo.log'), 'utf8')).toMatch(
        /^\S+ - DEBUG - echo: echo_tool called$/m,
      );
    } finally {
      await rm(logDirectory, { recursive: true, force: true });
    }
  });
});

describe('diagnostic echo server (TASKFLOW_ECHO_DIAGNOSTICS=1)', () => {
  it('echoes the message', async () => {
    connection = await connectStdioServer('echo', DIAGNOSTICS);
    expect(await callText(connection.client, 'echo', { message: 'hello {{ x }} ü' })).toBe(
      'hello {{ x }} ü',
    );
  });

  it('lists its tools with honest annotations', async () => {
    connection = await connectStdioServer('echo', DIAGNOSTICS);
    const { tools } = await connection.client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()].sort()).toEqual(['counter', 'echo', 'echo_env', 'sleep']);
    expect(byName.has('echo_tool')).toBe(false);
    expect(byName.get('echo')?.annotations).toMatchObject({
      readOnlyHint: true,
      idempotentHint: true,
    });
    expect(byName.get('echo')?.inputSchema).toMatchObject({
      properties: { message: { type: 'string' } },
      required: ['message'],
    });
    expect(byName.get('counter')?.annotations).toMatchObject({
      destructiveHint: false,
      idempotentHint: false,
    });
    expect(byName.get('counter')?.annotations?.readOnlyHint).not.toBe(true);
  });

  it('reports the environment it was given and "(unset)" otherwise', async () => {
    connection = await connectStdioServer('echo', {
      ...DIAGNOSTICS,
      TASKFLOW_PROBE: 'probe-value',
    });
    expect(await callText(connection.client, 'echo_env', { name: 'TASKFLOW_PROBE' })).toBe(
      'probe-value',
    );
    expect(await callText(connection.client, 'echo_env', { name: 'TASKFLOW_NOT_SET' })).toBe(
      '(unset)',
    );
  });

  it('counts calls per process', async () => {
    connection = await connectStdioServer('echo', DIAGNOSTICS);
    expect(await callText(connection.client, 'counter')).toBe('1');
    expect(await callText(connection.client, 'counter')).toBe('2');
  });

  it('answers bad arguments with an error result', async () => {
    connection = await connectStdioServer('echo', DIAGNOSTICS);
    const result = await connection.client.callTool({ name: 'sleep', arguments: { ms: -1 } });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/ms/);
  });

  it('sleeps, and stops sleeping when the client cancels', async () => {
    connection = await connectStdioServer('echo', DIAGNOSTICS);
    expect(await callText(connection.client, 'sleep', { ms: 5 })).toBe('slept 5 ms');

    const controller = new AbortController();
    const sleeping = connection.client.callTool(
      { name: 'sleep', arguments: { ms: 600_000 } },
      undefined,
      { signal: controller.signal },
    );
    // A round trip after the sleep request means the server has started handling it.
    await callText(connection.client, 'echo', { message: 'ping' });
    controller.abort();
    await expect(sleeping).rejects.toThrow();
    const server = connection;
    await expect.poll(() => server.stderr()).toMatch(/sleep cancelled after \d+ ms/);
    expect(await callText(connection.client, 'echo', { message: 'still there' })).toBe(
      'still there',
    );
  });

  it('adds the resilience tools with TASKFLOW_ECHO_RESILIENCE_TOOLS=1 (alone, too)', async () => {
    connection = await connectStdioServer('echo', { TASKFLOW_ECHO_RESILIENCE_TOOLS: '1' });
    const { tools } = await connection.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'counter',
      'crash',
      'echo',
      'echo_env',
      'read_only_marker',
      'sleep',
      'write_marker',
    ]);
  });

  it('is gone after the client closes', async () => {
    connection = await connectStdioServer('echo', DIAGNOSTICS);
    const { pid } = connection;
    expect(processExists(pid)).toBe(true);
    await connection.close();
    connection = undefined;
    expect(processExists(pid)).toBe(false);
  });
});

describe('echo server process', () => {
  it('exits by itself with code 0 when stdin ends, even while a tool call is running', async () => {
    const child = spawnServer('echo', [], DIAGNOSTICS);
    const lines = [
      INITIALIZE,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'sleep', arguments: { ms: 600_000 } },
      },
    ];
    child.stdin?.write(lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    child.stdin?.end();
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });

  it('exits with code 0 on SIGTERM while stdin stays open', async () => {
    const child = spawnServer('echo');
    child.stdin?.write(JSON.stringify(INITIALIZE) + '\n');
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  });

  it('rejects unknown arguments with exit code 1 and a usage message', async () => {
    const child = spawnServer('echo', ['--bogus']);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toEqual({ code: 1, signal: null });
    expect(stderr).toMatch(/unknown argument "--bogus"; usage:/);
  });
});
