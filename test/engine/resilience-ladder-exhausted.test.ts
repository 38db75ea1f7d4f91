import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUDGE_MESSAGE } from '../../src/agent/run-agent.js';
import { isResumableStop } from '../../src/resilience/resumable-stop.js';
import { SessionRecorder } from '../../src/sessions/session-recorder.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { createInput, tempDir } from '../sessions/session-fixtures.js';
import { header, load, removeScratchFolders, scratchFolder } from './engine-kit.js';
import {
  arrivalGaps,
  eventsOfType,
  fakeTime,
  runWithFakeTime,
  scriptServer,
  type Arrival,
} from './resilience-kit.js';

/**
 * A 429 on every attempt (issue 10, defect 10b), in-process on a fake clock, checkpointed
 * in a real session. The rate-limit ladder allows 8 attempts; exhausting it is a resumable
 * stop (reason `rate-limit`) whose `resumeNotBefore` is the wait the ladder would take
 * next (the capped step, 30-60 s after the eighth 429), not a failed task. A resume has 4
 * of the 12 attempts left: 4 more requests, then the attempt cap fails the task.
 */

let server: FakeModelServer;
let folder: string;
beforeAll(async () => {
  server = await startFakeModelServer();
  folder = scratchFolder({
    'flow.yaml': `${header('taskflow')}
taskflow:
  - task:
      name: ask
      agents: [taskflow.personalities.assistant]
      user_prompt: Say hello
`,
  });
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

const endless429 = { kind: 'error', status: 429 } as const;

function runInSession(store: SessionStore, sessionId: string | undefined) {
  const session =
    sessionId === undefined
      ? store.create(createInput({ taskNames: ['ask'] }))
      : store.open(sessionId);
  const recorder = new SessionRecorder(session, {
    redact: (value) => value,
    nudgeMessage: NUDGE_MESSAGE,
  });
  const time = fakeTime();
  const arrivals: Arrival[] = scriptServer(server, time.clock, [endless429]);
  const running = runWithFakeTime(load(folder, 'flow.yaml'), folder, { server, time, recorder });
  return { session, time, arrivals, running };
}

describe('429 on every attempt, no hints', () => {
  it('8 requests, then a resumable rate-limit stop 30-60 s out; a resume adds only 4', async () => {
    const store = new SessionStore(tempDir());
    const first = runInSession(store, undefined);
    const stopped = await first.running;
    first.session.close();

    expect(first.arrivals).toHaveLength(8);
    expect(stopped.result.end.status).toBe('stopped');
    const stop = stopped.result.end.status === 'stopped' ? stopped.result.end.error : undefined;
    expect(isResumableStop(stop) && stop.reason).toBe('rate-limit');
    if (!isResumableStop(stop)) throw new Error('not a resumable stop');
    expect(stop.code).toBe('stopped');
    expect(stop.message).toMatch(/429/);
    const lastAt = first.arrivals.at(-1)?.atMs ?? 0;
    expect(first.time.clock.now()).toBe(lastAt);
    const resumeIn = (stop.resumeNotBefore ?? 0) - lastAt;
    expect(resumeIn).toBeGreaterThanOrEqual(30_000);
    expect(resumeIn).toBeLessThanOrEqual(60_000);

    // The ladder's waits, escalating on the shared gate: [1,2], [2,4] ... capped at [30,60] s.
    const retries = eventsOfType(stopped.events, 'model-retry');
    expect(retries.map((retry) => [retry.attempt, retry.maxAttempts])).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((attempt) => [attempt, 12]),
    );
    const gaps = arrivalGaps(first.arrivals);
    expect(gaps).toEqual(retries.map((retry) => retry.delayMs));
    const bounds = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
    gaps.forEach((gap, index) => {
      const low = bounds[index] ?? 0;
      expect(gap).toBeGreaterThanOrEqual(low);
      expect(gap).toBeLessThanOrEqual(Math.min(2 * low, 60_000));
    });

    const second = runInSession(store, first.session.id);
    const resumed = await second.running;
    const manifest = second.session.manifest;
    second.session.close();

    expect(second.arrivals).toHaveLength(4);
    const resumedStarts = eventsOfType(resumed.events, 'model-request-start');
    expect(resumedStarts.map((event) => event.attempt)).toEqual([9, 10, 11, 12]);
    expect(resumed.result.end.status).toBe('failed');
    expect(manifest.tasks[0]).toMatchObject({ requests: 12 });
  });
});
