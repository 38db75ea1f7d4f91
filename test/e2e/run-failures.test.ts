import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import { makeSandbox } from './cli-harness.js';
import { contractEvents, diligentModel, ofType, runTaskflow } from './run-kit.js';

/**
 * Task failures end to end (execution.md "A run", cli.md "Exit codes"): a failed
 * must_complete task stops the run with exit 1; other failures are reported, the run goes
 * on and exits 1 at the end; a task skipped by `if` does not fail the run.
 */

const HEADER = 'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\n';

let server: FakeModelServer;
let sandbox: string;
let flows: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(diligentModel);
  sandbox = makeSandbox();
  flows = path.join(sandbox, 'flows');
  fs.mkdirSync(flows);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** Write `flow.yaml` in the working directory and run it there. */
function run(body: string, output: 'jsonl' | 'plain', extra: readonly string[] = []) {
  fs.writeFileSync(path.join(flows, 'flow.yaml'), `${HEADER}${body}`);
  return runTaskflow(server, sandbox, ['flow.yaml', '--output', output, ...extra], {
    cwd: flows,
  });
}

const markers = (): string[] =>
  fs
    .readdirSync(flows)
    .filter((name) => name.startsWith('marker-'))
    .sort();

function taskEnds(events: readonly Record<string, unknown>[]): unknown[][] {
  return ofType(events, 'task-end').map((event) => [event.taskIndex, event.status]);
}

describe('a failing must_complete task', () => {
  it('stops the run with exit 1: later shell and prompt tasks do not run', async () => {
    const result = await run(
      `
taskflow:
  - task: { name: prepare, run: touch marker-1 }
  - task:
      name: critical
      must_complete: true
      run: |
        echo "cannot continue" >&2
        exit 3
  - task: { name: after-shell, run: touch marker-3 }
  - task:
      name: after-prompt
      agents: [taskflow.personalities.assistant]
      user_prompt: this prompt must never be sent
`,
      'jsonl',
    );
    expect(result.code, result.stderr).toBe(1);
    const events = contractEvents(result.stdout);
    expect(taskEnds(events)).toEqual([
      [0, 'succeeded'],
      [1, 'failed'],
    ]);
    expect(ofType(events, 'task-start').map((event) => event.taskIndex)).toEqual([0, 1]);
    const failed = ofType(events, 'task-end')[1];
    expect(failed?.error).toBe('shell task exited with code 3');
    // The last stderr lines come with the failure.
    expect(failed?.stderr).toEqual(['cannot continue']);
    expect(ofType(events, 'taskflow-end')[0]).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(markers()).toEqual(['marker-1']);
    expect(server.requests).toEqual([]);
  });

  it('stops the run when an agent task fails (max_steps), naming it in plain output', async () => {
    const result = await run(
      `
taskflow:
  - task:
      name: critical-agent
      must_complete: true
      max_steps: 1
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      user_prompt: 'Echo "one step is not enough"'
  - task: { name: after, run: touch marker-after }
`,
      'plain',
    );
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/task 1 critical-agent failed .*max_steps \(1 model turns\)/);
    expect(result.stdout).not.toMatch(/task 2 after/);
    expect(result.stdout).toMatch(/taskflow flow\.yaml failed .*exit code 1/);
    expect(server.requests).toHaveLength(1);
    expect(markers()).toEqual([]);
  });
});

describe('a failing task without must_complete', () => {
  const flow = `
taskflow:
  - task:
      name: flaky-step
      run: |
        echo "flaky went wrong" >&2
        exit 4
  - task: { name: after-shell, run: touch marker-2 }
  - task:
      name: after-prompt
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      user_prompt: 'Echo "still running"'
`;

  it('is reported as failed in jsonl, later tasks run, and the run exits 1', async () => {
    const result = await run(flow, 'jsonl');
    expect(result.code, result.stderr).toBe(1);
    const events = contractEvents(result.stdout);
    expect(taskEnds(events)).toEqual([
      [0, 'failed'],
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
    expect(ofType(events, 'task-end')[0]).toMatchObject({
      taskName: 'flaky-step',
      error: expect.stringContaining('shell task exited with code 4') as string,
    });
    expect(ofType(events, 'taskflow-end')[0]).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(markers()).toEqual(['marker-2']);
    expect(server.requests).toHaveLength(2);
    expect(ofType(events, 'tool-call-end')).toEqual([
      expect.objectContaining({
        tool: 'echo_tool',
        status: 'ok',
        resultPreview: 'Tool echo: still running',
      }),
    ]);
  });

  it('is named in plain output with its error, and the run still exits 1', async () => {
    const result = await run(flow, 'plain');
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/task 1 flaky-step failed .*shell task exited with code 4/);
    expect(result.stdout).toMatch(/task 2 after-shell succeeded/);
    expect(result.stdout).toMatch(/task 3 after-prompt succeeded/);
    expect(result.stdout).toMatch(/taskflow flow\.yaml failed .*exit code 1/);
  });
});

describe('a task skipped by `if`', () => {
  const flow = `
globals: { optional: false }
taskflow:
  - task: { name: always, run: touch marker-always }
  - task: { name: optional-step, if: globals.optional, run: touch marker-optional }
  - task:
      name: final
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      user_prompt: 'Echo "done"'
`;

  it('does not fail the run: exit 0 when every task that ran succeeded', async () => {
    const result = await run(flow, 'jsonl');
    expect(result.code, result.stderr).toBe(0);
    const events = contractEvents(result.stdout);
    expect(taskEnds(events)).toEqual([
      [0, 'succeeded'],
      [1, 'skipped'],
      [2, 'succeeded'],
    ]);
    expect(ofType(events, 'taskflow-end')[0]).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(markers()).toEqual(['marker-always']);
  });

  it('runs when -g makes the condition true (a declared boolean)', async () => {
    const result = await run(flow, 'plain', ['-g', 'optional=true']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/task 2 optional-step succeeded/);
    expect(markers()).toEqual(['marker-always', 'marker-optional']);
  });
});

describe('a confirm tool without headless and without a terminal', () => {
  it('is denied with a warning event, the model is told why, and the run goes on', async () => {
    const result = await run(
      `
taskflow:
  - task:
      name: clear-without-approval
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.memcache]
      user_prompt: Clear the memory cache.
`,
      'jsonl',
    );
    expect(result.code, result.stderr).toBe(0);
    const events = contractEvents(result.stdout);
    expect(ofType(events, 'tool-call-end')).toEqual([
      expect.objectContaining({ tool: 'memcache_clear_cache', status: 'denied' }),
    ]);
    expect(ofType(events, 'warning').map((event) => event.message)).toEqual([
      expect.stringContaining('denied memcache.memcache_clear_cache: approval required'),
      // capture: tool_result found no result to capture.
      'task "clear-without-approval": no tool call returned a result; its result is the agent\'s answer',
    ]);
    expect(toolResultsOf(server.requests[1]!).map((answer) => answer.output)).toEqual([
      'tool call not allowed: approval required (run headless to allow)',
    ]);
  });
});
