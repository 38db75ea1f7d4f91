import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { connectToolbox } from '../../src/toolbox/connect-toolbox.js';
import {
  killAllToolboxProcesses,
  liveToolboxProcessGroups,
} from '../../src/toolbox/process-registry.js';
import {
  EVERYTHING_SERVER,
  fixture,
  isAlive,
  newProcessGroups,
  nodeToolbox,
  readPid,
  waitFor,
} from './toolbox-fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'taskflow-toolbox-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<TaskflowError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TaskflowError);
  return error as TaskflowError;
}

describe('start failures', () => {
  it(
    'fails fast and names the toolbox when the command does not exist',
    { timeout: 5000 },
    async () => {
      const error = await rejection(
        connectToolbox(
          nodeToolbox('ghost', ['--flag'], {
            command: 'taskflow-no-such-command',
            connectTimeoutMs: 60_000,
          }),
        ),
      );
      expect(error.code).toBe('toolbox-start');
      expect(error.toolbox).toBe('ghost');
      expect(error.message).toBe(
        'toolbox "ghost" failed to start: taskflow-no-such-command --flag: ' +
          'command not found: taskflow-no-such-command (searched PATH of the server environment)',
      );
    },
  );

  it('times out a server that never initialises, with its stderr, leaving no process', async () => {
    const pidFile = join(scratch, 'never.pid');
    const before = liveToolboxProcessGroups();
    const error = await rejection(
      connectToolbox(
        nodeToolbox('stuck', [fixture('never-initializes.mjs')], {
          connectTimeoutMs: 500,
          extraEnv: { PID_FILE: pidFile },
        }),
      ),
    );
    expect(error.code).toBe('toolbox-start');
    expect(error.toolbox).toBe('stuck');
    expect(error.message).toMatch(
      /^toolbox "stuck" failed to start within 0\.5s: \S+ \S+never-initializes\.mjs — last stderr: .*waiting for a database that never comes/,
    );
    expect(error.details).toContain('never-initializes: booting');
    const pid = readPid(pidFile);
    expect(isAlive(pid)).toBe(false);
    expect(newProcessGroups(before)).toEqual([]);
  });

  it('reports the exit code when the server exits during start', async () => {
    const error = await rejection(
      connectToolbox(
        nodeToolbox('broken', ['-e', 'console.error("bad config: FOO missing"); process.exit(2)']),
      ),
    );
    expect(error.code).toBe('toolbox-start');
    expect(error.message).toMatch(
      /server exited with code 2 — last stderr: bad config: FOO missing$/,
    );
  });

  it('fails when a launched HTTP server exits before its URL answers', async () => {
    const error = await rejection(
      connectToolbox({
        ...nodeToolbox('web', ['-e', 'process.exit(4)']),
        kind: 'streamable',
        url: 'http://127.0.0.1:9/mcp',
      }),
    );
    expect(error.code).toBe('toolbox-start');
    expect(error.message).toMatch(/at http:\/\/127\.0\.0\.1:9\/mcp: server exited with code 4/);
  });

  it('turns an aborted start into "cancelled" and stops the process', async () => {
    const pidFile = join(scratch, 'cancelled.pid');
    const controller = new AbortController();
    const starting = connectToolbox(
      nodeToolbox('stuck', [fixture('never-initializes.mjs')], { extraEnv: { PID_FILE: pidFile } }),
      { signal: controller.signal },
    );
    await waitFor(() => {
      try {
        return readPid(pidFile) > 0;
      } catch {
        return false;
      }
    });
    controller.abort();
    const error = await rejection(starting);
    expect(error.code).toBe('cancelled');
    expect(isAlive(readPid(pidFile))).toBe(false);
  });
});

