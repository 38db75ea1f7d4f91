import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { header, load, removeScratchFolders, scratchFolder } from './engine-kit.js';
import {
  arrivalGaps,
  eventsOfType,
  fakeTime,
  runWithFakeTime,
  scriptServer,
} from './resilience-kit.js';

/**
 * Fault injection over HTTP, in-process, waits on a fake clock (resilience.md "Waits"):
 * exact request counts, and the gap between requests as the server saw it on that clock
 * equals the wait the `model-retry` event announced.
 */

let server: FakeModelServer;
let folder: string;
beforeAll(async () => {
  server = await startFakeModelServer();
  folder = scratchFolder({
    'ask.yaml': `${header('taskflow')}
taskflow:
  - task:
      name: ask
      agents: [taskflow.personalities.assistant]
      user_prompt: Say hello
`,
    'stall.yaml': `${header('taskflow')}
model_config: models.yaml
taskflow:
  - task:
      name: ask
      agents: [taskflow.personalities.assistant]
      model: main
      user_prompt: Say hello
`,
    'models.yaml': `${header('model_config')}
models:
  main: fake-model
model_settings:
  main:
    resilience:
      idle_timeout_ms: 1000
`,
  });
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

const answer = { kind: 'message', text: 'hello' } as const;

async function runAsk(steps: Parameters<typeof scriptServer>[2], flow = 'ask.yaml') {
  const time = fakeTime();
  const arrivals = scriptServer(server, time.clock, steps);
  const run = await runWithFakeTime(load(folder, flow), folder, { server, time });
  const retries = eventsOfType(run.events, 'model-retry');
  return { ...run, arrivals, retries, gaps: arrivalGaps(arrivals) };
}

describe('transient failures', () => {
  it('503, 503, 200 -> exactly 3 requests, waits on the transient ladder', async () => {
    const run = await runAsk([
      { kind: 'error', status: 503 },
      { kind: 'error', status: 503 },
      answer,
    ]);
    expect(run.result.end.status).toBe('succeeded');
    expect(run.arrivals).toHaveLength(3);
    expect(run.retries.map((retry) => [retry.errorClass, retry.status, retry.attempt])).toEqual([
      ['server', 503, 1],
      ['server', 503, 2],
    ]);
    expect(run.retries.every((retry) => retry.maxAttempts === 12)).toBe(true);
    expect(run.retries.every((retry) => retry.delaySource === 'backoff')).toBe(true);
    expect(run.gaps).toEqual(run.retries.map((retry) => retry.delayMs));
    const [first = 0, second = 0] = run.gaps;
    expect(first).toBeGreaterThanOrEqual(500);
    expect(first).toBeLessThanOrEqual(1000);
    expect(second).toBeGreaterThanOrEqual(1000);
    expect(second).toBeLessThanOrEqual(2000);
  });

  it('connection reset before headers twice, then 200 -> exactly 3 requests', async () => {
    const run = await runAsk([{ kind: 'reset' }, { kind: 'reset' }, answer]);
    expect(run.result.end.status).toBe('succeeded');
    expect(run.arrivals).toHaveLength(3);
    expect(run.retries.map((retry) => [retry.errorClass, retry.status])).toEqual([
      ['network', null],
      ['network', null],
    ]);
    expect(run.gaps).toEqual(run.retries.map((retry) => retry.delayMs));
  });

  it('a stream that stalls past idle_timeout_ms is aborted and re-sent once', async () => {
    const run = await runAsk(
      [{ kind: 'stall', afterDeltas: 1, text: 'stuck here forever' }, answer],
      'stall.yaml',
    );
    expect(run.result.end.status).toBe('succeeded');
    expect(run.arrivals).toHaveLength(2);
    expect(run.retries.map((retry) => retry.errorClass)).toEqual(['stream-stalled']);
    expect(run.retries[0]?.message).toMatch(/no data for 1s/);
    expect(run.arrivals[1]?.request.body).toEqual(run.arrivals[0]?.request.body);
  });
});

describe('rate limits and server hints', () => {
  it.each([
    ['retry-after-ms: 1500', { 'retry-after-ms': '1500' }, 'retry-after-ms', 1500],
    ['retry-after: 2 (seconds)', { 'retry-after': '2' }, 'retry-after', 2000],
  ] as const)(
    '429 with %s -> the next request waits the hint',
    async (_, headers, source, hint) => {
      const run = await runAsk([{ kind: 'error', status: 429, headers }, answer]);
      expect(run.result.end.status).toBe('succeeded');
      expect(run.arrivals).toHaveLength(2);
      expect(run.retries.map((retry) => [retry.errorClass, retry.delaySource])).toEqual([
        ['rate-limited', source],
      ]);
      const [gap = 0] = run.gaps;
      expect(gap).toBe(run.retries[0]?.delayMs);
      expect(gap).toBeGreaterThanOrEqual(hint);
      expect(gap).toBeLessThanOrEqual(hint * 1.1);
    },
  );

  it('429 with retry-after as an HTTP date -> the next request is not earlier', async () => {
    let dateMs = 0;
    let sentAtMs = 0;
    const run = await runAsk([
      () => {
        sentAtMs = Date.now();
        dateMs = Math.floor((sentAtMs + 3000) / 1000) * 1000;
        const date = new Date(dateMs).toUTCString();
        return { kind: 'error', status: 429, headers: { 'retry-after': date } };
      },
      answer,
    ]);
    expect(run.arrivals).toHaveLength(2);
    expect(run.retries[0]?.delaySource).toBe('retry-after');
    const [gap = 0] = run.gaps;
    expect(gap).toBe(run.retries[0]?.delayMs);
    // The client reads the date a moment after the server sent it.
    expect(gap).toBeGreaterThanOrEqual(dateMs - sentAtMs - 250);
    expect(gap).toBeLessThanOrEqual((dateMs - sentAtMs) * 1.1);
  });

  it('429 without hints three times, then 200 -> waits in [1,2], [2,4], [4,8] s', async () => {
    const limited = { kind: 'error', status: 429 } as const;
    const run = await runAsk([limited, limited, limited, answer]);
    expect(run.result.end.status).toBe('succeeded');
    expect(run.arrivals).toHaveLength(4);
    expect(
      run.retries.map((retry) => [retry.attempt, retry.maxAttempts, retry.delaySource]),
    ).toEqual([
      [1, 12, 'backoff'],
      [2, 12, 'backoff'],
      [3, 12, 'backoff'],
    ]);
    expect(run.gaps).toEqual(run.retries.map((retry) => retry.delayMs));
    const bounds = [
      [1000, 2000],
      [2000, 4000],
      [4000, 8000],
    ];
    run.gaps.forEach((gap, index) => {
      expect(gap).toBeGreaterThanOrEqual(bounds[index]?.[0] ?? Infinity);
      expect(gap).toBeLessThanOrEqual(bounds[index]?.[1] ?? 0);
    });
  });
});
