import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastUserText } from '../fakes/fake-model-server.js';
import { runCli } from '../e2e/cli-harness.js';
import {
  manifestOf,
  modelRequests,
  onlySession,
  runToEnd,
  sessionIds,
  sessionsRoot,
  useSessionsWorkspace,
  writeFlow,
} from '../e2e/sessions-kit.js';

/**
 * seclab's session checkpoints (session.py; tests/test_session.py, test_session_edge.py) as
 * seen from outside: the id, what a session keeps (taskflow, -g globals, the last tool
 * results for repeat_prompt), resuming after the completed tasks, finished and failed
 * sessions, listing. taskflow's sessions are journals rather than one JSON file per
 * session; the README lists the differences (a failed task is run again on resume, a
 * session whose task failed is not "finished", exit codes).
 */

const workspace = useSessionsWorkspace({
  handler: (request) => ({ kind: 'message', text: `done: ${lastUserText(request)}` }),
});

const cli = (...args: string[]) =>
  runToEnd(workspace.server, workspace.sandbox, [...args, '--output', 'plain'], {
    cwd: workspace.work,
  });

/** Task 1 records its run and returns ["r1"]; task 2 iterates it with a -g global. */
const TWO_TASKS = `
taskflow:
  - task:
      name: first
      run: |
        echo run >> runs.txt
        echo '["r1"]'
  - task:
      name: each result
      agents: [personalities.plain]
      repeat_prompt: true
      user_prompt: "Use {{ result }} with {{ globals.FOO }}"
`;

describe('a session through failure and resume (test_create_session, test_record_task_advances_index, test_save_and_load)', () => {
  it('keeps the taskflow, -g globals and the last tool result; resume starts after the completed task', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', TWO_TASKS);
    server.setHandler(() => ({ kind: 'error', status: 400 }));
    const failed = await cli('-t', 'flow.yaml', '-g', 'FOO=bar');
    expect(failed.code).toBe(1);
    const id = onlySession(sandbox);
    // session_id: 12 characters (uuid4 hex in seclab; random lowercase hex here).
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(failed.stdout + failed.stderr).toContain(id);
    expect(failed.stderr).toContain(`Resume with: taskflow resume ${id}`);
    // test_mark_failed: the error is kept and the session is not finished.
    const manifest = manifestOf(sandbox, id) as {
      taskflow: { reference: string };
      globals: Record<string, unknown>;
      status: string;
      error?: { message: string };
      tasks: { status: string }[];
    };
    expect(manifest.taskflow.reference).toBe('flow.yaml');
    expect(manifest.globals).toEqual({ FOO: 'bar' });
    expect(manifest.status).toBe('failed');
    expect(manifest.error?.message).toBeTruthy();
    expect(manifest.tasks.map((task) => task.status)).toEqual(['succeeded', 'failed']);

    server.setHandler((request) => ({ kind: 'message', text: `done: ${lastUserText(request)}` }));
    const before = modelRequests(server).length;
    const resumed = await cli('--resume', id);
    expect(resumed.code, resumed.stderr).toBe(0);
    // next_task_index: the completed task is not run again; last_tool_results ["r1"] and
    // cli_globals {"FOO": "bar"} come from the session.
    expect(fs.readFileSync(path.join(work, 'runs.txt'), 'utf8')).toBe('run\n');
    expect(modelRequests(server).slice(before).map(lastUserText)).toEqual(['Use r1 with bar']);
    expect(manifestOf(sandbox, id)).toMatchObject({ status: 'succeeded' });
  });
});

describe('finished and missing sessions', () => {
  it('test_mark_finished: resuming a finished session says so, exits 0 and runs nothing', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', TWO_TASKS);
    const run = await cli('-t', 'flow.yaml', '-g', 'FOO=x');
    expect(run.code, run.stderr).toBe(0);
    const id = onlySession(sandbox);
    const before = server.requests.length;
    const resumed = await cli('--resume', id);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`session ${id} (flow.yaml) already finished successfully`);
    expect(server.requests.length).toBe(before);
  });

  it('test_load_missing_raises: an unknown id is a one-line error naming it', async () => {
    const result = await cli('--resume', 'nonexistent-id');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no session nonexistent-id');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('listing sessions (test_list_sessions, test_list_sessions_skips_corrupt_files)', () => {
  it('lists every session; a stray corrupt file is skipped', async () => {
    const { sandbox, work } = workspace;
    writeFlow(work, 'flow', TWO_TASKS);
    expect((await cli('-t', 'flow.yaml', '-g', 'FOO=1')).code).toBe(0);
    expect((await cli('-t', 'flow.yaml', '-g', 'FOO=2')).code).toBe(0);
    fs.writeFileSync(path.join(sessionsRoot(sandbox), 'corrupt.json'), '{invalid json!!');
    const ids = sessionIds(sandbox);
    expect(ids).toHaveLength(2);

    const listed = await runCli(['sessions', 'list'], sandbox);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    for (const id of ids) expect(listed.stdout).toMatch(new RegExp(`${id}\\s+succeeded\\s+2/2`));
    expect(listed.stdout).not.toContain('corrupt');
  });
});

describe('a task that failed without must_complete (test_multiple_record_task_accumulate)', () => {
  it('is run again on resume (seclab records it as completed and moves on); finished ones are not', async () => {
    const { sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: t0
      run: echo t0 >> runs.txt
  - task:
      name: t1
      run: |
        echo t1 >> runs.txt
        test -f fixed.flag
  - task:
      name: t2
      run: echo t2 >> runs.txt
`,
    );
    const failed = await cli('-t', 'flow.yaml');
    // seclab: exit 0 and a finished session; here the run continues past t1, then exits 1.
    expect(failed.code).toBe(1);
    const id = onlySession(sandbox);
    expect(fs.readFileSync(path.join(work, 'runs.txt'), 'utf8')).toBe('t0\nt1\nt2\n');
    expect(
      (manifestOf(sandbox, id) as { tasks: { status: string }[] }).tasks.map((task) => task.status),
    ).toEqual(['succeeded', 'failed', 'succeeded']);

    fs.writeFileSync(path.join(work, 'fixed.flag'), '');
    const resumed = await cli('--resume', id);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'runs.txt'), 'utf8')).toBe('t0\nt1\nt2\nt1\n');
  });
});
