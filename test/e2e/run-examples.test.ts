import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  messagesOf,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import { makeSandbox } from './cli-harness.js';
import { contractEvents, diligentModel, ofType, runTaskflow, toolNamesOf } from './run-kit.js';

/**
 * Every bundled example taskflow, run by the built CLI against the fake model (which follows
 * the prompts: see diligentModel) and the real bundled MCP servers, with `--output jsonl`:
 * exit 0, every event conforms to the contract, and the run did what the example shows.
 */

let server: FakeModelServer;
let sandbox: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(diligentModel);
  sandbox = makeSandbox();
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

type Event = Record<string, unknown>;

/** Run an example in jsonl mode; it must succeed with every task succeeded. */
async function runExample(name: string): Promise<Event[]> {
  const result = await runTaskflow(server, sandbox, [
    `taskflow.taskflows.${name}`,
    '--output',
    'jsonl',
  ]);
  expect(result.code, result.stderr).toBe(0);
  const events = contractEvents(result.stdout);
  expect(ofType(events, 'taskflow-end')[0]).toMatchObject({ status: 'succeeded', exitCode: 0 });
  expect(ofType(events, 'task-end').map((event) => event.status)).toEqual(
    ofType(events, 'task-start').map(() => 'succeeded'),
  );
  expect(server.unscripted).toEqual([]);
  return events;
}

/** The streamed answer of each (task, item), joined, in order of first delta. */
function answers(events: readonly Event[]): string[] {
  const byItem = new Map<string, string>();
  for (const event of ofType(events, 'text-delta')) {
    const key = `${String(event.taskIndex)}.${String(event.itemIndex)}`;
    byItem.set(key, (byItem.get(key) ?? '') + String(event.text));
  }
  return [...byItem.values()];
}

/** The `message` argument of every echo tool call, in event order. */
function echoedMessages(events: readonly Event[]): string[] {
  return ofType(events, 'tool-call-start')
    .filter((event) => event.toolbox === 'echo' && event.tool === 'echo_tool')
    .map((event) => (JSON.parse(String(event.arguments)) as { message: string }).message);
}

function itemCounts(events: readonly Event[]): unknown[] {
  return ofType(events, 'task-start').map((event) => event.itemCount);
}

function systemPromptOf(index: number): string {
  const request = server.requests[index];
  const first = request ? messagesOf(request)[0] : undefined;
  return first?.role === 'system' ? String(first.content) : String(request?.body.instructions);
}

