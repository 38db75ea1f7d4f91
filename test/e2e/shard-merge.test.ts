import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliResult } from './cli-harness.js';
import { copySessions, noteFlow, noteModel } from './shard-kit.js';
import {
  onlySession,
  runToEnd,
  sessionsRoot,
  useSessionsWorkspace,
  writeFlow,
} from './sessions-kit.js';

/**
 * `taskflow merge`: idempotent, and each refusal (another session, another fingerprint,
 * another branch list, two results for one branch) is one line naming the reason, with
 * the session left as it was.
 */

const workspace = useSessionsWorkspace({ handler: noteModel });

function toolEnvironment(sandbox: string): Record<string, string> {
  return {
    PARKED_LOG: path.join(sandbox, 'notes.log'),
    PARKED_FLAG: path.join(sandbox, 'no-flag'),
  };
}

async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const { server, sandbox, work } = workspace;
  return runToEnd(server, sandbox, args, {
    cwd: work,
    env: { ...toolEnvironment(sandbox), ...env },
  });
}

async function planNotes(count: number): Promise<string> {
  writeFlow(workspace.work, 'flow', noteFlow(count));
  const planned = await cli(['run', 'flow.yaml', '--until-fanout']);
  expect(planned.code, planned.stderr).toBe(0);
  return onlySession(workspace.sandbox);
}

/** Runs shard `spec` of session `id` in the session folder `root`. */
async function shard(id: string, spec: string, root: string): Promise<void> {
  const result = await cli(['resume', id, '--shard', spec, '--session-dir', root]);
  expect(result.code, result.stderr).toBe(0);
}

/** The bytes of a session's journal and manifest. */
function filesOf(id: string): string[] {
  const folder = path.join(sessionsRoot(workspace.sandbox), id);
  return ['journal.jsonl', 'manifest.json'].map((name) =>
    fs.readFileSync(path.join(folder, name), 'utf8'),
  );
}

/** A refusal: exit 1, one line on stderr matching `reason`, the session unchanged. */
async function expectRefusal(id: string, from: readonly string[], reason: RegExp): Promise<void> {
  const before = filesOf(id);
  const refused = await cli(['merge', id, '--from', ...from]);
  expect(refused.code, refused.stderr).toBe(1);
  const lines = refused.stderr.trim().split('\n');
  expect(lines, refused.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^taskflow: refusing to merge /);
  expect(lines[0]).toMatch(reason);
  expect(filesOf(id)).toEqual(before);
}

describe('taskflow merge', { timeout: 120_000 }, () => {
  it('merging the same shard twice changes nothing the second time', async () => {
    const id = await planNotes(4);
    const copy = copySessions(workspace.sandbox, 'shard-1');
    await shard(id, '1/2', copy);
    const first = await cli(['merge', id, '--from', copy]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/shard 1\/2 of task 2 "note each": branches 1, 3\b/);
    const merged = filesOf(id);
    const again = await cli(['merge', id, '--from', copy, copy]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/nothing new/);
    expect(filesOf(id)).toEqual(merged);
  });

  it('refuses a copy of another session', async () => {
    const id = await planNotes(4);
    const other = path.join(workspace.sandbox, 'other');
    const planned = await cli(['run', 'flow.yaml', '--until-fanout', '--session-dir', other]);
    expect(planned.code, planned.stderr).toBe(0);
    const otherId = fs.readdirSync(other).find((name) => /^[0-9a-f]{12}$/.test(name)) ?? '';
    await expectRefusal(id, [other], new RegExp(`another session \\(${otherId}, not ${id}\\)`));
    await expectRefusal(id, [path.join(other, otherId)], /another session/);
  });

  it('refuses a copy run with other taskflow files (another fingerprint)', async () => {
    const id = await planNotes(4);
    const copy = copySessions(workspace.sandbox, 'shard-1');
    const flowFile = path.join(workspace.work, 'flow.yaml');
    const original = fs.readFileSync(flowFile, 'utf8');
    // An edit of a task still to run: the shard accepts it and records the new fingerprint.
    fs.writeFileSync(flowFile, original.replace('Summarize', 'Sum up'));
    await shard(id, '1/2', copy);
    fs.writeFileSync(flowFile, original);
    await expectRefusal(id, [copy], /another fingerprint/);
  });

  it('refuses a copy that planned another branch list', async () => {
    const { work, sandbox } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: list items
      must_complete: true
      run: cat items.json
  - task:
      name: note each
      agents: [personalities.parker]
      repeat_prompt: true
      user_prompt: "Append note item-{{ result }}"
`,
    );
    // Without items.json the list fails: the session exists but nothing is planned yet.
    const failed = await cli(['run', 'flow.yaml', '--until-fanout']);
    expect(failed.code).toBe(1);
    const id = onlySession(sandbox);
    // Nothing is planned yet: a shard refuses with one line (exit 2) and runs nothing.
    const early = await cli(['resume', id, '--shard', '1/2']);
    expect(early.code).toBe(2);
    expect(early.stderr.trim()).toBe(
      `taskflow: session ${id} has no fan-out to shard: its next task, 1 "list items", is not a fan-out; plan the next fan-out with: taskflow resume ${id} --until-fanout`,
    );
    const elsewhere = copySessions(sandbox, 'elsewhere');
    fs.writeFileSync(path.join(work, 'items.json'), '[0, 1, 2]');
    expect((await cli(['resume', id, '--until-fanout'])).code).toBe(0);
    fs.writeFileSync(path.join(work, 'items.json'), '[5, 6, 7, 8]');
    const replanned = await cli(['resume', id, '--until-fanout', '--session-dir', elsewhere]);
    expect(replanned.code, replanned.stderr).toBe(0);
    await shard(id, '1/1', elsewhere);
    await expectRefusal(id, [elsewhere], /another branch list/);
  });

  it('refuses two different results for one branch', async () => {
    const { server, sandbox } = workspace;
    const id = await planNotes(4);
    const copies = ['one', 'two'].map((name) => copySessions(sandbox, name));
    await shard(id, '1/2', copies[0] ?? '');
    // The same shard run again elsewhere, where the model chose other notes.
    server.setHandler((request) => {
      const reply = noteModel(request);
      if (reply.kind !== 'message' || !reply.toolCalls) return reply;
      return {
        ...reply,
        toolCalls: reply.toolCalls.map((call) => ({ ...call, arguments: { note: 'other' } })),
      };
    });
    await shard(id, '1/2', copies[1] ?? '');
    expect((await cli(['merge', id, '--from', copies[0] ?? ''])).code).toBe(0);
    await expectRefusal(
      id,
      [copies[1] ?? ''],
      /branch 1 of task 2 "note each" has another result there/,
    );
  });
});
