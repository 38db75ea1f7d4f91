import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import { makeSandbox, runCli } from './cli-harness.js';

/** `taskflow ask` end to end: built CLI, fake model over HTTP, the bundled echo server over stdio. */

let server: FakeModelServer;
let sandbox: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** First turn: call the echo tool; second turn: answer with what the tool returned. */
function scriptEchoConversation(): void {
  server.setHandler((request) => {
    const results = toolResultsOf(request);
    if (results.length === 0) {
      return {
        kind: 'message',
        toolCalls: [{ name: 'echo__echo_tool', arguments: { message: 'hello from the model' } }],
      };
    }
    return { kind: 'message', text: `The tool said: ${results[0]?.output ?? '?'}` };
  });
}

describe.each([
  ['chat_completions', 'model_configs/chat.yaml', 'chat', 'test-model-chat'],
  ['responses', 'model_configs/responses.yaml', 'responses', 'test-model-responses'],
] as const)('taskflow ask over %s', (_apiType, modelConfig, api, modelId) => {
  it('calls the real echo server through the model and prints the answer', async () => {
    scriptEchoConversation();
    const result = await runCli(
      [
        'ask',
        'personalities/echoer.yaml',
        'please',
        'echo',
        'something',
        '-m',
        modelConfig,
        '--model',
        'main',
      ],
      sandbox,
      { env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-ask' } },
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('The tool said: Tool echo: hello from the model');
    expect(server.requests).toHaveLength(2);
    for (const request of server.requests) {
      expect(request.api).toBe(api);
      expect(request.body.model).toBe(modelId);
      expect(request.headers.authorization).toBe('Bearer test-token-ask');
    }
    // The tool result the model received came from the real MCP server.
    expect(toolResultsOf(server.requests[1]!)).toEqual([
      { callId: expect.any(String) as string, output: 'Tool echo: hello from the model' },
    ]);
    const firstTools = (
      server.requests[0]!.body.tools as { name?: string; function?: { name: string } }[]
    ).map((tool) => tool.function?.name ?? tool.name);
    expect(firstTools).toContain('echo__echo_tool');
  });
});

describe('taskflow ask failures', () => {
  it('exits 2 with a did-you-mean for an unknown personality, sending nothing', async () => {
    const result = await runCli(
      ['ask', 'seclab_taskflow_agent.personalities.asistant', 'hi'],
      sandbox,
      {
        env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 't' },
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "seclab_taskflow_agent.personalities.assistant"');
    expect(server.requests).toHaveLength(0);
  });

  it('exits 78 naming the endpoint when the token is rejected', async () => {
    server.enqueue({ kind: 'error', status: 401, body: { error: { message: 'bad credentials' } } });
    const result = await runCli(
      ['ask', 'seclab_taskflow_agent.personalities.assistant', 'hi'],
      sandbox,
      {
        env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'wrong-token-value' },
      },
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(server.url.replace(/\/v1$/, ''));
    expect(result.stderr).not.toContain('wrong-token-value');
    expect(server.requests).toHaveLength(1);
  });
});
