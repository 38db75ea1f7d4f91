import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUDGE_MESSAGE } from '../../src/agent/run-agent.js';
import { BREAKER_OUTAGE_AFTER_MS } from '../../src/resilience/breaker.js';
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
 * Endless 500s (resilience.md "Breaker" and the 12-attempt cap), in-process on a fake clock,
 * checkpointed in a real session so a resume continues the attempt count from the journal.
 *
 * The exact count for one logical request: 6 attempts on the transient ladder open the
 * breaker; its probes go out 30, 60, 120 and 240 s later (4 more requests, at 30, 90, 210
 * and 450 s after opening); the next probe would be due at 750 s, past the 10-minute
 * outage limit, so the run stops at 600 s with `outage` after 10 requests. A resume has
 * 2 of the 12 attempts left: 2 more requests, then the task fails. 12 in all.
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

const endless500 = { kind: 'error', status: 500 } as const;

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
  const arrivals: Arrival[] = scriptServer(server, time.clock, [endless500]);
  const running = runWithFakeTime(load(folder, 'flow.yaml'), folder, { server, time, recorder });
  return { session, time, arrivals, running };
}

describe('endless 500s', () => {
  it('10 requests (6 on the ladder, 4 breaker probes), outage stop; a resume adds only 2', async () => {
    const store = new SessionStore(tempDir());
    const first = runInSession(store, undefined);
    const stopped = await first.running;
    first.session.close();

    expect(first.arrivals).toHaveLength(10);
    expect(stopped.result.end.status).toBe('stopped');
    const stop = stopped.result.end.status === 'stopped' ? stopped.result.end.error : undefined;
    expect(isResumableStop(stop) && stop.reason).toBe('outage');
    const gaps = arrivalGaps(first.arrivals);
    // Ladder waits, then the probe schedule counted from the breaker opening.
    expect(gaps.slice(5)).toEqual([30_000, 60_000, 120_000, 240_000]);
    const openedAt = first.arrivals[5]?.atMs ?? 0;
    expect(first.time.clock.now() - openedAt).toBe(BREAKER_OUTAGE_AFTER_MS);
    const starts = eventsOfType(stopped.events, 'model-request-start');
    expect(starts.map((event) => event.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const retries = eventsOfType(stopped.events, 'model-retry');
    expect(retries).toHaveLength(10);
    expect(retries.every((retry) => retry.errorClass === 'server' && retry.status === 500)).toBe(
      true,
    );

    const second = runInSession(store, first.session.id);
    const resumed = await second.running;
    const manifest = second.session.manifest;
    second.session.close();

    expect(second.arrivals).toHaveLength(2);
    expect(first.arrivals.length + second.arrivals.length).toBe(12);
    const resumedStarts = eventsOfType(resumed.events, 'model-request-start');
    expect(resumedStarts.map((event) => event.attempt)).toEqual([11, 12]);
    expect(resumed.result.end.status).toBe('failed');
    expect(resumed.result.outcomes[0]?.error?.message).toMatch(/server error .*500/);
    expect(manifest.tasks[0]).toMatchObject({ requests: 12, retries: { server: 12 } });
  });
});
