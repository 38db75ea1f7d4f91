import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type FakeToolCall,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, parseJsonl, runCli, type CliOptions, type CliResult } from './cli-harness.js';

/** Shared by the `taskflow run` e2e tests: a model that follows the prompts, and the event contract. */

/** The tool names offered in a request (chat `function.name` or responses `name`). */
export function toolNamesOf(request: RecordedRequest): string[] {
  const tools = (request.body.tools ?? []) as { name?: string; function?: { name?: string } }[];
  return tools.map((tool) => tool.function?.name ?? tool.name ?? '');
}

function quoted(text: string, after: RegExp): string | undefined {
  const match = new RegExp(`${after.source}\\s*"([^"]*)"`, 'i').exec(text);
  return match?.[1];
}

/**
 * The MCP tool calls a diligent model would make for the prompts of the bundled examples,
 * in order: memcache clear/set/get when asked, echo of the quoted text (or of a greeting
 * it wrote). Prompts asking for nothing known get no tool call.
 */
export function plannedCalls(prompt: string): FakeToolCall[] {
  const calls: FakeToolCall[] = [];
  if (/clear the memory cache/i.test(prompt))
    calls.push({ name: 'memcache__memcache_clear_cache', arguments: {} });
  const stored = quoted(prompt, /store the text/);
  const key = quoted(prompt, /under the key/);
  if (stored !== undefined && key !== undefined)
    calls.push({ name: 'memcache__memcache_set_state', arguments: { key, value: stored } });
  else if (/read the value stored/i.test(prompt) && key !== undefined)
    calls.push({ name: 'memcache__memcache_get_state', arguments: { key } });
  const echoed =
    quoted(prompt, /echo the (?:message|word|text)/) ??
    quoted(prompt, /echo/) ??
    quoted(prompt, /words/) ??
    greetingOf(prompt);
  if (echoed !== undefined) calls.push({ name: 'echo__echo_tool', arguments: { message: echoed } });
  return calls;
}

const TRANSFERRED = /^Transferred to /;

/** reusable_greeting asks for a greeting for a name in a language; the model writes one. */
function greetingOf(prompt: string): string | undefined {
  const match = /greeting for (\S+) in (\S+)/.exec(prompt);
  if (!match) return undefined;
  return match[2] === 'French' ? `Bonjour, ${match[1]} !` : `Hello, ${match[1]}!`;
}

/**
 * Dynamic reply: a transfer first when a handoff tool is offered; then the next planned
 * call not yet answered (counted by the MCP tool results in the conversation); once all
 * are answered, a final answer quoting the last tool result.
 */
export function diligentModel(request: RecordedRequest): FakeReply {
  const results = toolResultsOf(request);
  const transfer = toolNamesOf(request).find((name) => name.startsWith('transfer_to_'));
  if (transfer && !results.some((result) => TRANSFERRED.test(result.output)))
    return { kind: 'message', toolCalls: [{ name: transfer, arguments: {} }] };
  const toolResults = results.filter((result) => !TRANSFERRED.test(result.output));
  const next = plannedCalls(lastUserText(request) ?? '')[toolResults.length];
  if (next) return { kind: 'message', toolCalls: [next] };
  const last = toolResults[toolResults.length - 1]?.output;
  return {
    kind: 'message',
    text: last === undefined ? 'Nothing to do.' : `Tool result: ${last}`,
  };
}

/** `taskflow run` against the fake server, token and default model set. */
export function runTaskflow(
  server: FakeModelServer,
  sandbox: string,
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  return runCli(['run', ...args], sandbox, {
    ...options,
    env: {
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'test-token-run',
      TASKFLOW_DEFAULT_MODEL: 'fake-model',
      ...options.env,
    },
  });
}

type FieldType = 'string' | 'number' | 'boolean' | 'usage' | 'number|null';

/** cli.md "Event contract": the required fields of each event type (plus `warning`, our addition). */
export const EVENT_SCHEMA: Readonly<Record<string, Readonly<Record<string, FieldType>>>> = {
  'taskflow-start': { sessionId: 'string', taskflow: 'string', resumed: 'boolean' },
  'task-start': { taskIndex: 'number', taskName: 'string', itemCount: 'number' },
  'item-start': { taskIndex: 'number', itemIndex: 'number' },
  'item-end': { taskIndex: 'number', itemIndex: 'number', status: 'string' },
  'model-request-start': {
    taskIndex: 'number',
    itemIndex: 'number',
    model: 'string',
    attempt: 'number',
  },
  'model-retry': {
    errorClass: 'string',
    status: 'number|null',
    attempt: 'number',
    maxAttempts: 'number',
    delayMs: 'number',
    delaySource: 'string',
  },
  'rate-limit-wait': {
    taskIndex: 'number',
    itemIndex: 'number',
    model: 'string',
    reason: 'string',
    delayMs: 'number|null',
    remaining: 'number|null',
  },
  'text-delta': { taskIndex: 'number', itemIndex: 'number', text: 'string' },
  'tool-call-start': { toolbox: 'string', tool: 'string' },
  'tool-call-end': { toolbox: 'string', tool: 'string', status: 'string' },
  handoff: { from: 'string', to: 'string' },
  'task-end': { taskIndex: 'number', status: 'string', durationMs: 'number', usage: 'usage' },
  'taskflow-end': { sessionId: 'string', status: 'string', exitCode: 'number', usage: 'usage' },
  warning: { message: 'string' },
};

