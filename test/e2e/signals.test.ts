import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  type FakeModelServer,
  type FakeReply,
} from '../fakes/fake-model-server.js';
import { makeSandbox, spawnCli } from './cli-harness.js';

/**
 * Ctrl-C end to end (resilience.md "Cancellation"): the first SIGINT stops the run with
 * exit 130 within 2 s and leaves no process behind; a second SIGINT exits at once.
 */

/** Acceptance bound for "within 2 s", with room for a loaded machine. */
const EXIT_BOUND_MS = 2500;

let server: FakeModelServer;
let sandbox: string;
/** Process groups a test saw; killed afterwards so a failure leaves nothing running. */
const groupsToReap: number[] = [];

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
});
afterEach(async () => {
  for (const groupId of groupsToReap.splice(0)) {
    try {
      process.kill(-groupId, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves with the exit and the `performance.now()` it was observed at. */
  readonly exited: Promise<{ code: number | null; signal: string | null; atMs: number }>;
  /** Resolves once stdout/stderr are closed, with everything they carried. */
  readonly output: Promise<{ stdout: string; stderr: string }>;
  /** stderr received so far. */
  stderrSoFar(): string;
}

function startCli(flow: string, env: Record<string, string>): RunningCli {
  const child = spawnCli(['run', flow, '--output', 'plain'], sandbox, {
    env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-signals', ...env },
  });
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null; atMs: number }>(
    (resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })),
  );
  const output = new Promise<{ stdout: string; stderr: string }>((resolve) =>
    child.once('close', () => resolve({ stdout, stderr })),
  );
  return { child, exited, output, stderrSoFar: () => stderr };
}

/** Polls `condition` every 20 ms; fails the test after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Members of a process group that are still running (zombies count as gone). */
function liveGroupMembers(groupId: number): number[] {
  const members: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === groupId && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/**
 * Waits briefly for a group to disappear: a process killed just before the runner exited
 * may take a moment to be torn down, while a leftover (`sleep 30`) stays and fails this.
 */
async function expectGroupGone(groupId: number): Promise<void> {
  const deadline = performance.now() + 1000;
  while (liveGroupMembers(groupId).length > 0 && performance.now() < deadline) await delay(20);
  expect(liveGroupMembers(groupId)).toEqual([]);
}

function readNumberFile(file: string, pattern: RegExp): number | undefined {
  if (!fs.existsSync(file)) return undefined;
  const match = pattern.exec(fs.readFileSync(file, 'utf8'));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function expectInterruptedOutput(output: { stdout: string; stderr: string }): void {
  expect(output.stderr).toContain('SIGINT received, stopping');
  expect(output.stdout).toMatch(/taskflow \S+ interrupted in .*exit code 130/);
  expect(output.stderr).not.toMatch(/^\s+at /m);
}

describe('SIGINT during a run', () => {
  it.each<[string, FakeReply]>([
    ['before the response headers', { kind: 'message', latencyMs: 30_000, text: 'too late' }],
    ['in a stalled stream', { kind: 'stall', afterDeltas: 1, text: 'partial answer here' }],
  ])(
    'during a model request (%s): exit 130 within 2 s, MCP server gone',
    async (_when, reply) => {
      server.enqueue(reply);
      const startLog = path.join(sandbox, 'toolbox-starts.log');
      const cli = startCli('taskflows/interrupt-prompt.yaml', { TOOLBOX_START_LOG: startLog });
      await waitFor('the model request', () => server.inFlight === 1);
      const serverPid = readNumberFile(startLog, /^started (\d+)$/m);
      expect(serverPid).toBeGreaterThan(0);
      groupsToReap.push(serverPid as number);
      expect(liveGroupMembers(serverPid as number)).not.toEqual([]);

      const sentAt = performance.now();
      cli.child.kill('SIGINT');
      const exit = await cli.exited;
      expect(exit.code).toBe(130);
      expect(exit.atMs - sentAt).toBeLessThan(EXIT_BOUND_MS);
      await expectGroupGone(serverPid as number);
      expectInterruptedOutput(await cli.output);
      // The runner aborted its request instead of waiting for the reply.
      await waitFor('the aborted request to close', () => server.inFlight === 0, 2000);
      expect(server.requests).toHaveLength(1);
    },
    30_000,
  );

  it('during a shell task (sleep 30): exit 130 within 2 s, the script group gone', async () => {
    const pidFile = path.join(sandbox, 'shell.pid');
    const cli = startCli('taskflows/interrupt-shell.yaml', { PID_FILE: pidFile });
    await waitFor('the shell task', () => readNumberFile(pidFile, /(\d+)/) !== undefined);
    const groupId = readNumberFile(pidFile, /(\d+)/) as number;
    groupsToReap.push(groupId);
    await waitFor('sleep to start', () => liveGroupMembers(groupId).length >= 2);

    const sentAt = performance.now();
    cli.child.kill('SIGINT');
    const exit = await cli.exited;
    expect(exit.code).toBe(130);
    expect(exit.atMs - sentAt).toBeLessThan(EXIT_BOUND_MS);
    await expectGroupGone(groupId);
    expectInterruptedOutput(await cli.output);
  }, 30_000);

  it('a second SIGINT exits at once, killing a script that ignores SIGTERM', async () => {
    const pidFile = path.join(sandbox, 'shell.pid');
    // The runner's own temp dir: its script file must be gone after the forced exit too.
    const temp = path.join(sandbox, 'tmp');
    fs.mkdirSync(temp);
    const cli = startCli('taskflows/interrupt-stubborn-shell.yaml', {
      PID_FILE: pidFile,
      TMPDIR: temp,
    });
    await waitFor('the script file', () => fs.readdirSync(temp).length === 1);
    await waitFor('the shell task', () => readNumberFile(pidFile, /(\d+)/) !== undefined);
    const groupId = readNumberFile(pidFile, /(\d+)/) as number;
    groupsToReap.push(groupId);
    await waitFor('sleep to start', () => liveGroupMembers(groupId).length >= 2);

    cli.child.kill('SIGINT');
    // The first stop waits out the kill grace period (the script ignores SIGTERM).
    await waitFor('the first SIGINT to be handled', () =>
      cli.stderrSoFar().includes('SIGINT received'),
    );
    await delay(300);
    expect(cli.child.exitCode).toBeNull();
    expect(liveGroupMembers(groupId).length).toBeGreaterThanOrEqual(2);
    const secondAt = performance.now();
    cli.child.kill('SIGINT');
    const exit = await cli.exited;
    expect(exit.code).toBe(130);
    // "At once": well under the 2 s grace the first stop would still have waited.
    expect(exit.atMs - secondAt).toBeLessThan(1000);
    await expectGroupGone(groupId);
    const output = await cli.output;
    expect(output.stderr).toContain('SIGINT received, stopping');
    expect(output.stderr).toContain('interrupted again, exiting now');
    expect(fs.readdirSync(temp)).toEqual([]);
  }, 30_000);
});
