import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, runCli } from './cli-harness.js';
import {
  answerItems,
  itemsFlow,
  manifestOf,
  onlySession,
  runToEnd,
  sessionIds,
  sessionsRoot,
  useSessionsWorkspace,
  writeFlow,
} from './sessions-kit.js';

/**
 * The session commands end to end (cli.md "Commands", "Exit codes"): the id printed at
 * start, `Resume with:` on a non-zero exit, `sessions list` / `show` / `show --json` / `rm`.
 */

const workspace = useSessionsWorkspace({ handler: answerItems });

const FAILING_FLOW = `
taskflow:
  - task:
      name: prepare
      run: echo ready
  - task:
      name: break
      run: exit 3
`;

describe('a run that fails', () => {
  it('prints the session id first and "Resume with" last; the session records the failure', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', FAILING_FLOW);
    const result = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(result.code).toBe(1);
    const id = onlySession(sandbox);
    expect(result.stdout.split('\n')[0]).toContain(`session ${id}`);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`Resume with: taskflow resume ${id}`);
    const manifest = manifestOf(sandbox, id) as {
      status: string;
      error?: { code: string; task?: number };
    };
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ task: 1 });
  });

  it('names the session in the first jsonl event; a successful run prints no "Resume with"', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', itemsFlow(1));
    const result = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'jsonl'], {
      cwd: work,
    });
    expect(result.code, result.stderr).toBe(0);
    const [first] = parseJsonl(result.stdout);
    expect(first).toMatchObject({ type: 'taskflow-start', sessionId: onlySession(sandbox) });
    expect(result.stderr).not.toContain('Resume with');
  });
});

describe('taskflow sessions', () => {
  it('lists, shows (text and --json) and removes sessions', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', itemsFlow(2));
    writeFlow(work, 'broken', FAILING_FLOW);
    const ok = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(ok.code, ok.stderr).toBe(0);
    const [succeededId] = sessionIds(sandbox) as [string];
    const failed = await runToEnd(server, sandbox, ['run', 'broken.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(failed.code).toBe(1);
    const failedId = sessionIds(sandbox).find((id) => id !== succeededId) as string;

    const list = await runCli(['sessions', 'list'], sandbox);
    expect(list.code, list.stderr).toBe(0);
    const rows = list.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+STATUS\s+TASKS\s+UPDATED\s+TASKFLOW$/);
    // Most recently updated first.
    expect(rows[1]).toMatch(new RegExp(`^${failedId}\\s+failed\\s+1/2\\s+\\S+Z\\s+broken\\.yaml$`));
    expect(rows[2]).toMatch(
      new RegExp(`^${succeededId}\\s+succeeded\\s+3/3\\s+\\S+Z\\s+flow\\.yaml$`),
    );

    const listJson = await runCli(['sessions', 'list', '--json'], sandbox);
    expect(JSON.parse(listJson.stdout)).toMatchObject([
      { id: failedId, status: 'failed', tasksDone: 1, tasksTotal: 2, inUse: false },
      { id: succeededId, status: 'succeeded', tasksDone: 3, tasksTotal: 3, inUse: false },
    ]);

    const show = await runCli(['sessions', 'show', failedId.slice(0, 6)], sandbox);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`session   ${failedId}`);
    expect(show.stdout).toContain(`taskflow  broken.yaml (${path.join(work, 'broken.yaml')})`);
    expect(show.stdout).toContain('status    failed');
    expect(show.stdout).toMatch(/error {5}.*exit.*3/);
    expect(show.stdout).toMatch(/ {3}1\. prepare {2}succeeded/);
    expect(show.stdout).toMatch(/ {3}2\. break {2}failed/);

    const shown = await runCli(['sessions', 'show', succeededId, '--json'], sandbox);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(manifestOf(sandbox, succeededId));
    expect(JSON.parse(shown.stdout)).toMatchObject({
      status: 'succeeded',
      tasks: [
        { status: 'succeeded' },
        { status: 'succeeded', items: { total: 2, succeeded: 2 } },
        {},
      ],
    });

    const removed = await runCli(['sessions', 'rm', failedId], sandbox);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`removed session ${failedId}\n`);
    expect(fs.existsSync(path.join(sessionsRoot(sandbox), failedId))).toBe(false);
    expect(sessionIds(sandbox)).toEqual([succeededId]);

    const unknown = await runCli(['sessions', 'rm', failedId], sandbox);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no session ${failedId}`);
    const resumeUnknown = await runCli(['resume', failedId], sandbox);
    expect(resumeUnknown.code).toBe(1);
    expect(resumeUnknown.stderr).toContain(`no session ${failedId}`);
  });
});
