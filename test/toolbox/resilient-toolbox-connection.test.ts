import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { connectToolboxes } from '../../src/toolbox/connect-toolboxes.js';
import { liveToolboxProcessGroups } from '../../src/toolbox/process-registry.js';
import { ResilientToolboxConnection } from '../../src/toolbox/resilient-toolbox-connection.js';
import type { ResolvedToolbox } from '../../src/toolbox/types.js';
import {
  ECHO_SERVER,
  diagnosticEcho,
  isAlive,
  markerLines,
  newProcessGroups,
  waitFor,
} from './toolbox-fixtures.js';

/**
 * resilience.md "Tools" with real echo server processes: timeouts re-executed only for
 * read-only/idempotent tools, servers restarted (twice per task) when they stop, the third
 * stop failing the task, `reconnecting` servers per call.
 */

const scratch = mkdtempSync(join(tmpdir(), 'taskflow-resilient-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fileCount = 0;
const newFile = (): string => join(scratch, `marker-${++fileCount}.txt`);

/** One resilient connection (the task's way: connectToolboxes), no start retries. */
async function connect(
  toolbox: ResolvedToolbox,
  warnings: string[] = [],
): Promise<ResilientToolboxConnection> {
  const set = await connectToolboxes([toolbox], {
    startRetryDelaysMs: [],
    onWarning: (message) => warnings.push(message),
  });
  const connection = set.connections[0];
  if (!(connection instanceof ResilientToolboxConnection)) throw new Error('not resilient');
  return connection;
}

async function rejection(promise: Promise<unknown>): Promise<TaskflowError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TaskflowError);
  return error as TaskflowError;
}

const NOT_RERUN =
  'it was not re-executed because the server does not mark it read-only or idempotent';

describe('tool timeouts', () => {
  it('cancels a non-idempotent call once and tells the model the seconds', async () => {
    const file = newFile();
    await using connection = await connect(diagnosticEcho('echo', { timeoutMs: 400 }));
    const error = await rejection(connection.callTool('write_marker', { file, ms: 20_000 }));
    expect(error.code).toBe('tool-timeout');
    expect(error.message).toBe(
      `tool timed out after 0.4 s and was cancelled (toolbox "echo", tool "write_marker"); ${NOT_RERUN}`,
    );
    expect(markerLines(file)).toHaveLength(1);
    // notifications/cancelled reached the server: it stopped the sleep.
    await waitFor(() => connection.stderrTail().includes('marker: execution 1 cancelled'));
  });

  it('re-executes a read-only tool that timed out once', async () => {
    const file = newFile();
    await using connection = await connect(diagnosticEcho('echo', { timeoutMs: 1000 }));
    const outcome = await connection.callTool('read_only_marker', {
      file,
      ms: 20_000,
      misbehave_times: 1,
    });
    expect(outcome.text).toBe('marker 2');
    const pids = markerLines(file);
    expect(pids).toHaveLength(2);
    expect(pids[0]).toBe(pids[1]);
  });

  it('re-executes a read-only tool only once', async () => {
    const file = newFile();
    await using connection = await connect(diagnosticEcho('echo', { timeoutMs: 300 }));
    const error = await rejection(connection.callTool('read_only_marker', { file, ms: 20_000 }));
    expect(error.code).toBe('tool-timeout');
    expect(error.message).toBe(
      'tool timed out after 0.3 s and was cancelled (toolbox "echo", tool "read_only_marker"); ' +
        'it was re-executed once (the server marks it read-only or idempotent) and timed out again',
    );
    expect(markerLines(file)).toHaveLength(2);
  });
});