describe('bundled example taskflows', () => {
  it('echo: one agent calls the echo tool and reports its answer', async () => {
    const events = await runExample('echo');
    expect(answers(events)).toEqual(['Tool result: Tool echo: hello from taskflow']);
    expect(server.requests).toHaveLength(2);
    expect(toolNamesOf(server.requests[0]!)).toEqual(['echo__echo_tool']);
    expect(lastUserText(server.requests[0]!)).toContain('"hello from taskflow"');
    expect(toolResultsOf(server.requests[1]!).map((result) => result.output)).toEqual([
      'Tool echo: hello from taskflow',
    ]);
    expect(ofType(events, 'tool-call-end')).toEqual([
      expect.objectContaining({ toolbox: 'echo', tool: 'echo_tool', status: 'ok' }),
    ]);
  });

  it('echo (plain output, seclab import path): prints the answer and the task lines', async () => {
    const result = await runTaskflow(server, sandbox, [
      'seclab_taskflow_agent.taskflows.echo',
      '--output',
      'plain',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('assistant: Tool result: Tool echo: hello from taskflow');
    expect(result.stdout).toMatch(/task 1 echo succeeded/);
    expect(result.stdout).toMatch(/taskflow seclab_taskflow_agent\.taskflows\.echo succeeded/);
  });

  it('shell_to_repeat: the shell list drives one prompt per item, in order', async () => {
    const events = await runExample('shell_to_repeat');
    expect(itemCounts(events)).toEqual([1, 3]);
    expect(echoedMessages(events)).toEqual(['apple', 'banana', 'cherry']);
    expect(answers(events)).toEqual([
      'Tool result: Tool echo: apple',
      'Tool result: Tool echo: banana',
      'Tool result: Tool echo: cherry',
    ]);
  });

  it('async_fanout: five items, never more than async_limit (2) in flight', async () => {
    // A slow first turn makes the two workers overlap.
    server.setHandler((request) => ({
      ...diligentModel(request),
      latencyMs: toolResultsOf(request).length === 0 ? 200 : 0,
    }));
    const events = await runExample('async_fanout');
    expect(itemCounts(events)).toEqual([1, 5]);
    expect(server.maxConcurrent).toBe(2);
    expect(echoedMessages(events).sort()).toEqual(
      ['Hanoi', 'Lisbon', 'Nairobi', 'Oslo', 'Quito'].map((city) => `visited ${city}`),
    );
    expect(ofType(events, 'item-end').map((event) => [event.itemIndex, event.status])).toEqual(
      expect.arrayContaining([0, 1, 2, 3, 4].map((index) => [index, 'succeeded'])),
    );
  });

  it('reusable_task: two tasks reuse one task with their own inputs and the shared prompt', async () => {
    const events = await runExample('reusable_task');
    expect(ofType(events, 'task-start').map((event) => event.taskName)).toEqual([
      'greet-ada',
      'greet-grace-in-french',
    ]);
    const prompts = server.requests.map((request) => lastUserText(request) ?? '');
    expect(prompts[0]).toContain('Write a greeting for Ada in English');
    // {% include 'taskflow.prompts.greeting_style' %}, rendered with the task's inputs.
    expect(prompts[0]).toContain('one short, friendly sentence that mentions Ada by name');
    expect(prompts.at(-1)).toContain('Write a greeting for Grace in French');
    expect(echoedMessages(events)).toEqual(['Hello, Ada!', 'Bonjour, Grace !']);
  });

  it('reusable_greeting: the reusable task also runs on its own with its default inputs', async () => {
    const events = await runExample('reusable_greeting');
    expect(lastUserText(server.requests[0]!)).toContain('Write a greeting for world in English');
    expect(echoedMessages(events)).toEqual(['Hello, world!']);
  });

  it('with_model_config: logical models map to ids and settings, with only AI_API_TOKEN', async () => {
    const events = await runExample('with_model_config');
    expect(
      server.requests.map((request) => [request.body.model, request.body.temperature]),
    ).toEqual([
      ['openai/gpt-4.1-mini', 0.2],
      ['openai/gpt-4.1-mini', 0.2],
      ['openai/gpt-4.1', 0],
      ['openai/gpt-4.1', 0],
    ]);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual(
      server.requests.map(() => 'Bearer test-token-run'),
    );
    expect(ofType(events, 'model-request-start').map((event) => event.model)).toEqual([
      'openai/gpt-4.1-mini',
      'openai/gpt-4.1-mini',
      'openai/gpt-4.1',
      'openai/gpt-4.1',
    ]);
  });

  it('handoff: triage transfers to the echo specialist; both have the union of their toolboxes', async () => {
    const events = await runExample('handoff');
    expect(ofType(events, 'handoff')).toEqual([
      expect.objectContaining({ from: 'triage', to: 'echo_specialist' }),
    ]);
    // As in seclab, every agent of the task gets the union of the personalities' toolboxes
    // (issue 9): the triage agent, which lists none, is offered the echo tools too.
    expect(toolNamesOf(server.requests[0]!)).toContain('echo__echo_tool');
    expect(toolNamesOf(server.requests[0]!).at(-1)).toBe('transfer_to_echo_specialist');
    expect(systemPromptOf(0)).toContain('You are a dispatcher');
    const later = server.requests.slice(1);
    expect(later).toHaveLength(2);
    for (const [offset, request] of later.entries()) {
      // The task's toolboxes, and no further handoff tools.
      expect(toolNamesOf(request)).toContain('echo__echo_tool');
      expect(toolNamesOf(request).filter((name) => name.startsWith('transfer_to_'))).toEqual([]);
      expect(systemPromptOf(offset + 1)).toContain('You are the echo specialist');
    }
    expect(echoedMessages(events)).toEqual(['handed over safely']);
    // capture: response — the specialist's answer is the result.
    expect(answers(events)).toEqual(['Tool result: Tool echo: handed over safely']);
    expect(ofType(events, 'text-delta').every((event) => event.agent === 'echo_specialist')).toBe(
      true,
    );
  });

  it('memcache_notes: task 1 clears (headless) and stores, task 2 reads the note back', async () => {
    // The harness's MEMCACHE_STATE_DIR; seclab's default backend, sqlite, keeps its rows here.
    const rowsFile = path.join(sandbox, 'memcache', 'memory.sqlite.json');
    const row = (id: number, key: string, value: string) => ({ id, key, value });
    fs.mkdirSync(path.dirname(rowsFile));
    fs.writeFileSync(
      rowsFile,
      JSON.stringify({ version: 1, rows: [row(1, 'stale', 'from an earlier run')] }),
    );
    const events = await runExample('memcache_notes');
    expect(
      ofType(events, 'tool-call-end').map((event) => [event.taskIndex, event.tool, event.status]),
    ).toEqual([
      [0, 'memcache_clear_cache', 'ok'],
      [0, 'memcache_set_state', 'ok'],
      [1, 'memcache_get_state', 'ok'],
    ]);
    expect(JSON.parse(fs.readFileSync(rowsFile, 'utf8'))).toEqual({
      version: 1,
      rows: [row(1, 'note', 'remember the milk')],
    });
    expect(answers(events)[1]).toBe('Tool result: "remember the milk"');
  });

  it('typed_outputs: a checked, named result drives `over` and `if`', async () => {
    const events = await runExample('typed_outputs');
    expect(itemCounts(events)).toEqual([1, 2]);
    expect(echoedMessages(events)).toEqual([
      'parse_header in parser.c has 40 lines',
      'read_body in parser.c has 120 lines',
    ]);
  });
});
