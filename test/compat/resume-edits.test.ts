import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastUserText, messagesOf } from '../fakes/fake-model-server.js';
import {
  answerItems,
  crash,
  crashAfterItems,
  isSummary,
  itemOf,
  itemsFlow,
  journalOf,
  manifestOf,
  modelRequests,
  onlySession,
  runToEnd,
  startCli,
  useSessionsWorkspace,
  waitFor,
  writeFlow,
} from '../e2e/sessions-kit.js';

/**
 * `--resume` (and `taskflow resume`) after the taskflow was edited. seclab re-reads the file
 * and continues after its last completed task, whatever changed. taskflow continues with the
 * edited file too when the edit touches only work still to do — a task that failed or was
 * interrupted, its unfinished items, later tasks, added tasks — and lists the edits in a
 * warning. An edit to a finished task, or to the item list of the fan-out in progress
 * (its finished items are matched by position), still needs --force.
 */

const workspace = useSessionsWorkspace({ handler: answerItems });

const cli = (...args: string[]) =>
  runToEnd(workspace.server, workspace.sandbox, [...args, '--output', 'plain'], {
    cwd: workspace.work,
  });

function edit(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  fs.writeFileSync(file, text.replace(from, to));
}

describe('a task that had not finished, fixed', () => {
  it('a failed shell task runs as edited; the finished task before it is not run again', async () => {
    const { server, sandbox, work } = workspace;
    const flow = writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: count runs
      run: |
        echo run >> runs.txt
        echo '["a"]'
  - task:
      name: fix me
      must_complete: true
      run: |
        exit 3
  - task:
      name: after
      agents: [personalities.plain]
      user_prompt: Say done
`,
    );
    const failed = await cli('-t', 'flow.yaml');
    expect(failed.code, failed.stderr).toBe(1);
    const id = onlySession(sandbox);
    expect(modelRequests(server)).toHaveLength(0);

    edit(flow, 'exit 3', 'echo fixed');
    const resumed = await cli('--resume', id);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      'resuming with the edited taskflow: task 2 "fix me" (in progress): run changed',
    );
    expect(fs.readFileSync(path.join(work, 'runs.txt'), 'utf8')).toBe('run\n');
    expect(modelRequests(server).map(lastUserText)).toEqual(['Say done']);
    expect(manifestOf(sandbox, id)).toMatchObject({ status: 'succeeded' });
  });

  it('the fan-out in progress keeps its finished items; the others, later and added tasks run as edited', async () => {
    const { server, sandbox, work } = workspace;
    const flow = writeFlow(work, 'flow', itemsFlow(3));
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    edit(flow, '"Answer item-{{ result }}"', '"Answer briefly item-{{ result }}"');
    edit(flow, '"Summarize {{', '"Summarize briefly {{');
    fs.appendFileSync(
      flow,
      `  - task:
      name: appended
      run: |
        echo appended > appended.txt
`,
    );
    const before = modelRequests(server).length;

    const resumed = await cli('resume', id);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const line of [
      'task 2 "answer each" (in progress): user_prompt changed (its finished items are kept; unfinished items whose prompt changed start afresh)',
      'task 3 "summarize" (not started): user_prompt changed',
      'task 4 "appended" (not started): added',
    ]) {
      expect(resumed.stderr).toContain(`resuming with the edited taskflow: ${line}`);
    }
    const requests = modelRequests(server).slice(before);
    // Item 0 finished before the crash: not asked again.
    expect(requests.filter((request) => !isSummary(request)).map(lastUserText)).toEqual([
      'Answer briefly item-1',
      'Answer briefly item-2',
    ]);
    const summary = requests.filter(isSummary).map(lastUserText);
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(/^Summarize briefly .*answer-0.*answer-1.*answer-2/);
    expect(fs.readFileSync(path.join(work, 'appended.txt'), 'utf8')).toBe('appended\n');
    const manifest = manifestOf(sandbox, id) as { status: string; tasks: { name: string }[] };
    expect(manifest.status).toBe('succeeded');
    expect(manifest.tasks.map((task) => task.name)).toEqual([
      'list items',
      'answer each',
      'summarize',
      'appended',
    ]);
  });

  it('an unfinished item whose prompt changed starts afresh instead of continuing its conversation', async () => {
    const { server, sandbox, work } = workspace;
    const flow = writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: ponder
      agents: [personalities.plain]
      user_prompt: Ponder item-0
`,
    );
    // An empty reply is a committed turn; the nudge that follows is parked, then killed.
    let asked = 0;
    server.setHandler(() => (++asked === 1 ? { kind: 'message', text: '' } : { kind: 'stall' }));
    const running = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    await waitFor('the nudge request', () => asked === 2);
    const id = onlySession(sandbox);
    await waitFor('the committed turn', () =>
      journalOf(sandbox, id).some((line) => line.type === 'turn-commit'),
    );
    await crash(running);

    edit(flow, 'Ponder item-0', 'Ponder item-0 again');
    server.setHandler(() => ({ kind: 'message', text: 'pondered' }));
    const before = modelRequests(server).length;
    const resumed = await cli('--resume', id);
    expect(resumed.code, resumed.stderr).toBe(0);
    const [request, ...rest] = modelRequests(server).slice(before);
    expect(rest).toHaveLength(0);
    // Only the edited prompt: no empty assistant turn, no nudge from the first run.
    const conversation = messagesOf(request ?? ({} as never)).filter(
      (message) => message.role !== 'system' && message.role !== 'developer',
    );
    expect(conversation).toEqual([{ role: 'user', content: 'Ponder item-0 again' }]);
  });
});

describe('edits that still need --force', () => {
  it('an edit to a finished task or to the recorded item list is refused (78); --force resumes at task granularity', async () => {
    const { server, sandbox, work } = workspace;
    const flow = writeFlow(work, 'flow', itemsFlow(3));
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    edit(flow, "printf ']'", "printf ']' # edited");
    edit(flow, 'repeat_prompt: true', 'repeat_prompt: true\n      over: "[5, 6]"');
    const before = modelRequests(server).length;

    const refused = await cli('--resume', id);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain('refusing to resume (use --force');
    expect(refused.stderr).toContain('task 1 "list items" (finished): run changed');
    expect(refused.stderr).toContain(
      'task 2 "answer each" (in progress): over changed; its recorded item list depends on over',
    );
    expect(modelRequests(server)).toHaveLength(before);

    const forced = await cli('--resume', id, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('--force: resuming at task granularity although task 1');
    // The finished shell task is reused as it ran; the fan-out starts afresh on the new list.
    const requests = modelRequests(server).slice(before);
    expect(requests.filter((request) => !isSummary(request)).map(itemOf)).toEqual([5, 6]);
  });
});
