import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/run-agent.js';
import { OPERATING_RULES } from '../../src/agent/system-prompt.js';
import { MAX_TOOL_NAME_LENGTH } from '../../src/agent/tool-names.js';
import type { AgentJournal } from '../../src/agent/types.js';
import type { PersonalityDefinition, ToolboxDefinition } from '../../src/definitions/types.js';
import { buildPersonas } from '../../src/engine/task-agents.js';
import type { TaskflowEvent } from '../../src/events.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import { messagesOf, toolResultsOf } from '../fakes/fake-model-server.js';
import {
  agentInput,
  connectEcho,
  eventsOfType,
  instructionsOf,
  persona,
  spyOn,
  startModel,
  toolNamesOf,
} from './agent-fixtures.js';

let echo: ToolboxConnection;
beforeAll(async () => {
  echo = await connectEcho();
});
afterAll(async () => {
  await echo.close();
});

const ECHO_TOOLS = ['echo__counter', 'echo__echo', 'echo__echo_env', 'echo__sleep'];

/** Event types in order, consecutive text deltas collapsed into one entry. */
function eventSequence(events: readonly TaskflowEvent[]): string[] {
  const sequence: string[] = [];
  for (const event of events) {
    if (event.type === 'text-delta' && sequence[sequence.length - 1] === 'text-delta') continue;
    sequence.push(event.type);
  }
  return sequence;
}

describe('runAgent: a normal run', () => {
  it('executes tool calls, sends results back and returns the final answer with events', async () => {
    await using model = await startModel();
    const { server } = model;
    server.enqueue(
      {
        kind: 'message',
        text: 'Checking now. ',
        toolCalls: [
          { id: 'call_ok', name: 'echo__echo', arguments: { message: 'hello' } },
          // Valid JSON the server's schema rejects: an MCP error result, passed on as is.
          { id: 'call_error', name: 'echo__echo', arguments: {} },
        ],
      },
      { kind: 'message', text: 'All done: hello' },
    );
    const events: TaskflowEvent[] = [];
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const result = await runAgent(
      agentInput(events, { agents: [agent], callModel: model.callModel }, { prompt: 'Say hello.' }),
    );

    expect(result.finalText).toBe('All done: hello');
    expect(result.lastToolResult).toEqual({ text: 'hello' });
    expect(result.turns).toBe(2);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.conversation.map((item) => item.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'tool',
      'assistant',
    ]);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    if (!first || !second) throw new Error('expected two requests');
    expect(toolNamesOf(first)).toEqual(ECHO_TOOLS);
    expect(messagesOf(first).map((message) => message.role)).toEqual(['system', 'user']);
    expect(instructionsOf(first)).toBe('You are worker.');
    const results = toolResultsOf(second);
    expect(results.map((entry) => entry.callId)).toEqual(['call_ok', 'call_error']);
    expect(results[0]?.output).toBe('hello');
    expect(results[1]?.output).toMatch(/message/);

    expect(eventSequence(events)).toEqual([
      'text-delta',
      'tool-call-start',
      'tool-call-start',
      'tool-call-end',
      'tool-call-end',
      'text-delta',
    ]);
    expect(events.some((event) => event.type === 'model-request-start')).toBe(false);
    const deltas = eventsOfType(events, 'text-delta');
    expect(deltas.map((event) => event.text).join('')).toBe('Checking now. All done: hello');
    expect(deltas.every((event) => event.agent === 'worker')).toBe(true);
    const starts = eventsOfType(events, 'tool-call-start');
    expect(starts.map((event) => [event.callId, event.toolbox, event.tool])).toEqual([
      ['call_ok', 'echo', 'echo'],
      ['call_error', 'echo', 'echo'],
    ]);
    expect(starts[0]?.arguments).toBe('{"message":"hello"}');
    const ends = eventsOfType(events, 'tool-call-end');
    const statusById = Object.fromEntries(ends.map((event) => [event.callId, event.status]));
    expect(statusById).toEqual({ call_ok: 'ok', call_error: 'error' });
    expect(ends.find((event) => event.callId === 'call_ok')?.resultPreview).toBe('hello');
    for (const event of events) expect(event).toMatchObject({ taskIndex: 0, itemIndex: 0 });
  });

  it('runs the calls of one turn in parallel and appends results in call order', async () => {
    await using model = await startModel();
    model.server.enqueue(
      {
        kind: 'message',
        toolCalls: [
          // The first call takes longer, so completion order differs from call order.
          { id: 'call_slow', name: 'echo__sleep', arguments: { ms: 300 } },
          { id: 'call_fast', name: 'echo__sleep', arguments: { ms: 100 } },
        ],
      },
      { kind: 'message', text: 'slept' },
    );
    const events: TaskflowEvent[] = [];
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    await runAgent(agentInput(events, { agents: [agent], callModel: model.callModel }));

    const toolEvents = events.filter((event) => event.type.startsWith('tool-call-'));
    expect(toolEvents.map((event) => event.type)).toEqual([
      'tool-call-start',
      'tool-call-start',
      'tool-call-end',
      'tool-call-end',
    ]);
    const second = model.server.requests[1];
    if (!second) throw new Error('expected a second request');
    expect(toolResultsOf(second)).toEqual([
      { callId: 'call_slow', output: 'slept 300 ms' },
      { callId: 'call_fast', output: 'slept 100 ms' },
    ]);
  });
});

