import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { createFakeClock, type FakeClock } from '../../src/resilience/clock.js';
import { connectToolboxWithRetries } from '../../src/toolbox/connect-toolbox-with-retries.js';
import { liveToolboxProcessGroups } from '../../src/toolbox/process-registry.js';
import type { ResolvedToolbox } from '../../src/toolbox/types.js';
import { ECHO_SERVER, newProcessGroups, nodeToolbox, waitFor } from './toolbox-fixtures.js';

/**
 * resilience.md "Tools": a server that fails to start gets 2 more attempts, 5 s and then
 * 15 s later (asserted on a fake clock), then the task fails with the start message.
 */

const scratch = mkdtempSync(join(tmpdir(), 'taskflow-start-retries-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Fails (exit 1, one stderr line) until its start counter reaches $WORKS_FROM.
const FLAKY_SCRIPT = join(scratch, 'flaky-start.sh');
writeFileSync(
  FLAKY_SCRIPT,
  [
    'n=$(( $(cat "$COUNTER" 2>/dev/null || echo 0) + 1 ))',
    'echo "$n" > "$COUNTER"',
    'if [ "$n" -lt "$WORKS_FROM" ]; then echo "start $n: database not ready" >&2; exit 1; fi',
    'exec "$NODE" "$ECHO"',
    '',
  ].join('\n'),
);
let counterCount = 0;

function flakyToolbox(worksFrom: number): { toolbox: ResolvedToolbox; starts: () => number } {
  const counter = join(scratch, `starts-${++counterCount}.txt`);
  const toolbox = nodeToolbox('flaky', [FLAKY_SCRIPT], {
    command: 'sh',
    extraEnv: {
      COUNTER: counter,
      WORKS_FROM: String(worksFrom),
      NODE: process.execPath,
      ECHO: ECHO_SERVER,
      TASKFLOW_ECHO_DIAGNOSTICS: '1',
    },
  });
  return { toolbox, starts: () => Number(readFileSync(counter, 'utf8')) };
}

/** Waits until the retry loop sleeps, then lets the fake time pass; returns the wait. */
async function passNextWait(clock: FakeClock): Promise<number> {
  await waitFor(() => clock.pendingSleeps > 0, 10_000);
  const waitMs = (clock.nextWakeAt() ?? 0) - clock.now();
  await clock.advance(waitMs);
  return waitMs;
}

async function rejection(promise: Promise<unknown>): Promise<TaskflowError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TaskflowError);
  return error as TaskflowError;
}

describe('connectToolboxWithRetries', () => {
  it('succeeds on the third start after waiting 5 s and 15 s', async () => {
    const clock = createFakeClock();
    const warnings: string[] = [];
    const { toolbox, starts } = flakyToolbox(3);
    const connecting = connectToolboxWithRetries(toolbox, {
      clock,
      onWarning: (message) => warnings.push(message),
    });
    const waits = [await passNextWait(clock), await passNextWait(clock)];
    await using connection = await connecting;
    expect(waits).toEqual([5000, 15_000]);
    expect(starts()).toBe(3);
    expect((await connection.callTool('echo', { message: 'third time' })).text).toBe('third time');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^toolbox "flaky" failed to start: .*server exited with code 1 — last stderr: start 1: database not ready — attempt 1 of 3; retrying in 5 s$/,
    );
    expect(warnings[1]).toMatch(/start 2: database not ready — attempt 2 of 3; retrying in 15 s$/);
  });

  it('fails after exactly 3 attempts with the last stderr, leaving no process', async () => {
    const clock = createFakeClock();
    const before = liveToolboxProcessGroups();
    const { toolbox, starts } = flakyToolbox(99);
    const connecting = rejection(connectToolboxWithRetries(toolbox, { clock }));
    const waits = [await passNextWait(clock), await passNextWait(clock)];
    const error = await connecting;
    expect(waits).toEqual([5000, 15_000]);
    expect(starts()).toBe(3);
    expect(clock.pendingSleeps).toBe(0);
    expect(error.code).toBe('toolbox-start');
    expect(error.toolbox).toBe('flaky');
    expect(error.message).toBe(
      `toolbox "flaky" failed to start (3 attempts): sh ${FLAKY_SCRIPT}: server exited with code 1 — last stderr: start 3: database not ready`,
    );
    expect(error.details).toEqual(['start 3: database not ready']);
    expect(newProcessGroups(before)).toEqual([]);
  });

  it('does not retry a command that does not exist', async () => {
    const clock = createFakeClock();
    const error = await rejection(
      connectToolboxWithRetries(nodeToolbox('ghost', [], { command: 'taskflow-no-such-command' }), {
        clock,
      }),
    );
    expect(error.code).toBe('toolbox-start');
    expect(error.message).toMatch(/^toolbox "ghost" failed to start: .*command not found/);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('stops waiting at once when aborted', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const { toolbox, starts } = flakyToolbox(99);
    const connecting = rejection(
      connectToolboxWithRetries(toolbox, { clock, signal: controller.signal }),
    );
    await waitFor(() => clock.pendingSleeps > 0, 10_000);
    controller.abort();
    const error = await connecting;
    expect(error.code).toBe('cancelled');
    expect(error.message).toBe('toolbox "flaky" start was cancelled');
    expect(starts()).toBe(1);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('uses the real clock by default, with injectable delays', async () => {
    const { toolbox, starts } = flakyToolbox(2);
    await using connection = await connectToolboxWithRetries(toolbox, {
      startRetryDelaysMs: [10],
    });
    expect(starts()).toBe(2);
    expect(connection.tools.map((tool) => tool.name)).toContain('echo');
  });
});
