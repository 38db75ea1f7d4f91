import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/run-agent.js';
import { MAX_TOOL_NAME_LENGTH } from '../../src/agent/tool-names.js';
import type { TaskflowEvent } from '../../src/events.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import { messagesOf, toolResultsOf } from '../fakes/fake-model-server.js';
import {
  agentInput,
  connectEcho,
  eventsOfType,
  instructionsOf,
  persona,
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

describe('runAgent: handoffs', () => {
  it.each(['chat_completions', 'responses'] as const)(
    'switches the active agent and keeps the conversation (%s)',
    async (apiType) => {
      await using model = await startModel(apiType);
      const { server } = model;
      server.enqueue(
        {
          kind: 'message',
          toolCalls: [{ id: 'call_h', name: 'transfer_to_fixer', arguments: {} }],
        },
        {
          kind: 'message',
          toolCalls: [{ id: 'call_e', name: 'echo__echo', arguments: { message: 'fixed' } }],
        },
        { kind: 'message', text: 'Fixer finished.' },
      );
      const events: TaskflowEvent[] = [];
      const toolboxes = [{ connection: echo, confirm: [] }];
      const agents = [
        persona('triage', toolboxes, { instructions: 'You triage.' }),
        persona('fixer', toolboxes, { instructions: 'You fix.' }),
      ];
      const result = await runAgent(
        agentInput(events, { agents, callModel: model.callModel }, { prompt: 'Fix it.' }),
      );

      expect(result.finalText).toBe('Fixer finished.');
      expect(result.lastToolResult).toEqual({ text: 'fixed' });
      const [first, second, third] = server.requests;
      if (!first || !second || !third) throw new Error('expected three requests');
      expect(instructionsOf(first)).toBe('You triage.');
      expect(toolNamesOf(first)).toEqual([...ECHO_TOOLS, 'transfer_to_fixer']);
      expect(instructionsOf(second)).toBe('You fix.');
      expect(toolNamesOf(second)).toEqual(ECHO_TOOLS);
      expect(toolNamesOf(third)).toEqual(ECHO_TOOLS);
      const continued = messagesOf(second);
      expect(continued.some((item) => item.role === 'user' && item.content === 'Fix it.')).toBe(
        true,
      );
      const handoffResult = toolResultsOf(second).find((entry) => entry.callId === 'call_h');
      expect(handoffResult?.output).toMatch(/fixer/);
      expect(toolResultsOf(third).map((entry) => entry.callId)).toEqual(['call_h', 'call_e']);
      expect(eventsOfType(events, 'handoff')).toMatchObject([
        { from: 'triage', to: 'fixer', taskIndex: 0, itemIndex: 0 },
      ]);
      expect(eventsOfType(events, 'tool-call-start').map((event) => event.callId)).toEqual([
        'call_e',
      ]);
      const lastDelta = eventsOfType(events, 'text-delta').at(-1);
      expect(lastDelta?.agent).toBe('fixer');
    },
  );
});

describe('runAgent: handoff edge cases', () => {
  it('keeps handoff tool names within the limit and honours only the first handoff of a turn', async () => {
    const longAgent = `reviewer_${'r'.repeat(60)}`;
    await using model = await startModel();
    const { server } = model;
    const toolboxes = [{ connection: echo, confirm: [] }];
    const agents = [
      persona('triage', toolboxes),
      persona('fixer', toolboxes),
      persona(longAgent, toolboxes, { instructions: 'You review.' }),
    ];
    let offered: string[] = [];
    server.setHandler((request) => {
      if (request.index > 0) return { kind: 'message', text: 'reviewed' };
      offered = toolNamesOf(request);
      const longTool = offered.find((name) => name.startsWith('transfer_to_reviewer_'));
      return {
        kind: 'message',
        toolCalls: [
          { id: 'call_long', name: longTool ?? 'missing', arguments: {} },
          { id: 'call_fixer', name: 'transfer_to_fixer', arguments: {} },
        ],
      };
    });
    const events: TaskflowEvent[] = [];
    const result = await runAgent(agentInput(events, { agents, callModel: model.callModel }));

    expect(result.finalText).toBe('reviewed');
    const handoffTools = offered.filter((name) => name.startsWith('transfer_to_'));
    expect(handoffTools).toHaveLength(2);
    for (const name of handoffTools) expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
    expect(eventsOfType(events, 'handoff')).toMatchObject([{ from: 'triage', to: longAgent }]);
    const second = server.requests[1];
    if (!second) throw new Error('expected a second request');
    expect(instructionsOf(second)).toBe('You review.');
    const answers = toolResultsOf(second);
    expect(answers.map((answer) => answer.callId)).toEqual(['call_long', 'call_fixer']);
    expect(answers[1]?.output).toMatch(/not transferred/);
  });
});
