import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
} from '../fakes/fake-model-server.js';
import { header, load, removeScratchFolders, scratchFolder } from './engine-kit.js';
import { eventsOfType, fakeTime, runWithFakeTime, scriptServer } from './resilience-kit.js';

/**
 * Context overflow (resilience.md row 12) end to end: a 400 `context_length_exceeded`
 * shortens the oldest tool results and re-asks under the same request key, twice at most.
 */

let server: FakeModelServer;
let folder: string;
beforeAll(async () => {
  server = await startFakeModelServer();
  folder = scratchFolder({
    'flow.yaml': `${header('taskflow')}
taskflow:
  - task:
      name: read a lot
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      user_prompt: Echo a long text, then summarise it
`,
  });
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

const longText = 'lorem ipsum dolor sit amet '.repeat(250);
const callEcho: FakeReply = {
  kind: 'message',
  toolCalls: [{ name: 'echo__echo', arguments: { message: longText } }],
};
const overflow: FakeReply = {
  kind: 'error',
  status: 400,
  body: {
    error: {
      message:
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9100 tokens.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  },
};
const summary: FakeReply = { kind: 'message', text: 'a summary' };

async function run(steps: FakeReply[]) {
  const time = fakeTime();
  const arrivals = scriptServer(server, time.clock, steps);
  const outcome = await runWithFakeTime(load(folder, 'flow.yaml'), folder, { server, time });
  const bodies = arrivals.map((arrival) => JSON.stringify(arrival.request.body));
  const toolResults = arrivals.map((arrival) => toolResultsOf(arrival.request)[0]?.output ?? '');
  return { ...outcome, arrivals, bodies, toolResults };
}

describe('context overflow', () => {
  it('400 context_length_exceeded twice, then 200: each re-ask is smaller, same budget', async () => {
    const outcome = await run([callEcho, overflow, overflow, summary]);
    expect(outcome.result.end.status).toBe('succeeded');
    expect(outcome.arrivals).toHaveLength(4);
    const [, first = '', second = '', third = ''] = outcome.bodies;
    expect(second.length).toBeLessThan(first.length);
    expect(third.length).toBeLessThan(second.length);
    const full = outcome.toolResults[1] ?? '';
    expect(full).toContain(longText);
    const removed = (text: string) =>
      Number(
        /\[truncated by taskflow: (\d+) characters removed to fit the context\]$/.exec(text)?.[1],
      );
    expect(removed(outcome.toolResults[2] ?? '')).toBe(Math.ceil(full.length / 2));
    expect(removed(outcome.toolResults[3] ?? '')).toBeGreaterThan(full.length * 0.74);
    expect(outcome.toolResults[3]?.startsWith(full.slice(0, 200))).toBe(true);
    // The re-asks continue the turn's attempt count (the 12-attempt cap covers them).
    const attempts = eventsOfType(outcome.events, 'model-request-start').map(
      (event) => event.attempt,
    );
    expect(attempts).toEqual([1, 1, 2, 3]);
    const warnings = eventsOfType(outcome.events, 'warning').map((event) => event.message);
    expect(warnings).toEqual([
      expect.stringMatching(/too long for model fake-model: shortened 1 tool result.*repair 1\/2/),
      expect.stringMatching(/repair 2\/2/),
    ]);
    expect(eventsOfType(outcome.events, 'model-retry')).toEqual([]);
  });

  it('a third overflow fails the task with a message that the context is too long', async () => {
    const outcome = await run([callEcho, overflow]);
    expect(outcome.arrivals).toHaveLength(4);
    expect(outcome.result.end.status).toBe('failed');
    const failure = outcome.result.outcomes[0]?.error;
    expect(failure?.message).toMatch(
      /conversation too long for model fake-model .*still too long after 2 repairs/,
    );
    expect((failure as { code?: string } | undefined)?.code).toBe('model');
    const ends = eventsOfType(outcome.events, 'task-end');
    expect(ends.map((event) => event.status)).toEqual(['failed']);
  });
});
