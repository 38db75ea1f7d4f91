import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import {
  echoingModel,
  eventsOf,
  header,
  load,
  runLoaded,
  removeScratchFolders,
  scratchFolder,
  taskStatuses,
} from './engine-kit.js';

/** runTaskflow in-process: real model clients over HTTP to the fake server, real echo server. */

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});
beforeEach(() => {
  server.setHandler(echoingModel);
});

/** Requests received since `from`, as [model, last user text]. */
function requestsSince(from: number): [unknown, string | undefined][] {
  return server.requests.slice(from).map((request) => [request.body.model, lastUserText(request)]);
}

describe('uses', () => {
  const files = {
    'flows/base.yaml': `${header('taskflow')}
taskflow:
  - task:
      name: base-task
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      model: base-model
      inputs: { greeting: Hello, name: world }
      user_prompt: 'Echo "{{ inputs.greeting }}, {{ inputs.name }}"'
`,
    'flow.yaml': `${header('taskflow')}
taskflow:
  - task:
      uses: flows.base
      name: custom
      model: override-model
      inputs: { name: Ada }
  - task:
      uses: flows.base
`,
  };

  it('runs the used task with the using task’s fields and merged inputs', async () => {
    const folder = scratchFolder(files);
    const from = server.requests.length;
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(result.end.status).toBe('succeeded');
    expect(eventsOf(events, 'task-start').map((event) => event.taskName)).toEqual([
      'custom',
      'base-task',
    ]);
    expect(requestsSince(from)).toEqual([
      ['override-model', 'Echo "Hello, Ada"'],
      ['override-model', 'Echo "Hello, Ada"'],
      ['base-model', 'Echo "Hello, world"'],
      ['base-model', 'Echo "Hello, world"'],
    ]);
    // capture: tool_result (the default) -> the echo server's answer is the result.
    expect(result.outcomes.map((outcome) => outcome?.result?.value)).toEqual([
      'Hello, Ada',
      'Hello, world',
    ]);
  });
});

describe('outputs, id and over', () => {
  const flow = `${header('taskflow')}
taskflow:
  - task:
      name: inventory
      id: inv
      run: |
        echo '{"items": [{"n": 1}, {"n": "2"}]}'
      outputs:
        type: object
        required: [items]
        properties:
          items:
            type: array
            items:
              type: object
              properties: { n: { type: integer } }
  - task:
      name: each
      id: echoes
      repeat_prompt: true
      over: outputs.inv.items
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      user_prompt: 'Echo "n={{ result.n }}"'
  - task:
      name: report
      env:
        ECHOES: "{{ outputs.echoes | tojson }}"
        KIND: "{{ outputs.inv.items[1].n is number }}"
      run: |
        printf '{"echoes": %s, "kind": "%s"}' "$ECHOES" "$KIND"
`;

  it('validates, publishes outputs.<id> and iterates `over`', async () => {
    const folder = scratchFolder({ 'flow.yaml': flow });
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    // The schema's integer coerced "2" before publishing.
    expect(result.state.outputs.inv).toEqual({ items: [{ n: 1 }, { n: 2 }] });
    expect(eventsOf(events, 'task-start')[1]?.itemCount).toBe(2);
    expect(result.state.outputs.echoes).toEqual(['n=1', 'n=2']);
    // Jinja2 prints Python's True for the test result (seclab renders env values the same way).
    expect(result.outcomes[2]?.result?.value).toEqual({ echoes: ['n=1', 'n=2'], kind: 'True' });
  });

  it('fails a task whose result does not match, publishes nothing, and goes on', async () => {
    const folder = scratchFolder({
      'flow.yaml': `${header('taskflow')}
taskflow:
  - task:
      name: bad
      id: bad
      run: |
        echo '{"count": "many"}'
      outputs: { type: object, properties: { count: { type: integer } } }
  - task:
      name: needs-bad
      if: outputs.bad
      run: echo never
  - task:
      name: last
      run: echo last
`,
    });
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['failed', 'skipped', 'succeeded']);
    const error = eventsOf(events, 'task-end')[0]?.error;
    expect(error).toContain('task "bad": the result does not match its outputs schema');
    expect(error).toContain('/count');
    expect(result.state.outputs).toEqual({});
    expect(result.end).toMatchObject({ status: 'failed', failedTasks: [0] });
  });
});

