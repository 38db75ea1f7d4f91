import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/run-agent.js';
import type { AgentJournal } from '../../src/agent/types.js';
import { TaskflowError } from '../../src/errors.js';
import { GracefulStop } from '../../src/toolbox/graceful-stop.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import { agentInput, connectEcho, persona, startModel } from './agent-fixtures.js';

/**
 * issue 10 defect 9 in the agent: a call is journaled as started only once it was handed to
 * its server, and a round interrupted by a graceful stop journals the results of the calls
 * that finish within the grace before the run stops.
 */

let echo: ToolboxConnection;
beforeAll(async () => {
  echo = await connectEcho();
});
afterAll(async () => {
  await echo.close();
});

/**
 * A toolbox whose server never comes up (like one still starting when the user stops the
 * run): a call waits until its signal aborts and is never sent.
 */
const starting: ToolboxConnection = {
  name: 'starting',
  tools: [{ name: 'wait', inputSchema: { type: 'object' } }],
  callTool: (_tool, _args, options = {}) =>
    new Promise((_resolve, reject) => {
      const cancel = () =>
        reject(new TaskflowError('cancelled', 'toolbox "starting" was not started'));
      if (options.signal?.aborted === true) cancel();
      else options.signal?.addEventListener('abort', cancel);
    }),
  close: () => Promise.resolve(),
  stderrTail: () => [],
  [Symbol.asyncDispose]: () => Promise.resolve(),
};

function recordingJournal(entries: string[], onIntent?: (callId: string) => void): AgentJournal {
  return {
    turnCommitted: () => Promise.resolve(),
    toolIntent: (intent) => {
      entries.push(`intent ${intent.call.id}`);
      onIntent?.(intent.call.id);
      return Promise.resolve();
    },
    toolResult: (result) => {
      entries.push(`result ${result.callId} ${result.status} ${result.content}`);
      return Promise.resolve();
    },
  };
}

describe('runAgent: a graceful stop during a tool round', () => {
  it('journals the sent call with its result, the unsent one not at all, then stops', async () => {
    await using model = await startModel();
    model.server.enqueue({
      kind: 'message',
      toolCalls: [
        { id: 'call_sent', name: 'echo__sleep', arguments: { ms: 300 } },
        { id: 'call_unsent', name: 'starting__wait', arguments: {} },
      ],
    });
    const controller = new AbortController();
    const grace = new AbortController();
    const entries: string[] = [];
    const journal = recordingJournal(entries, () =>
      controller.abort(new GracefulStop('interrupted by SIGINT', grace.signal)),
    );
    const agent = persona('worker', [
      { connection: echo, confirm: [] },
      { connection: starting, confirm: [] },
    ]);
    const run = runAgent(
      agentInput(
        [],
        { agents: [agent], callModel: model.callModel },
        { journal, signal: controller.signal },
      ),
    );
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(entries).toEqual(['intent call_sent', 'result call_sent ok slept 300 ms']);
    // No further model turn after the stop.
    expect(model.server.requests).toHaveLength(1);
    grace.abort();
  });

  it('journals no result for a sent call that outlives the grace', async () => {
    await using model = await startModel();
    model.server.enqueue({
      kind: 'message',
      toolCalls: [{ id: 'call_long', name: 'echo__sleep', arguments: { ms: 10_000 } }],
    });
    const controller = new AbortController();
    const grace = new AbortController();
    const entries: string[] = [];
    const journal = recordingJournal(entries, () => {
      controller.abort(new GracefulStop('interrupted by SIGTERM', grace.signal));
      grace.abort();
    });
    const agent = persona('worker', [{ connection: echo, confirm: [] }]);
    const run = runAgent(
      agentInput(
        [],
        { agents: [agent], callModel: model.callModel },
        { journal, signal: controller.signal },
      ),
    );
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(entries).toEqual(['intent call_long']);
  });
});
