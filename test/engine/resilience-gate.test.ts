import { setTimeout as realDelay } from 'node:timers/promises';
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
import { eventsOfType, fakeTime, runWithFakeTime, type FakeTime } from './resilience-kit.js';

/**
 * The shared rate-limit gate under a real fan-out (resilience.md "Shared rate-limit gate"):
 * ten items at async_limit 10, each making four model requests (three echo calls and an
 * answer). The first request of item 0 gets `429 retry-after: 2` while the other nine are
 * held in flight; they are answered only once the gate has closed, so their next requests
 * meet the closed gate. Every arrival is stamped with the fake clock and the gate's state.
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
      toolboxes: [taskflow.toolboxes.echo]
      repeat_prompt: true
      async: true
      async_limit: 10
      user_prompt: 'Item {{ result }}: echo three times'
`,
  });
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

interface Sample {
  readonly item: number;
  readonly atMs: number;
  /** Model requests at the server, this one included. */
  readonly inFlight: number;
  readonly effectiveLimit: number;
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realDelay(2);
  }
}

/** Four requests per item; the first wave is held as described above. */
function scriptFanout(time: FakeTime) {
  const samples: Sample[] = [];
  let closedUntil: number | undefined;
  const gate = () => time.gates.created[0];
  server.setHandler(async (request: RecordedRequest): Promise<FakeReply> => {
    const item = Number(/Item (\d+)/.exec(lastUserText(request) ?? '')?.[1]);
    samples.push({
      item,
      atMs: time.clock.now(),
      inFlight: server.inFlight,
      effectiveLimit: gate()?.effectiveLimit ?? 0,
    });
    const step = toolResultsOf(request).length;
    if (samples.length <= 10) {
      await until('the first wave', () => samples.length >= 10);
      if (item === 0 && step === 0)
        return { kind: 'error', status: 429, headers: { 'retry-after': '2' } };
      await until('the gate to close', () => (gate()?.reopenAt ?? 0) > time.clock.now());
      closedUntil = gate()?.reopenAt;
    }
    // Real latency (fake time stands still meanwhile) lets requests overlap at the server.
    if (step < 3)
      return {
        kind: 'message',
        latencyMs: 100,
        toolCalls: [{ name: 'echo__echo', arguments: { message: `item-${item}-${step}` } }],
      };
    return { kind: 'message', latencyMs: 100, text: `done ${item}` };
  });
  return { samples, closedUntil: () => closedUntil };
}

describe('ten concurrent items, one 429 with retry-after: 2', () => {
  it('no request reaches the server while the gate is closed; the limit halves and recovers', async () => {
    const time = fakeTime();
    const script = scriptFanout(time);
    const run = await runWithFakeTime(load(folder, 'fanout.yaml'), folder, { server, time });
    expect(run.result.end.status).toBe('succeeded');
    const { samples } = script;
    // 10 items x 4 requests, plus item 0's retry.
    expect(samples).toHaveLength(41);

    const firstWave = samples.slice(0, 10);
    expect(new Set(firstWave.map((sample) => sample.item)).size).toBe(10);
    expect(Math.max(...firstWave.map((sample) => sample.inFlight))).toBe(10);
    expect(firstWave.every((sample) => sample.effectiveLimit === 10)).toBe(true);

    const [retry] = eventsOfType(run.events, 'model-retry');
    expect(retry).toMatchObject({ errorClass: 'rate-limited', delaySource: 'retry-after' });
    expect(eventsOfType(run.events, 'model-retry')).toHaveLength(1);
    const closedAt = firstWave[0]?.atMs ?? 0;
    const reopenAt = script.closedUntil() ?? 0;
    expect(reopenAt - closedAt).toBe(retry?.delayMs);
    expect(reopenAt - closedAt).toBeGreaterThanOrEqual(2000);
    expect(reopenAt - closedAt).toBeLessThanOrEqual(2200);

    const later = samples.slice(10);
    // Nothing from any item inside the window.
    expect(later.filter((sample) => sample.atMs < reopenAt)).toEqual([]);
    // The herd that waited restarts staggered, at least 200 ms apart.
    const herd = later.slice(0, 10).map((sample) => sample.atMs);
    expect(herd[0]).toBe(reopenAt);
    herd.slice(1).forEach((atMs, index) => {
      expect(atMs - (herd[index] ?? 0)).toBeGreaterThanOrEqual(200);
    });
    // Halved to 5 by the 429; +1 per 20 successes in a row: 40 successes -> 7.
    expect(later[0]?.effectiveLimit).toBe(5);
    const limits = later.map((sample) => sample.effectiveLimit);
    expect(limits).toEqual([...limits].sort((a, b) => a - b));
    expect(limits.at(-1)).toBeGreaterThanOrEqual(6);
    expect(time.gates.created[0]?.effectiveLimit).toBe(7);
    // The server sees that limit: the backlog fills 5 slots, later 6, never more.
    expect(later.every((sample) => sample.inFlight <= sample.effectiveLimit)).toBe(true);
    const busiest = (limit: number) =>
      Math.max(...later.filter((s) => s.effectiveLimit === limit).map((s) => s.inFlight));
    expect(busiest(5)).toBe(5);
    expect(busiest(6)).toBe(6);
  });
});