describe('if', () => {
  it('skips tasks whose condition is false or undefined; a skip is not a failure', async () => {
    const folder = scratchFolder({
      'flow.yaml': `${header('taskflow')}
globals: { enabled: false }
taskflow:
  - task: { name: off, if: globals.enabled, run: touch off-ran }
  - task: { name: undefined-is-false, if: outputs.nothing, run: touch undefined-ran }
  - task: { name: on, if: not globals.enabled, run: touch on-ran }
`,
    });
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['skipped', 'skipped', 'succeeded']);
    expect(fs.readdirSync(folder).filter((name) => name.endsWith('-ran'))).toEqual(['on-ran']);
    expect(result.end.status).toBe('succeeded');
    // Skipped tasks still get a task-start (with no items) before their task-end.
    expect(
      events.map((event) => `${event.type}:${'taskIndex' in event ? event.taskIndex : ''}`),
    ).toEqual([
      'task-start:0',
      'task-end:0',
      'task-start:1',
      'task-end:1',
      'task-start:2',
      'task-end:2',
    ]);
  });

  it('fails (not stops the run) when the condition cannot be evaluated', async () => {
    const folder = scratchFolder({
      'flow.yaml': `${header('taskflow')}
taskflow:
  - task: { name: broken, if: "env('TASKFLOW_TEST_SURELY_UNSET')", run: touch broken-ran }
  - task: { name: after, run: touch after-ran }
`,
    });
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['failed', 'succeeded']);
    expect(eventsOf(events, 'task-end')[0]?.error).toContain('TASKFLOW_TEST_SURELY_UNSET');
    expect(fs.existsSync(path.join(folder, 'broken-ran'))).toBe(false);
    expect(result.end).toMatchObject({ status: 'failed', failedTasks: [0] });
  });
});

describe('timeout', () => {
  it('fails a prompt task whose model answers too late, cancels the request and goes on', async () => {
    server.setHandler(() => ({ kind: 'message', text: 'too late', latencyMs: 20_000 }));
    const folder = scratchFolder({
      'flow.yaml': `${header('taskflow')}
taskflow:
  - task:
      name: slow
      timeout: 300ms
      agents: [taskflow.personalities.assistant]
      user_prompt: take your time
  - task:
      name: next
      run: echo next
`,
    });
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['failed', 'succeeded']);
    expect(eventsOf(events, 'task-end')[0]?.error).toBe('task "slow" timed out after 300ms');
    expect(result.end).toMatchObject({ status: 'failed', failedTasks: [0] });
    expect(result.outcomes[1]?.result?.value).toBe('next\n');
    await vi.waitFor(() => expect(server.inFlight).toBe(0));
  });
});

describe('task environment', () => {
  it('reaches shell tasks, not MCP servers or later tasks, and never process.env', async () => {
    const before = { ...process.env };
    const folder = scratchFolder({
      'flow.yaml': `${header('taskflow')}
globals: { token: s3cret-value }
taskflow:
  - task:
      name: shell-sees-env
      env:
        TASK_ONLY_VARIABLE: "{{ globals.token }}"
        FROM_PARENT: "{{ env('PARENT_ONLY') }}-suffix"
      run: |
        printf '%s|%s|%s|%s' "$TASK_ONLY_VARIABLE" "$FROM_PARENT" "\${DENIED_VARIABLE:-unset}" "$PARENT_ONLY"
  - task:
      name: server-sees-minimal-env
      env:
        TASK_ONLY_VARIABLE: "{{ globals.token }}"
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.echo]
      user_prompt: check the environment
  - task:
      name: later-task
      run: printf '%s' "\${TASK_ONLY_VARIABLE:-unset}"
`,
    });
    server.setHandler((request) =>
      toolResultsOf(request).length === 0
        ? {
            kind: 'message',
            toolCalls: [{ name: 'echo__echo_env', arguments: { name: 'TASK_ONLY_VARIABLE' } }],
          }
        : { kind: 'message', text: 'checked' },
    );
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
      environment: {
        PARENT_ONLY: 'parent',
        DENIED_VARIABLE: 'denied',
        TASKFLOW_ENV_DENYLIST: 'DENIED_VARIABLE',
      },
    });
    expect(taskStatuses(events)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(result.outcomes.map((outcome) => outcome?.result?.value)).toEqual([
      's3cret-value|parent-suffix|unset|parent',
      '(unset)',
      'unset',
    ]);
    expect(process.env).toEqual(before);
    expect(process.env.TASK_ONLY_VARIABLE).toBeUndefined();
  });
});
