/**
 * Shared set-up for the agent tests: a real echo MCP server process, a real fake model
 * server over HTTP, and small readers of what the model was sent.
 */
import { fileURLToPath } from 'node:url';
import { ToolRouter, type ToolboxEntry } from '../../src/agent/tool-router.js';
import type { AgentPersona, AgentRunInput, ModelCaller } from '../../src/agent/types.js';
import type { TaskflowEvent } from '../../src/events.js';
import { createModelClient } from '../../src/model/create-model-client.js';
import { buildServerEnvironment, connectToolbox } from '../../src/toolbox/index.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import {
  messagesOf,
  startFakeModelServer,
  type FakeModelServer,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';

/** Built by `npx tsc -p tsconfig.build.json`. */
export const ECHO_SERVER = fileURLToPath(
  new URL('../../dist/mcp-servers/echo.js', import.meta.url),
);

export type ApiType = 'chat_completions' | 'responses';

/** Starts the bundled echo server (`node dist/mcp-servers/echo.js`) as toolbox `name`. */
export function connectEcho(name = 'echo'): Promise<ToolboxConnection> {
  return connectToolbox({
    name,
    kind: 'stdio',
    command: process.execPath,
    args: [ECHO_SERVER],
    // Its diagnostic tools (echo, echo_env, sleep, counter) rather than seclab's echo_tool.
    env: buildServerEnvironment(process.env, { TASKFLOW_ECHO_DIAGNOSTICS: '1' }, []),
    headers: {},
    timeoutMs: 10_000,
    connectTimeoutMs: 10_000,
    confirm: [],
  });
}

/** A view of `connection` under another name that records every call it forwards. */
export interface SpiedConnection {
  readonly connection: ToolboxConnection;
  /** MCP tool names, in call order. */
  readonly calls: string[];
}

export function spyOn(connection: ToolboxConnection, name = connection.name): SpiedConnection {
  const calls: string[] = [];
  const view: ToolboxConnection = {
    name,
    tools: connection.tools,
    callTool: (tool, args, options) => {
      calls.push(tool);
      return connection.callTool(tool, args, options);
    },
    // The shared server belongs to the test file; a view never closes it.
    close: () => Promise.resolve(),
    stderrTail: () => connection.stderrTail(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return { connection: view, calls };
}

/** The echo server's process-wide counter after one more increment. */
export async function bumpCounter(connection: ToolboxConnection): Promise<number> {
  const outcome = await connection.callTool('counter', {});
  return Number(outcome.text);
}

export interface ModelHarness extends AsyncDisposable {
  readonly server: FakeModelServer;
  readonly callModel: ModelCaller;
}

/** A fake model server and a caller over the real client of `apiType`; disposing closes the server. */
export async function startModel(apiType: ApiType = 'chat_completions'): Promise<ModelHarness> {
  const server = await startFakeModelServer();
  const client = createModelClient({
    apiType,
    endpoint: server.url,
    token: 'sk-agent-test',
    tokenVariable: 'AGENT_TEST_TOKEN',
  });
  return {
    server,
    callModel: (request, options) => client.complete(request, options),
    [Symbol.asyncDispose]: () => server.close(),
  };
}

export function persona(
  name: string,
  toolboxes: readonly ToolboxEntry[],
  options: { instructions?: string; blockedTools?: readonly string[] } = {},
): AgentPersona {
  return {
    name,
    summary: `the ${name} agent`,
    instructions: options.instructions ?? `You are ${name}.`,
    router: new ToolRouter(toolboxes, options.blockedTools ?? []),
  };
}

/** An agent run input with test defaults; events go to `events`. */
export function agentInput(
  events: TaskflowEvent[],
  required: Pick<AgentRunInput, 'agents' | 'callModel'>,
  overrides: Partial<AgentRunInput> = {},
): AgentRunInput {
  return {
    prompt: 'Do the task.',
    model: { id: 'fake-model', settings: {} },
    maxSteps: 10,
    excludeFromContext: false,
    headless: false,
    location: { taskIndex: 0, itemIndex: 0 },
    onEvent: (event) => events.push(event),
    ...required,
    ...overrides,
  };
}

/** The `index`-th request the server received; throws when there is none. */
export function requestAt(server: FakeModelServer, index: number): RecordedRequest {
  const request = server.requests[index];
  if (request === undefined) {
    throw new Error(`expected request #${index}, got ${server.requests.length} requests`);
  }
  return request;
}

/** The system prompt sent: chat's system message or the responses `instructions`. */
export function instructionsOf(request: RecordedRequest): string | undefined {
  if (request.api === 'responses') {
    return typeof request.body.instructions === 'string' ? request.body.instructions : undefined;
  }
  const system = messagesOf(request).find((message) => message.role === 'system');
  return typeof system?.content === 'string' ? system.content : undefined;
}

/** Names of the tools offered to the model, in the order sent. */
export function toolNamesOf(request: RecordedRequest): string[] {
  const tools = Array.isArray(request.body.tools) ? (request.body.tools as unknown[]) : [];
  return tools.map((tool) => {
    const entry = tool as { name?: string; function?: { name?: string } };
    return entry.function?.name ?? entry.name ?? '';
  });
}

/** Event types in order, without text deltas. */
export function eventTypes(events: readonly TaskflowEvent[]): string[] {
  return events.filter((event) => event.type !== 'text-delta').map((event) => event.type);
}

export function eventsOfType<T extends TaskflowEvent['type']>(
  events: readonly TaskflowEvent[],
  type: T,
): Extract<TaskflowEvent, { type: T }>[] {
  return events.filter(
    (event): event is Extract<TaskflowEvent, { type: T }> => event.type === type,
  );
}
