import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { header, load, removeScratchFolders, scratchFolder } from './engine-kit.js';
import { eventsOfType, fakeTime, runWithFakeTime } from './resilience-kit.js';

/**
 * Every model request of a run passes the pacer of its (endpoint, model, credential)
 * (scale-out.md "Pacing"), on a fake clock: the items of a fan-out, each of their turns,
 * and the branches of a 2-model task, spaced by the limits their model config declares.
 */

let server: FakeModelServer;
let folder: string;
beforeAll(async () => {
  server = await startFakeModelServer();
  folder = scratchFolder({
    'flow.yaml': `${header('taskflow')}
model_config: models.yaml
taskflow:
  - task:
      name: list
      run: printf '[0,1,2]'
  - task:
      name: fan out
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      model: main
      repeat_prompt: true
      async: true
      async_limit: 3
      user_prompt: 'Item {{ result }}: echo once'
  - task:
      name: both models
      agents: [taskflow.personalities.assistant]
      models: [main, other]
      user_prompt: 'Item 9: say done'
`,
    'models.yaml': `${header('model_config')}
models:
  main: fake-model
  other: fake-model-mini
model_settings:
  main:
    rate_limits:
      requests_per_minute: 60
  other:
    rate_limits:
      requests_per_minute: 30
`,
  });
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

interface Arrival {
  readonly model: string;
  readonly atMs: number;
}

/** One echo call per item, then an answer; every request stamped with the fake clock. */
function script(clock: { now(): number }): Arrival[] {
  const arrivals: Arrival[] = [];
  server.setHandler((request: RecordedRequest): FakeReply => {
    arrivals.push({ model: String(request.body.model), atMs: clock.now() });
    const item = /Item (\d+)/.exec(lastUserText(request) ?? '')?.[1];
    if (item !== '9' && toolResultsOf(request).length === 0)
      return { kind: 'message', toolCalls: [{ name: 'echo__echo', arguments: { message: item } }] };
    return { kind: 'message', text: `done ${item}` };
  });
  return arrivals;
}

function gapsOf(arrivals: readonly Arrival[], model: string): number[] {
  const times = arrivals.filter((arrival) => arrival.model === model).map(({ atMs }) => atMs);
  return times.slice(1).map((time, index) => time - (times[index] ?? 0));
}

describe('declared rate limits on a fake clock', () => {
  it('spaces every request of every item and branch by its model budget', async () => {
    const time = fakeTime(7, { pacing: true });
    const arrivals = script(time.clock);
    const run = await runWithFakeTime(load(folder, 'flow.yaml'), folder, { server, time });
    expect(run.result.end.status).toBe('succeeded');
    // 3 items x 2 turns, plus the 2-model task's branch on main: 7 requests, one a second.
    expect(gapsOf(arrivals, 'fake-model')).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
    expect(arrivals.filter((arrival) => arrival.model === 'fake-model-mini')).toHaveLength(1);
    const waits = eventsOfType(run.events, 'rate-limit-wait');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((wait) => wait.reason === 'requests' && wait.model === 'fake-model')).toBe(
      true,
    );
    const ends = eventsOfType(run.events, 'task-end');
    expect(ends.find((end) => end.taskName === 'fan out')?.pacedMs).toBeGreaterThanOrEqual(5000);
  });
});
