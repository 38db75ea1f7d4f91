import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
} from '../fakes/fake-model-server.js';
import { makeSandbox, spawnCli } from './cli-harness.js';
import { contractEvents, ofType, runTaskflow } from './run-kit.js';

/**
 * resilience.md "Tools" through the built CLI: the echo server is SIGKILLed in the middle of
 * a non-idempotent call; the runner restarts it, tells the model the outcome is unknown,
 * serves the next call from the new process, and the run succeeds.
 */

const STACK_LINE = /^\s+at /m;
const TOOLBOX = `seclab-taskflow-agent:
  version: "1.0"
  filetype: toolbox

server_params:
  kind: stdio
  command: "{{ runner.node }}"
  args: ["{{ runner.root }}/dist/mcp-servers/echo.js"]
  env:
    TASKFLOW_ECHO_RESILIENCE_TOOLS: "1"
`;
const TASKFLOW = `seclab-taskflow-agent:
  version: "1.0"
  filetype: taskflow

taskflow:
  - task:
      name: survive-a-crash
      agents: [taskflow.personalities.assistant]
      toolboxes: [toolboxes.echo_diag]
      user_prompt: Write the markers.
  - task: { name: afterwards, run: echo still running }
`;

const NEVER_STARTS = `seclab-taskflow-agent:
  version: "1.0"
  filetype: toolbox

server_params:
  kind: stdio
  command: sh
  args: ["-c", 'echo attempt >> "$COUNTER"; echo "not ready yet" >&2; exit 1']
  env:
    COUNTER: "{{ env('COUNTER') }}"
`;

let server: FakeModelServer;
let sandbox: string;
let project: string;
/** Server pids a test saw; SIGKILLed afterwards so a failing test leaves nothing running. */
const pidsToReap: number[] = [];

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  project = path.join(sandbox, 'project');
  fs.mkdirSync(path.join(project, 'toolboxes'), { recursive: true });
  fs.writeFileSync(path.join(project, 'toolboxes', 'echo_diag.yaml'), TOOLBOX);
  fs.writeFileSync(path.join(project, 'flow.yaml'), TASKFLOW);
  fs.writeFileSync(path.join(project, 'toolboxes', 'never_starts.yaml'), NEVER_STARTS);
  fs.writeFileSync(
    path.join(project, 'stuck.yaml'),
    TASKFLOW.replace('toolboxes.echo_diag', 'toolboxes.never_starts'),
  );
});
afterEach(async () => {
  for (const pid of pidsToReap.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

function markerPids(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

/** Zombies count as gone: this VM's init does not reap re-parented children. */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2)[0] ?? 'X');
  } catch {
    return false;
  }
}

describe('taskflow run: a stdio server killed mid-call', () => {
  it('restarts it, does not re-execute the call, and the run exits 0', async () => {
    const first = path.join(sandbox, 'first-marker.txt');
    const second = path.join(sandbox, 'second-marker.txt');
    server.setHandler((request): FakeReply => {
      const done = toolResultsOf(request).length;
      if (done === 0) {
        return {
          kind: 'message',
          toolCalls: [{ name: 'echo_diag__write_marker', arguments: { file: first, ms: 30_000 } }],
        };
      }
      if (done === 1) {
        return {
          kind: 'message',
          toolCalls: [{ name: 'echo_diag__write_marker', arguments: { file: second } }],
        };
      }
      return { kind: 'message', text: 'Both markers handled.' };
    });
    const running = runTaskflow(server, sandbox, ['flow.yaml', '--output', 'jsonl'], {
      cwd: project,
      timeoutMs: 30_000,
    });
    const deadline = performance.now() + 20_000;
    while (markerPids(first).length === 0) {
      if (performance.now() > deadline) throw new Error('the marker call never started');
      await delay(20);
    }
    const [killedPid] = markerPids(first);
    pidsToReap.push(killedPid ?? 0);
    process.kill(killedPid ?? 0, 'SIGKILL');

    const result = await running;
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code, result.stderr).toBe(0);
    const events = contractEvents(result.stdout);
    expect(ofType(events, 'task-end').map((event) => event.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect(ofType(events, 'tool-call-end').map((event) => event.status)).toEqual(['error', 'ok']);

    // The model was told the outcome is unknown; the call was not re-executed.
    const told = toolResultsOf(server.requests[1]!)[0]?.output;
    expect(told).toBe(
      'error: the "echo_diag" server stopped during the call (server was killed by SIGKILL); ' +
        'outcome unknown. The server was restarted for later calls. The call was not ' +
        're-executed because the server does not mark the tool read-only or idempotent.',
    );
    expect(markerPids(first)).toEqual([killedPid]);
    // The next call reached a new process, which the runner stopped at the end.
    const [restartedPid] = markerPids(second);
    pidsToReap.push(restartedPid ?? 0);
    expect(toolResultsOf(server.requests[2]!)[1]?.output).toBe('marker 1');
    expect(restartedPid).not.toBe(killedPid);
    expect(isRunning(restartedPid ?? 0)).toBe(false);
    expect(server.requests).toHaveLength(3);
  }, 40_000);

  it("fails the task on the third crash with the server's last stderr; the run exits 1", async () => {
    server.setHandler((): FakeReply => ({
      kind: 'message',
      toolCalls: [{ name: 'echo_diag__crash', arguments: {} }],
    }));
    const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'jsonl'], {
      cwd: project,
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code, result.stderr).toBe(1);
    const events = contractEvents(result.stdout);
    const [crashed, afterwards] = ofType(events, 'task-end');
    expect(crashed?.status).toBe('failed');
    // The engine adds the error's detail lines (the stderr tail) below the message.
    expect(String(crashed?.error)).toMatch(
      /^toolbox "echo_diag" stopped 3 times during this task \(at most 2 restarts\): server exited with code 1 — last stderr: crash: exiting as asked\b/,
    );
    expect(afterwards).toMatchObject({ status: 'succeeded' });
    expect(server.requests).toHaveLength(3);
  }, 40_000);
});

describe('taskflow run: a server that fails to start', () => {
  it('Ctrl-C during the wait before the next attempt exits 130 promptly', async () => {
    const counter = path.join(sandbox, 'attempts.txt');
    const child = spawnCli(['run', 'stuck.yaml'], sandbox, {
      cwd: project,
      env: {
        AI_API_ENDPOINT: server.url,
        AI_API_TOKEN: 'test-token-run',
        TASKFLOW_DEFAULT_MODEL: 'fake-model',
        COUNTER: counter,
      },
    });
    child.stdin?.end();
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const deadline = performance.now() + 20_000;
    while (!fs.existsSync(counter)) {
      if (performance.now() > deadline) throw new Error('the toolbox was never started');
      await delay(20);
    }
    // The first attempt failed; the runner now waits 5 s before the second.
    await delay(300);
    child.kill('SIGINT');
    const timeout = delay(2500).then(() => 'still running' as const);
    const outcome = await Promise.race([exited, timeout]);
    if (outcome === 'still running') child.kill('SIGKILL');
    expect(outcome, stderr).toBe(130);
    expect(fs.readFileSync(counter, 'utf8').trim().split('\n')).toEqual(['attempt']);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(server.requests).toHaveLength(0);
  });
});