describe('runAgent: journal and cancellation', () => {
  it('journals each turn before its tool calls, and each intent before its result', async () => {
    await using model = await startModel();
    model.server.enqueue(
      {
        kind: 'message',
        toolCalls: [{ id: 'call_j', name: 'echo__echo', arguments: { message: 'logged' } }],
      },
      { kind: 'message', text: 'end' },
    );
    const entries: string[] = [];
    const journal: AgentJournal = {
      turnCommitted: (turn) => {
        entries.push(`turn ${turn.turn} ${turn.agent} calls=${turn.message.toolCalls.length}`);
        return Promise.resolve();
      },
      toolIntent: (intent) => {
        entries.push(`intent ${intent.call.id} ${intent.toolbox}.${intent.tool}`);
        return Promise.resolve();
      },
      toolResult: (result) => {
        entries.push(`result ${result.callId} ${result.status} ${result.record?.text ?? '-'}`);
        return Promise.resolve();
      },
    };
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    await runAgent(agentInput([], { agents: [agent], callModel: model.callModel }, { journal }));
    expect(entries).toEqual([
      'turn 1 worker calls=1',
      'intent call_j echo.echo',
      'result call_j ok logged',
      'turn 2 worker calls=0',
    ]);
  });

  it('stops a running tool call when the signal aborts', async () => {
    await using model = await startModel();
    model.server.enqueue({
      kind: 'message',
      toolCalls: [{ name: 'echo__sleep', arguments: { ms: 10_000 } }],
    });
    const controller = new AbortController();
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const events: TaskflowEvent[] = [];
    const run = runAgent(
      agentInput(
        [],
        { agents: [agent], callModel: model.callModel },
        {
          signal: controller.signal,
          onEvent: (event) => {
            events.push(event);
            if (event.type === 'tool-call-start') controller.abort();
          },
        },
      ),
    );
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(model.server.requests).toHaveLength(1);
    expect(eventsOfType(events, 'tool-call-start')).toHaveLength(1);
  });
});

describe('runAgent: limits', () => {
  it('fails with max-steps after exactly maxSteps requests', async () => {
    await using model = await startModel();
    model.server.setHandler(() => ({
      kind: 'message',
      toolCalls: [{ name: 'echo__echo', arguments: { message: 'again' } }],
    }));
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const run = runAgent(
      agentInput([], { agents: [agent], callModel: model.callModel }, { maxSteps: 3 }),
    );
    await expect(run).rejects.toMatchObject({ name: 'TaskflowError', code: 'max-steps' });
    expect(model.server.requests).toHaveLength(3);
  });

  it('exclude_from_context stops after the first round and keeps the result from the model', async () => {
    await using model = await startModel();
    model.server.enqueue(
      {
        kind: 'message',
        toolCalls: [{ id: 'call_x', name: 'echo__echo', arguments: { message: 'secret result' } }],
      },
      { kind: 'message', text: 'must not be requested' },
    );
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const result = await runAgent(
      agentInput([], { agents: [agent], callModel: model.callModel }, { excludeFromContext: true }),
    );
    expect(model.server.requests).toHaveLength(1);
    expect(result).toMatchObject({
      finalText: '',
      lastToolResult: { text: 'secret result' },
      turns: 1,
    });
    const sent = JSON.stringify(model.server.requests.map((request) => request.body));
    expect(sent).not.toContain('secret result');
  });

  it('exclude_from_context re-asks after a round in which no tool ran', async () => {
    await using model = await startModel();
    model.server.enqueue(
      { kind: 'message', toolCalls: [{ name: 'echo_echo', arguments: { message: 'typo' } }] },
      {
        kind: 'message',
        toolCalls: [{ name: 'echo__echo', arguments: { message: 'second try' } }],
      },
      { kind: 'message', text: 'must not be requested' },
    );
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const result = await runAgent(
      agentInput([], { agents: [agent], callModel: model.callModel }, { excludeFromContext: true }),
    );
    expect(model.server.requests).toHaveLength(2);
    expect(result.lastToolResult).toEqual({ text: 'second try' });
    expect(JSON.stringify(model.server.requests[1]?.body)).not.toContain('second try');
  });
});