describe('close', () => {
  it('kills the grandchildren of a sh -c server', async () => {
    const before = liveToolboxProcessGroups();
    const connection = await connectToolbox(
      nodeToolbox(
        'tree',
        ['-c', `'${process.execPath}' '${fixture('spawns-grandchild.mjs')}'; true`],
        {
          command: 'sh',
        },
      ),
    );
    const [shellPid] = newProcessGroups(before);
    const pids = JSON.parse((await connection.callTool('pids', {})).text) as {
      server: number;
      grandchild: number;
    };
    expect(shellPid).not.toBe(pids.server);
    expect([shellPid ?? 0, pids.server, pids.grandchild].every(isAlive)).toBe(true);
    await connection.close({ graceMs: 1000 });
    expect(isAlive(shellPid ?? 0)).toBe(false);
    await waitFor(() => !isAlive(pids.server) && !isAlive(pids.grandchild), 1000);
  });

  it('killAllToolboxProcesses kills every live server synchronously', async () => {
    const before = liveToolboxProcessGroups();
    const connection = await connectToolbox(nodeToolbox('env', [fixture('prints-env.mjs')]));
    const [pid] = newProcessGroups(before);
    expect(pid).toBeDefined();
    killAllToolboxProcesses();
    expect(liveToolboxProcessGroups()).toEqual([]);
    await waitFor(() => !isAlive(pid ?? 0));
    const error = await rejection(connection.callTool('env', {}));
    expect(error.code).toBe('toolbox-closed');
    await connection.close();
  });
});

describe('tool calls', () => {
  it('times out a slow call with tool-timeout and cancels it on the server', async () => {
    await using connection = await connectToolbox(nodeToolbox('slow', [fixture('slow-tool.mjs')]));
    const error = await rejection(connection.callTool('sleep', { ms: 10_000 }, { timeoutMs: 300 }));
    expect(error.code).toBe('tool-timeout');
    expect(error.message).toBe(
      'tool timed out after 0.3 s and was cancelled (toolbox "slow", tool "sleep")',
    );
    await waitFor(() => connection.stderrTail().some((line) => line.includes('cancelled')));
    // The connection is still usable.
    expect((await connection.callTool('sleep', { ms: 1 })).text).toBe('slept');
  });

  it('aborts a call through its signal', async () => {
    await using connection = await connectToolbox(nodeToolbox('slow', [fixture('slow-tool.mjs')]));
    const controller = new AbortController();
    const call = connection.callTool('sleep', { ms: 10_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(call);
    expect(error.code).toBe('cancelled');
    await waitFor(() => connection.stderrTail().some((line) => line.includes('cancelled')));
  });

  it(
    'rejects promptly with toolbox-closed when the server exits mid-call',
    { timeout: 5000 },
    async () => {
      const before = liveToolboxProcessGroups();
      await using connection = await connectToolbox(
        nodeToolbox('crashy', [fixture('crash-on-call.mjs')], { timeoutMs: 60_000 }),
      );
      const [pid] = newProcessGroups(before);
      const error = await rejection(connection.callTool('crash', {}));
      expect(error.code).toBe('toolbox-closed');
      expect(error.message).toMatch(
        /^toolbox "crashy" closed during tool "crash": server exited with code 3 — last stderr: .*out of memory/,
      );
      const again = await rejection(connection.callTool('crash', {}));
      expect(again.code).toBe('toolbox-closed');
      // The rest of the group is stopped without waiting for close().
      await waitFor(() => !liveToolboxProcessGroups().includes(pid ?? 0));
    },
  );

  it('rejects calls in flight when the connection is closed', async () => {
    const connection = await connectToolbox(
      nodeToolbox('everything', [EVERYTHING_SERVER, 'stdio']),
    );
    const call = rejection(
      connection.callTool('trigger-long-running-operation', { duration: 10, steps: 2 }),
    );
    await connection.close({ graceMs: 200 });
    const error = await call;
    expect(error.code).toBe('toolbox-closed');
    expect(error.message).toBe(
      'toolbox "everything" was closed during tool "trigger-long-running-operation"',
    );
  });
});
