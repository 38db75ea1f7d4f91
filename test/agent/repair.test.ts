import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUDGE_MESSAGE, REPAIRS_PER_TURN, runAgent } from '../../src/agent/run-agent.js';
import type { RepairBudget } from '../../src/agent/types.js';
import type { TaskflowEvent } from '../../src/events.js';
import type { FakeReply, FakeToolCall } from '../fakes/fake-model-server.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import { lastUserText, messagesOf, toolResultsOf } from '../fakes/fake-model-server.js';
import {
  agentInput,
  bumpCounter,
  connectEcho,
  persona,
  requestAt,
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

const VALID_NAMES = ['echo__counter', 'echo__echo', 'echo__echo_env', 'echo__sleep'];

function toolTurn(...toolCalls: FakeToolCall[]): FakeReply {
  return { kind: 'message', toolCalls };
}

/** `count` calls to a tool that does not exist. */
function badCalls(count: number): FakeReply {
  return toolTurn(
    ...Array.from({ length: count }, (_, index) => ({
      name: `no_such_tool_${index}`,
      arguments: {},
    })),
  );
}

describe('repair: unknown tool names', () => {
  it('answers a hallucinated name with the valid names; the model recovers', async () => {
    await using model = await startModel();
    const { server } = model;
    server.enqueue(
      toolTurn({ id: 'call_bad', name: 'exec_command<|channel|>commentary', arguments: {} }),
      toolTurn({ id: 'call_good', name: 'echo__echo', arguments: { message: 'recovered' } }),
      { kind: 'message', text: 'Recovered.' },
    );
    const events: TaskflowEvent[] = [];
    const repairs: RepairBudget = { used: 0 };
    const spied = spyOn(echo);
    const agent = persona('worker', [{ connection: spied.connection, confirm: [] }]);
    const result = await runAgent(
      agentInput(events, { agents: [agent], callModel: model.callModel }, { repairs }),
    );

    expect(result.finalText).toBe('Recovered.');
    expect(repairs.used).toBe(1);
    expect(spied.calls).toEqual(['echo']);
    const repaired = toolResultsOf(requestAt(server, 1));
    expect(repaired).toHaveLength(1);
    expect(repaired[0]?.callId).toBe('call_bad');
    expect(repaired[0]?.output).toContain('unknown tool "exec_command<|channel|>commentary"');
    for (const name of VALID_NAMES) expect(repaired[0]?.output).toContain(name);
    expect(toolResultsOf(requestAt(server, 2)).at(-1)).toEqual({
      callId: 'call_good',
      output: 'recovered',
    });
    // A repaired call never reached a toolbox, so it has no tool events.
    const toolEvents = events.filter((event) => event.type.startsWith('tool-call-'));
    expect(toolEvents.map((event) => 'callId' in event && event.callId)).toEqual([
      'call_good',
      'call_good',
    ]);
  });

  it('hides blocked tools and answers a call to one as unknown without reaching the server', async () => {
    await using model = await startModel();
    const { server } = model;
    server.enqueue(toolTurn({ id: 'call_blocked', name: 'echo__counter', arguments: {} }), {
      kind: 'message',
      text: 'ok',
    });
    const agent = persona('worker', [{ connection: echo, confirm: [] }], {
      blockedTools: ['counter'],
    });
    const before = await bumpCounter(echo);
    const result = await runAgent(agentInput([], { agents: [agent], callModel: model.callModel }));
    const after = await bumpCounter(echo);

    expect(result.finalText).toBe('ok');
    expect(after - before).toBe(1);
    const offered = toolNamesOf(requestAt(server, 0));
    expect(offered).toEqual(['echo__echo', 'echo__echo_env', 'echo__sleep']);
    const answer = toolResultsOf(requestAt(server, 1))[0]?.output ?? '';
    expect(answer).toContain('unknown tool "echo__counter"');
    expect(answer).toContain('Valid tool names: echo__echo, echo__echo_env, echo__sleep.');
  });
});

describe('repair: malformed arguments', () => {
  it('does not execute calls whose arguments are not a JSON object and asks for valid JSON', async () => {
    await using model = await startModel();
    const { server } = model;
    server.enqueue(
      toolTurn(
        { id: 'call_truncated', name: 'echo__echo', arguments: '{"message": "hi"' },
        { id: 'call_array', name: 'echo__counter', arguments: '["hi"]' },
      ),
      { kind: 'message', text: 'gave up' },
    );
    const spied = spyOn(echo);
    const agent = persona('worker', [{ connection: spied.connection, confirm: [] }]);
    const before = await bumpCounter(echo);
    const result = await runAgent(agentInput([], { agents: [agent], callModel: model.callModel }));
    const after = await bumpCounter(echo);

    expect(result.finalText).toBe('gave up');
    expect(spied.calls).toEqual([]);
    expect(after - before).toBe(1);
    const answers = toolResultsOf(requestAt(server, 1));
    expect(answers.map((answer) => answer.callId)).toEqual(['call_truncated', 'call_array']);
    for (const answer of answers) {
      expect(answer.output).toContain('not a valid JSON object');
      expect(answer.output).toContain('re-issue it with valid JSON arguments');
    }
    expect(answers[0]?.output).toContain('{"message": "hi"');
  });
});

describe('repair: budgets', () => {
  it(`allows ${REPAIRS_PER_TURN} bad calls in one turn and fails the run on more`, async () => {
    await using model = await startModel();
    model.server.enqueue(badCalls(REPAIRS_PER_TURN), { kind: 'message', text: 'fine' });
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const fine = await runAgent(agentInput([], { agents: [agent], callModel: model.callModel }));
    expect(fine.finalText).toBe('fine');

    model.server.enqueue(badCalls(REPAIRS_PER_TURN + 1), { kind: 'message', text: 'never' });
    const run = runAgent(agentInput([], { agents: [agent], callModel: model.callModel }));
    await expect(run).rejects.toMatchObject({ code: 'model-behavior' });
    expect(model.server.requests).toHaveLength(3);
  });

  it('shares the task budget of 10 repairs across runs and fails on the 11th', async () => {
    await using model = await startModel();
    const repairs: RepairBudget = { used: 0 };
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const input = agentInput([], { agents: [agent], callModel: model.callModel }, { repairs });

    model.server.enqueue(badCalls(3), badCalls(3), { kind: 'message', text: 'first item' });
    await expect(runAgent(input)).resolves.toMatchObject({ finalText: 'first item' });
    expect(repairs.used).toBe(6);

    model.server.enqueue(badCalls(3), badCalls(1), badCalls(1), { kind: 'message', text: 'never' });
    await expect(runAgent(input)).rejects.toMatchObject({ code: 'model-behavior' });
    expect(repairs.used).toBe(11);
    // Three requests of the first run, three of the second: the fourth reply was never asked for.
    expect(model.server.requests).toHaveLength(6);
  });

  it('nudges an empty reply once, then accepts the answer', async () => {
    await using model = await startModel();
    model.server.enqueue(
      { kind: 'message', text: '', finishReason: 'stop' },
      { kind: 'message', text: 'Finished.' },
    );
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const result = await runAgent(agentInput([], { agents: [agent], callModel: model.callModel }));
    expect(result.finalText).toBe('Finished.');
    expect(lastUserText(requestAt(model.server, 1))).toBe(NUDGE_MESSAGE);
  });

  it('nudges at most once: a second empty reply ends the run', async () => {
    await using model = await startModel();
    model.server.enqueue(
      { kind: 'message', text: '', finishReason: 'stop' },
      { kind: 'message', text: '', finishReason: 'stop' },
      { kind: 'message', text: 'never requested' },
    );
    const repairs: RepairBudget = { used: 0 };
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const result = await runAgent(
      agentInput([], { agents: [agent], callModel: model.callModel }, { repairs }),
    );
    expect(result.finalText).toBe('');
    expect(model.server.requests).toHaveLength(2);
    expect(repairs.used).toBe(1);
    const nudges = messagesOf(requestAt(model.server, 1)).filter(
      (message) => message.content === NUDGE_MESSAGE,
    );
    expect(nudges).toHaveLength(1);
  });
});