/** Allowed values of the enumerated fields. */
const ENUMS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'item-end': { status: ['succeeded', 'failed'] },
  'model-retry': { delaySource: ['retry-after-ms', 'retry-after', 'reset-header', 'backoff'] },
  'rate-limit-wait': {
    reason: ['first-answer', 'concurrency', 'requests', 'tokens', 'server-wait', 'daily-quota'],
  },
  'tool-call-end': { status: ['ok', 'error', 'denied', 'timeout'] },
  'task-end': { status: ['succeeded', 'failed', 'skipped'] },
  'taskflow-end': { status: ['succeeded', 'failed', 'stopped', 'interrupted'] },
};

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'number|null':
      return value === null || typeof value === 'number';
    case 'usage':
      return (
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Record<string, unknown>).inputTokens === 'number' &&
        typeof (value as Record<string, unknown>).outputTokens === 'number'
      );
    default:
      return typeof value === type;
  }
}

/** Problems of one event against the contract; [] when it conforms. */
export function eventProblems(event: Record<string, unknown>): string[] {
  const type = event.type;
  if (typeof type !== 'string') return [`no type: ${JSON.stringify(event)}`];
  const fields = EVENT_SCHEMA[type];
  if (!fields) return [`unknown event type ${type}`];
  const problems: string[] = [];
  const timestamp = event.timestamp;
  if (typeof timestamp !== 'string' || !ISO_8601.test(timestamp) || isNaN(Date.parse(timestamp)))
    problems.push(`${type}: timestamp ${JSON.stringify(timestamp)} is not ISO 8601`);
  for (const [field, fieldType] of Object.entries(fields)) {
    if (!hasType(event[field], fieldType))
      problems.push(`${type}.${field} should be ${fieldType}, got ${JSON.stringify(event[field])}`);
  }
  for (const [field, allowed] of Object.entries(ENUMS[type] ?? {})) {
    if (!allowed.includes(event[field] as string))
      problems.push(`${type}.${field} ${JSON.stringify(event[field])} not in ${allowed.join('|')}`);
  }
  return problems;
}

/**
 * Parse `--output jsonl` stdout, insisting that every line is one JSON object conforming
 * to the event contract and that the run is framed by taskflow-start / taskflow-end.
 */
export function contractEvents(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe('');
  for (const line of lines) {
    const value: unknown = JSON.parse(line);
    expect(typeof value === 'object' && value !== null && !Array.isArray(value), line).toBe(true);
  }
  const events = parseJsonl(stdout);
  expect(events.flatMap(eventProblems)).toEqual([]);
  expect(events[0]?.type).toBe('taskflow-start');
  expect(events[events.length - 1]?.type).toBe('taskflow-end');
  return events;
}

export function ofType(
  events: readonly Record<string, unknown>[],
  type: string,
): Record<string, unknown>[] {
  return events.filter((event) => event.type === type);
}

/** A fake model server and a sandbox whose `work/flow.yaml` asks the bundled assistant once. */
export interface HelloWorkspace {
  readonly server: FakeModelServer;
  readonly sandbox: string;
  readonly work: string;
  close(): Promise<void>;
}

export async function helloWorkspace(): Promise<HelloWorkspace> {
  const server = await startFakeModelServer();
  const sandbox = makeSandbox();
  const work = path.join(sandbox, 'work');
  fs.mkdirSync(work);
  fs.writeFileSync(
    path.join(work, 'flow.yaml'),
    `seclab-taskflow-agent:
  version: "1.0"
  filetype: taskflow
taskflow:
  - task:
      name: ask
      agents: [taskflow.personalities.assistant]
      user_prompt: Say hello
`,
  );
  return {
    server,
    sandbox,
    work,
    async close() {
      await server.close();
      fs.rmSync(sandbox, { recursive: true, force: true });
    },
  };
}
