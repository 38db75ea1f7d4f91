import { setTimeout as realDelay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { header, load, removeScratchFolders, scratchFolder } from './engine-kit.js';
import { eventsOfType, fakeTime, runWithFakeTime, type FakeTime } from './resilience-kit.js';

/**
 * A burst of 500s from a fan-out is one failure signal for the breaker (issue 10, defect
 * 10a): ten items at async_limit 10 send their first request together; the server holds
 * all ten and answers each with a 500, then answers every retry. The ten failures count
 * once, so the breaker stays closed and each item retries after its own transient-ladder
 * wait (0.5-1 s) instead of stalling 30 s for a probe.
 */

let server: FakeModelServer;
let folder: string;
beforeAll(async () => {
  server = await startFakeModelServer();
  folder = scratchFolder({
    'fanout.yaml': `${header('taskflow')}
taskflow:
  - task:
      name: list
      run: printf '[0,1,2,3,4,5,6,7,8,9]'
  - task:
      name: fan out
      agents: [taskflow.personalities.assistant]
      repeat_prompt: true
      async: true
      async_limit: 10
      user_prompt: 'Item {{ result }}: say done'
`,
  });
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

interface Arrival {
  readonly item: number;
  readonly atMs: number;
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realDelay(2);
  }
}

function scriptBurst(time: FakeTime): Arrival[] {
  const arrivals: Arrival[] = [];
  server.setHandler(async (request: RecordedRequest): Promise<FakeReply> => {
    const item = Number(/Item (\d+)/.exec(lastUserText(request) ?? '')?.[1]);
    arrivals.push({ item, atMs: time.clock.now() });
    if (arrivals.length <= 10) {
      await until('the first wave', () => arrivals.length >= 10);
      return { kind: 'error', status: 500 };
    }
    return { kind: 'message', text: `done ${item}` };
  });
  return arrivals;
}

describe('ten concurrent items, one 500 each', () => {
  it('20 requests; every item retries once after 0.5-1 s; the breaker stays closed', async () => {
    const time = fakeTime();
    const arrivals = scriptBurst(time);
    const run = await runWithFakeTime(load(folder, 'fanout.yaml'), folder, { server, time });
    expect(run.result.end.status).toBe('succeeded');
    expect(arrivals).toHaveLength(20);
    const firstWave = arrivals.slice(0, 10);
    expect(new Set(firstWave.map((arrival) => arrival.item)).size).toBe(10);
    const burstAt = firstWave[0]?.atMs ?? 0;
    expect(firstWave.every((arrival) => arrival.atMs === burstAt)).toBe(true);
    const retries = eventsOfType(run.events, 'model-retry');
    expect(retries).toHaveLength(10);
    expect(
      retries.every((retry) => retry.errorClass === 'server' && retry.delaySource === 'backoff'),
    ).toBe(true);
    // Each retry arrives exactly its own ladder wait after the burst: nobody waited for a probe.
    const waits = arrivals.slice(10).map((arrival) => arrival.atMs - burstAt);
    expect([...waits].sort((a, b) => a - b)).toEqual(
      retries.map((retry) => retry.delayMs).sort((a, b) => a - b),
    );
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(500);
      expect(wait).toBeLessThanOrEqual(1000);
    }
  });
});