describe('a server that stops during the task', () => {
  it('is restarted; a non-idempotent call is not re-executed, later calls use the new process', async () => {
    const file = newFile();
    const warnings: string[] = [];
    await using connection = await connect(diagnosticEcho(), warnings);
    const error = await rejection(connection.callTool('write_marker', { file, exit: true }));
    expect(error.code).toBe('toolbox-closed');
    expect(error.message).toBe(
      'the "echo" server stopped during the call (server exited with code 1); outcome unknown. ' +
        'The server was restarted for later calls. The call was not re-executed because the ' +
        'server does not mark the tool read-only or idempotent.',
    );
    expect(warnings).toEqual([
      'toolbox "echo" stopped (server exited with code 1); restarting it (restart 1 of 2)',
    ]);
    const [crashedPid] = markerLines(file);
    expect(markerLines(file)).toHaveLength(1);
    expect((await connection.callTool('write_marker', { file })).text).toBe('marker 2');
    const [, newPid] = markerLines(file);
    expect(newPid).not.toBe(crashedPid);
    expect(isAlive(crashedPid ?? 0)).toBe(false);
  });

  it('re-executes a read-only call on the restarted server', async () => {
    const file = newFile();
    await using connection = await connect(diagnosticEcho());
    const outcome = await connection.callTool('read_only_marker', {
      file,
      exit: true,
      misbehave_times: 1,
    });
    expect(outcome.text).toBe('marker 2');
    const [first, second] = markerLines(file);
    expect(first).not.toBe(second);
  });

  it('recovers from a SIGKILL of the server mid-call, restarting it once for all calls in flight', async () => {
    const file = newFile();
    const other = newFile();
    const before = liveToolboxProcessGroups();
    await using connection = await connect(diagnosticEcho());
    const [pid] = newProcessGroups(before);
    const first = rejection(connection.callTool('write_marker', { file, ms: 30_000 }));
    const second = rejection(connection.callTool('write_marker', { file: other, ms: 30_000 }));
    await waitFor(() => markerLines(file).length === 1 && markerLines(other).length === 1);
    process.kill(pid ?? 0, 'SIGKILL');
    for (const error of [await first, await second]) {
      expect(error.code).toBe('toolbox-closed');
      expect(error.message).toMatch(
        /^the "echo" server stopped during the call \(server was killed by SIGKILL\); outcome unknown\./,
      );
    }
    expect((await connection.callTool('echo', { message: 'still here' })).text).toBe('still here');
    expect(markerLines(file)).toHaveLength(1);
    // Both interrupted calls cost one restart: two more stops are still allowed.
    expect(connection.stops).toBe(1);
    expect(newProcessGroups(before)).toHaveLength(1);
    expect(newProcessGroups(before)[0]).not.toBe(pid);
  });

  it('replaces a server that died between calls before sending the next call', async () => {
    const file = newFile();
    const before = liveToolboxProcessGroups();
    await using connection = await connect(diagnosticEcho());
    const [pid] = newProcessGroups(before);
    process.kill(pid ?? 0, 'SIGKILL');
    await waitFor(() => !liveToolboxProcessGroups().includes(pid ?? 0));
    // Not sent before the stop: executed exactly once, even though it is not idempotent.
    expect((await connection.callTool('write_marker', { file })).text).toBe('marker 1');
  });

  it('fails the task on the third stop, naming the toolbox and its last stderr', async () => {
    const before = liveToolboxProcessGroups();
    const connection = await connect(diagnosticEcho());
    for (let stop = 1; stop <= 2; stop++) {
      const error = await rejection(connection.callTool('crash', {}));
      expect(error.code).toBe('toolbox-closed');
    }
    const fatal = await rejection(connection.callTool('crash', {}));
    expect(fatal.code).toBe('task-failed');
    expect(fatal.toolbox).toBe('echo');
    expect(fatal.message).toBe(
      'toolbox "echo" stopped 3 times during this task (at most 2 restarts): ' +
        'server exited with code 1 — last stderr: crash: exiting as asked',
    );
    expect(fatal.details).toEqual(['crash: exiting as asked']);
    // Every later call fails the same way, without starting anything.
    expect(await rejection(connection.callTool('echo', { message: 'x' }))).toBe(fatal);
    await connection.close();
    expect(newProcessGroups(before)).toEqual([]);
  });

  it('fails clearly when the restarted server offers different tools', async () => {
    // A wrapper that enables the diagnostics only on the first start.
    const flag = newFile();
    const script = join(scratch, 'changing-tools.sh');
    writeFileSync(
      script,
      `if [ -e "$FLAG" ]; then export TASKFLOW_ECHO_RESILIENCE_TOOLS=0 TASKFLOW_ECHO_DIAGNOSTICS=1; fi\n: > "$FLAG"\nexec "$NODE" "$ECHO"\n`,
    );
    await using connection = await connect(
      diagnosticEcho('shifty', {
        command: 'sh',
        args: [script],
        extraEnv: { FLAG: flag, NODE: process.execPath, ECHO: ECHO_SERVER },
      }),
    );
    const error = await rejection(connection.callTool('crash', {}));
    expect(error.code).toBe('task-failed');
    expect(error.message).toBe(
      'toolbox "shifty" was restarted but its tools differ from those at task start ' +
        '(missing write_marker, read_only_marker, crash)',
    );
  });
});

describe('reconnecting: a server per call', () => {
  it('runs every call on a fresh process and leaves none running between calls', async () => {
    const file = newFile();
    const before = liveToolboxProcessGroups();
    await using connection = await connect(diagnosticEcho('echo', { reconnecting: true }));
    expect(connection.tools.map((tool) => tool.name)).toContain('write_marker');
    expect((await connection.callTool('write_marker', { file })).text).toBe('marker 1');
    expect((await connection.callTool('write_marker', { file })).text).toBe('marker 2');
    const [first, second] = markerLines(file);
    expect(first).not.toBe(second);
    await waitFor(() => newProcessGroups(before).length === 0);
  });

  it('counts per-call server stops toward the same budget', async () => {
    const file = newFile();
    await using connection = await connect(diagnosticEcho('echo', { reconnecting: true }));
    const outcome = await connection.callTool('read_only_marker', {
      file,
      exit: true,
      misbehave_times: 1,
    });
    expect(outcome.text).toBe('marker 2');
    await rejection(connection.callTool('crash', {}));
    const fatal = await rejection(connection.callTool('crash', {}));
    expect(fatal.code).toBe('task-failed');
  });
});
