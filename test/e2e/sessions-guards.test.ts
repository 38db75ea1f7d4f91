import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';
import {
  answerItems,
  crash,
  crashAfterItems,
  isSummary,
  itemOf,
  itemsFlow,
  modelRequests,
  onlySession,
  runToEnd,
  sessionsRoot,
  startCli,
  useSessionsWorkspace,
  waitFor,
  writeFlow,
} from './sessions-kit.js';

/**
 * What `taskflow resume` refuses or skips (sessions.md "Resume" 1-3, "Write protocol"):
 * a finished session, edits to finished tasks (exit 78 unless --force), new globals
 * (exit 2), and a session another live process holds (a stale lock of a killed one is
 * taken over).
 */

const workspace = useSessionsWorkspace({ handler: answerItems, flow: itemsFlow(3) });

const resume = (id: string, ...extra: string[]) =>
  runToEnd(workspace.server, workspace.sandbox, ['resume', id, '--output', 'plain', ...extra], {
    cwd: workspace.work,
  });

describe('resume of a session that needs nothing', () => {
  it('says the session finished and exits 0 without a request', async () => {
    const { server, sandbox, work } = workspace;
    const run = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(run.code, run.stderr).toBe(0);
    const id = onlySession(sandbox);
    const before = server.requests.length;
    const result = await resume(id);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`session ${id} (flow.yaml) already finished successfully`);
    expect(server.requests.length).toBe(before);
  });
});

describe('resume after the taskflow changed', () => {
  // Before per-task fingerprints any changed file was refused; now only edits to work the
  // session keeps are (test/compat/resume-edits.test.ts covers the allowed edits).
  it('refuses an edit to a finished task with exit 78 naming it; --force resumes at task granularity', async () => {
    const { server, sandbox, work } = workspace;
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    const flow = path.join(work, 'flow.yaml');
    fs.writeFileSync(
      flow,
      fs.readFileSync(flow, 'utf8').replace("printf ']'", "printf ']' # edited"),
    );
    const before = modelRequests(server).length;

    const refused = await resume(id);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain('the taskflow changed where the run already did work');
    expect(refused.stderr).toContain('task 1 "list items" (finished): run changed');
    expect(refused.stderr).toContain(`modified: ${flow}`);
    expect(refused.stderr).toContain('--force');
    expect(modelRequests(server).length).toBe(before);
    expect(fs.existsSync(path.join(sessionsRoot(sandbox), id, 'lock'))).toBe(false);

    const forced = await resume(id, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout + forced.stderr).toContain('resuming at task granularity');
    // The shell task finished before and is reused; the unfinished task starts afresh.
    const requests = modelRequests(server).slice(before);
    expect(requests.filter((request) => !isSummary(request)).map(itemOf)).toEqual([0, 1, 2]);
    expect(requests.filter(isSummary)).toHaveLength(1);

    // The forced run is the session's new baseline: no longer "changed".
    const again = await resume(id);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already finished successfully');
  });

  it('resumes item by item when files changed but no definition did (a comment)', async () => {
    const { server, sandbox, work } = workspace;
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    fs.appendFileSync(path.join(work, 'flow.yaml'), '# edited after the run began\n');
    fs.appendFileSync(path.join(work, 'personalities', 'plain.yaml'), '# edited too\n');
    const before = modelRequests(server).length;

    const result = await resume(id);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("files changed since the run began, no task's definition");
    expect(result.stderr).toContain(`modified: ${path.join(work, 'flow.yaml')}`);
    const requests = modelRequests(server).slice(before);
    expect(requests.filter((request) => !isSummary(request)).map(itemOf)).toEqual([1, 2]);
  });
});

describe('resume with new globals', () => {
  it('is refused with exit 2: a resumed run is the same run', async () => {
    const { server, sandbox, work } = workspace;
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    const result = await resume(id, '-g', 'name=other');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('resume cannot change globals (-g)');
    expect(fs.existsSync(path.join(sessionsRoot(sandbox), id, 'lock'))).toBe(true);
  });
});

describe('two processes resuming one session', () => {
  it('fails the second naming the holder pid; a killed holder leaves a lock the next resume takes over', async () => {
    const { server, sandbox, work } = workspace;
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    let parked = false;
    server.setHandler((request) => {
      if (!isSummary(request) && itemOf(request) === 1) {
        parked = true;
        return { kind: 'stall' };
      }
      return answerItems(request);
    });
    const holder = startCli(server, sandbox, ['resume', id, '--output', 'plain'], { cwd: work });
    await waitFor('the holder to send item 1', () => parked);
    const lockPath = path.join(sessionsRoot(sandbox), id, 'lock');
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: holder.child.pid });

    const second = await resume(id);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`session ${id} is in use by process ${holder.child.pid}`);

    const listed = await runCli(['sessions', 'list'], sandbox);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+running \\(in use\\)`));

    await crash(holder);
    server.setHandler(answerItems);
    const before = modelRequests(server).length;
    const third = await resume(id);
    expect(third.code, third.stderr).toBe(0);
    const requests = modelRequests(server).slice(before);
    expect(requests.filter((request) => !isSummary(request)).map(itemOf)).toEqual([1, 2]);
    expect(fs.existsSync(lockPath)).toBe(false);
  });
});

describe('resume from another folder', () => {
  it('loads definitions and runs shell tasks where the run started', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `${itemsFlow(3).trimEnd()}
  - task:
      name: where
      run: pwd > where.txt
`,
    );
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    const result = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: sandbox,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain(`resuming in ${work}, where the run started`);
    expect(fs.readFileSync(path.join(work, 'where.txt'), 'utf8').trim()).toBe(work);
  });

  it('resumes when a reference now resolves to an identical file elsewhere, listing both', async () => {
    const { server, sandbox, work } = workspace;
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    const shadow = path.join(sandbox, 'shadow');
    fs.mkdirSync(path.join(shadow, 'personalities'), { recursive: true });
    fs.copyFileSync(
      path.join(work, 'personalities', 'plain.yaml'),
      path.join(shadow, 'personalities', 'plain.yaml'),
    );
    const before = modelRequests(server).length;
    const result = await resume(id, '--path', shadow);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `added: ${path.join(shadow, 'personalities', 'plain.yaml')} (a reference now resolves to this file)`,
    );
    expect(result.stderr).toContain(
      `no longer loaded: ${path.join(work, 'personalities', 'plain.yaml')}`,
    );
    const requests = modelRequests(server).slice(before);
    expect(requests.filter((request) => !isSummary(request)).map(itemOf)).toEqual([1, 2]);
  });
});