describe('runAgent: exposed tool names', () => {
  it('shortens a toolbox name over the limit and still routes calls to its server', async () => {
    const longName = 'security-audit-toolbox-with-an-extra-long-descriptive-name-version-2';
    expect(longName.length).toBeGreaterThan(MAX_TOOL_NAME_LENGTH);
    const spied = spyOn(echo, longName);
    await using model = await startModel();
    let offered: string[] = [];
    model.server.setHandler((request) => {
      if (request.index > 0) return { kind: 'message', text: 'done' };
      offered = toolNamesOf(request);
      const echoName = offered.find((name) => name.endsWith('__echo')) ?? 'missing';
      return {
        kind: 'message',
        toolCalls: [{ name: echoName, arguments: { message: 'routed' } }],
      };
    });
    const agent = persona('worker', [{ connection: spied.connection, confirm: [] }]);
    const result = await runAgent(agentInput([], { agents: [agent], callModel: model.callModel }));

    expect(offered).toHaveLength(4);
    for (const name of offered) {
      expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
      expect(name).toMatch(/^[a-zA-Z0-9_-]+$/);
    }
    expect(offered).toContain(`${longName.slice(0, MAX_TOOL_NAME_LENGTH - 6)}__echo`);
    expect(spied.calls).toEqual(['echo']);
    expect(result.lastToolResult).toEqual({ text: 'routed' });
    expect(model.server.unscripted).toHaveLength(0);
  });
});

function toolboxDefinition(shortName: string, serverPrompt: string): ToolboxDefinition {
  return {
    kind: 'toolbox',
    ref: `toolboxes.${shortName}`,
    filePath: `/definitions/toolboxes/${shortName}.yaml`,
    shortName,
    serverParams: {
      kind: 'stdio',
      command: process.execPath,
      args: [],
      env: {},
      headers: {},
      optionalHeaders: {},
      timeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      reconnecting: false,
    },
    serverPrompt,
    confirm: [],
  };
}

describe('runAgent: system prompt', () => {
  it('sends personality, operating rules, server prompts and task, in that order', async () => {
    const personality: PersonalityDefinition = {
      kind: 'personality',
      ref: 'personalities.auditor',
      filePath: '/definitions/personalities/auditor.yaml',
      shortName: 'auditor',
      personality: 'You are a careful auditor.\n',
      task: 'Audit the repository.',
      toolboxes: ['toolboxes.echo', 'toolboxes.notes'],
    };
    const started = [
      {
        ref: 'toolboxes.echo',
        definition: toolboxDefinition('echo', 'Echo repeats text.'),
        connection: spyOn(echo, 'echo').connection,
      },
      {
        ref: 'toolboxes.notes',
        definition: toolboxDefinition('notes', 'Notes keeps notes.'),
        connection: spyOn(echo, 'notes').connection,
      },
    ];
    const agents = buildPersonas([personality], undefined, started, []);
    await using model = await startModel();
    model.server.enqueue({ kind: 'message', text: 'audited' });
    await runAgent(agentInput([], { agents, callModel: model.callModel }));

    const request = model.server.requests[0];
    if (!request) throw new Error('expected a request');
    expect(instructionsOf(request)).toBe(
      [
        'You are a careful auditor.',
        OPERATING_RULES,
        'Echo repeats text.',
        'Notes keeps notes.',
        'Your task:\nAudit the repository.',
      ].join('\n\n'),
    );
    expect(toolNamesOf(request)).toContain('notes__echo');
    expect(toolNamesOf(request)).toContain('echo__echo');
  });
});
