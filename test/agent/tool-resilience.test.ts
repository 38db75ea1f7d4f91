import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/run-agent.js';
import type { TaskflowEvent } from '../../src/events.js';
import { connectToolboxes, type ToolboxSet } from '../../src/toolbox/connect-toolboxes.js';
import type { ResolvedToolbox } from '../../src/toolbox/types.js';
import { toolResultsOf, type FakeReply } from '../fakes/fake-model-server.js';
import { diagnosticEcho, markerLines } from '../toolbox/toolbox-fixtures.js';
import { agentInput, eventsOfType, persona, startModel } from './agent-fixtures.js';

/**
 * resilience.md "Tools" as the model sees it: a real echo server (with its resilience
 * diagnostics) behind the task's resilient connection, a fake model over HTTP.
 */

const scratch = mkdtempSync(join(tmpdir(), 'taskflow-agent-tools-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fileCount = 0;
const newFile = (): string => join(scratch, `marker-${++fileCount}.txt`);

async function echoSet(overrides: Partial<ResolvedToolbox> = {}): Promise<ToolboxSet> {
  return connectToolboxes([diagnosticEcho('echo', overrides)], { startRetryDelaysMs: [] });
}

/** One tool call per turn from `calls`, then a final answer. */
function scripted(calls: readonly { name: string; arguments: Record<string, unknown> }[]) {
  return (request: Parameters<typeof toolResultsOf>[0]): FakeReply => {
    const next = calls[toolResultsOf(request).length];
    return next ? { kind: 'message', toolCalls: [next] } : { kind: 'message', text: 'done' };
  };
}

describe('tool resilience in an agent run', () => {
  it('tells the model a non-idempotent call timed out, with the seconds, and runs it once', async () => {
    const file = newFile();
    await using set = await echoSet({ timeoutMs: 500 });
    await using model = await startModel();
    model.server.setHandler(
      scripted([{ name: 'echo__write_marker', arguments: { file, ms: 20_000 } }]),
    );
    const events: TaskflowEvent[] = [];
    const result = await runAgent(
      agentInput(events, {
        agents: [persona('worker', [{ connection: set.connections[0]!, confirm: [] }])],
        callModel: model.callModel,
      }),
    );
    expect(result.finalText).toBe('done');
    const [answer] = toolResultsOf(model.server.requests[1]!);
    expect(answer?.output).toBe(
      'error: tool timed out after 0.5 s and was cancelled (toolbox "echo", tool "write_marker"); ' +
        'it was not re-executed because the server does not mark it read-only or idempotent',
    );
    expect(eventsOfType(events, 'tool-call-end').map((event) => event.status)).toEqual(['timeout']);
    expect(markerLines(file)).toHaveLength(1);
  });

  it('re-executes a read-only tool that timed out once; the model sees only the result', async () => {
    const file = newFile();
    await using set = await echoSet({ timeoutMs: 1000 });
    await using model = await startModel();
    model.server.setHandler(
      scripted([
        {
          name: 'echo__read_only_marker',
          arguments: { file, ms: 20_000, misbehave_times: 1 },
        },
      ]),
    );
    const events: TaskflowEvent[] = [];
    await runAgent(
      agentInput(events, {
        agents: [persona('worker', [{ connection: set.connections[0]!, confirm: [] }])],
        callModel: model.callModel,
      }),
    );
    expect(toolResultsOf(model.server.requests[1]!)[0]?.output).toBe('marker 2');
    expect(eventsOfType(events, 'tool-call-end').map((event) => event.status)).toEqual(['ok']);
    expect(markerLines(file)).toHaveLength(2);
  });

  it('continues after a server crash: outcome unknown, the next call reaches a new process', async () => {
    const file = newFile();
    await using set = await echoSet();
    await using model = await startModel();
    model.server.setHandler(
      scripted([
        { name: 'echo__write_marker', arguments: { file, exit: true } },
        { name: 'echo__write_marker', arguments: { file } },
      ]),
    );
    const events: TaskflowEvent[] = [];
    const result = await runAgent(
      agentInput(events, {
        agents: [persona('worker', [{ connection: set.connections[0]!, confirm: [] }])],
        callModel: model.callModel,
      }),
    );
    expect(result.finalText).toBe('done');
    const outputs = toolResultsOf(model.server.requests[2]!).map((entry) => entry.output);
    expect(outputs).toEqual([
      'error: the "echo" server stopped during the call (server exited with code 1); outcome ' +
        'unknown. The server was restarted for later calls. The call was not re-executed ' +
        'because the server does not mark the tool read-only or idempotent.',
      'marker 2',
    ]);
    const [crashed, restarted] = markerLines(file);
    expect(restarted).not.toBe(crashed);
  });

  it('fails the run on the third crash, ending the call event first', async () => {
    await using set = await echoSet();
    await using model = await startModel();
    model.server.setHandler((): FakeReply => ({
      kind: 'message',
      toolCalls: [{ name: 'echo__crash', arguments: {} }],
    }));
    const events: TaskflowEvent[] = [];
    const failure = await runAgent(
      agentInput(events, {
        agents: [persona('worker', [{ connection: set.connections[0]!, confirm: [] }])],
        callModel: model.callModel,
      }),
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({
      code: 'task-failed',
      toolbox: 'echo',
      message:
        'toolbox "echo" stopped 3 times during this task (at most 2 restarts): ' +
        'server exited with code 1 — last stderr: crash: exiting as asked',
    });
    expect(model.server.requests).toHaveLength(3);
    expect(eventsOfType(events, 'tool-call-end').map((event) => event.status)).toEqual([
      'error',
      'error',
      'error',
    ]);
  });
});
