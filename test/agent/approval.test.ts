import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_REQUIRED_MESSAGE } from '../../src/agent/execute-tool-call.js';
import { runAgent } from '../../src/agent/run-agent.js';
import type { ApprovalRequest, Approver } from '../../src/agent/types.js';
import type { TaskflowEvent } from '../../src/events.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import { toolResultsOf } from '../fakes/fake-model-server.js';
import {
  agentInput,
  connectEcho,
  eventsOfType,
  persona,
  requestAt,
  spyOn,
  startModel,
  type ModelHarness,
} from './agent-fixtures.js';

let echo: ToolboxConnection;
beforeAll(async () => {
  echo = await connectEcho();
});
afterAll(async () => {
  await echo.close();
});

interface ConfirmRun {
  readonly answer: string | undefined;
  readonly finalText: string;
  readonly serverCalls: readonly string[];
  readonly events: readonly TaskflowEvent[];
}

/** The model calls `echo__counter` (listed under `confirm`) once, then answers. */
async function runConfirmedCall(
  model: ModelHarness,
  options: { headless: boolean; approve?: Approver },
): Promise<ConfirmRun> {
  model.server.enqueue(
    { kind: 'message', toolCalls: [{ id: 'call_c', name: 'echo__counter', arguments: {} }] },
    { kind: 'message', text: 'final answer' },
  );
  const spied = spyOn(echo);
  const agent = persona('worker', [{ connection: spied.connection, confirm: ['counter'] }]);
  const events: TaskflowEvent[] = [];
  const result = await runAgent(
    agentInput(
      events,
      { agents: [agent], callModel: model.callModel },
      {
        headless: options.headless,
        ...(options.approve && { approve: options.approve }),
        location: { taskIndex: 2, itemIndex: 1 },
      },
    ),
  );
  return {
    answer: toolResultsOf(requestAt(model.server, 1))[0]?.output,
    finalText: result.finalText,
    serverCalls: spied.calls,
    events,
  };
}

describe('confirm: tools that need approval', () => {
  it('denies the call without a terminal, warns, and lets the run finish', async () => {
    await using model = await startModel();
    const run = await runConfirmedCall(model, { headless: false });

    expect(run.answer).toBe('tool call not allowed: approval required (run headless to allow)');
    expect(run.answer).toBe(APPROVAL_REQUIRED_MESSAGE);
    expect(run.serverCalls).toEqual([]);
    expect(run.finalText).toBe('final answer');
    const warnings = eventsOfType(run.events, 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ taskIndex: 2, itemIndex: 1 });
    expect(warnings[0]?.message).toContain('counter');
    expect(eventsOfType(run.events, 'tool-call-end')).toMatchObject([
      { callId: 'call_c', status: 'denied', toolbox: 'echo', tool: 'counter' },
    ]);
  });

  it('executes the call when the task is headless', async () => {
    await using model = await startModel();
    const run = await runConfirmedCall(model, { headless: true });

    expect(run.serverCalls).toEqual(['counter']);
    expect(run.answer).toMatch(/^\d+$/);
    expect(eventsOfType(run.events, 'warning')).toEqual([]);
    expect(eventsOfType(run.events, 'tool-call-end')).toMatchObject([{ status: 'ok' }]);
  });

  it('asks the approver and executes the call it allows', async () => {
    await using model = await startModel();
    const asked: ApprovalRequest[] = [];
    const run = await runConfirmedCall(model, {
      headless: false,
      approve: (request) => {
        asked.push(request);
        return Promise.resolve(true);
      },
    });

    expect(asked).toEqual([
      { toolbox: 'echo', tool: 'counter', arguments: '{}', taskIndex: 2, itemIndex: 1 },
    ]);
    expect(run.serverCalls).toEqual(['counter']);
    expect(run.answer).toMatch(/^\d+$/);
    expect(run.finalText).toBe('final answer');
  });

  it('tells the model when the user denies the call', async () => {
    await using model = await startModel();
    const run = await runConfirmedCall(model, {
      headless: false,
      approve: () => Promise.resolve(false),
    });

    expect(run.answer).toBe('tool call denied by the user');
    expect(run.serverCalls).toEqual([]);
    expect(eventsOfType(run.events, 'warning')).toEqual([]);
    expect(eventsOfType(run.events, 'tool-call-end')).toMatchObject([{ status: 'denied' }]);
    expect(run.finalText).toBe('final answer');
  });

  it('does not ask about tools that are not listed under confirm', async () => {
    await using model = await startModel();
    model.server.enqueue(
      {
        kind: 'message',
        toolCalls: [{ id: 'call_e', name: 'echo__echo', arguments: { message: 'free' } }],
      },
      { kind: 'message', text: 'done' },
    );
    const spied = spyOn(echo);
    const agent = persona('worker', [{ connection: spied.connection, confirm: ['counter'] }]);
    let asked = 0;
    await runAgent(
      agentInput(
        [],
        { agents: [agent], callModel: model.callModel },
        {
          approve: () => {
            asked += 1;
            return Promise.resolve(false);
          },
        },
      ),
    );
    expect(asked).toBe(0);
    expect(spied.calls).toEqual(['echo']);
  });
});
