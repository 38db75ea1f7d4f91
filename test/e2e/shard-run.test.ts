import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import {
  branchNames,
  copySessions,
  endEvent,
  logLines,
  noteBranches,
  noteFlow,
  noteModel,
  outcomeOf,
  requestsSince,
  shardBranches,
  shardServers,
  unshardedRun,
} from './shard-kit.js';
import {
  isSummary,
  manifestOf,
  modelRequests,
  onlySession,
  runToEnd,
  sessionsRoot,
  useSessionsWorkspace,
  writeFlow,
} from './sessions-kit.js';

/**
 * scale-out.md "Shards": plan once, run shards as resumes of copies of the session, merge
 * them back, resume to the end — with the results of an unsharded run and every branch's
 * requests and side effects made once.
 */

const workspace = useSessionsWorkspace({ handler: noteModel });

/** Side-effect log and a flag file never created (the parked tools answer at once). */
function toolEnvironment(sandbox: string, log: string): Record<string, string> {
  return { PARKED_LOG: path.join(sandbox, log), PARKED_FLAG: path.join(sandbox, 'no-flag') };
}

/** `taskflow run flow.yaml --until-fanout`; returns the session id. */
async function plan(env: Record<string, string>): Promise<string> {
  const { server, sandbox, work } = workspace;
  const planned = await runToEnd(
    server,
    sandbox,
    ['run', 'flow.yaml', '--until-fanout', '--output', 'jsonl'],
    { cwd: work, env },
  );
  expect(planned.code, planned.stderr).toBe(0);
  const id = onlySession(sandbox);
  expect(endEvent(planned)).toMatchObject({ status: 'planned', sessionId: id, exitCode: 0 });
  expect(manifestOf(sandbox, id).status).toBe('planned');
  return id;
}

/**
 * Runs shard k/N of session `id` from copy k with fake server k, one after the other, and
 * merges the copies into the sandbox's session folder. Returns each shard's note branches.
 */
async function shardAndMerge(
  id: string,
  servers: readonly FakeModelServer[],
  env: Record<string, string>,
  label: string,
): Promise<string[][]> {
  const { server, sandbox, work } = workspace;
  const copies = servers.map((_, index) => copySessions(sandbox, `${label}-${index + 1}`));
  const requested: string[][] = [];
  for (const [index, shardServer] of servers.entries()) {
    const before = modelRequests(shardServer).length;
    const shard = await runToEnd(
      shardServer,
      sandbox,
      [
        'resume',
        id,
        '--shard',
        `${index + 1}/${servers.length}`,
        '--session-dir',
        copies[index] ?? '',
        '--output',
        'jsonl',
      ],
      { cwd: work, env },
    );
    expect(shard.code, shard.stderr).toBe(0);
    expect(endEvent(shard)).toMatchObject({ status: 'sharded', sessionId: id });
    requested.push(noteBranches(requestsSince(shardServer, before)));
  }
  const merged = await runToEnd(server, sandbox, ['merge', id, '--from', ...copies], {
    cwd: work,
  });
  expect(merged.code, merged.stderr).toBe(0);
  return requested;
}

const twice = (names: readonly string[]): string[] => names.flatMap((name) => [name, name]).sort();

// Each test runs the CLI ten to twenty times.
describe('a fan-out sharded across copies of its session', { timeout: 120_000 }, () => {
  it('plan, three shards at once, merge and resume: the results of an unsharded run, each branch requested and each side effect made once', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(9));
    const baseline = await unshardedRun(
      server,
      sandbox,
      work,
      toolEnvironment(sandbox, 'unsharded.log'),
    );
    const env = toolEnvironment(sandbox, 'sharded.log');
    const planFrom = modelRequests(server).length;
    const id = await plan(env);
    expect(requestsSince(server, planFrom)).toEqual([]);
    expect(logLines(env.PARKED_LOG ?? '')).toEqual([]);

    const copies = [1, 2, 3].map((shard) => copySessions(sandbox, `shard-${shard}`));
    const servers = await shardServers(3);
    try {
      const summaries = copies.map((_, index) => path.join(sandbox, `summary-${index + 1}.md`));
      const shards = await Promise.all(
        copies.map((copy, index) =>
          runToEnd(
            servers[index] as FakeModelServer,
            sandbox,
            ['resume', id, '--shard', `${index + 1}/3`, '--session-dir', copy, '--output', 'jsonl'],
            { cwd: work, env: { ...env, GITHUB_STEP_SUMMARY: summaries[index] } },
          ),
        ),
      );
      const names = branchNames(9, ['fake-model']);
      for (const [index, shard] of shards.entries()) {
        expect(shard.code, shard.stderr).toBe(0);
        expect(endEvent(shard)).toMatchObject({ status: 'sharded', sessionId: id, exitCode: 0 });
        // Two requests per branch (the tool call, then the answer), none for later tasks.
        expect(noteBranches(modelRequests(servers[index] as FakeModelServer))).toEqual(
          twice(shardBranches(names, index + 1, 3)),
        );
        const items = shardBranches(names, index + 1, 3)
          .map((name) => Number(name.split('@')[0]) + 1)
          .sort((a, b) => a - b);
        expect(fs.readFileSync(summaries[index] ?? '', 'utf8')).toContain(
          `shard ${index + 1}/3 of task 2 "note each": branches ${items.join(', ')}`,
        );
      }

      const mergeSummary = path.join(sandbox, 'summary-merge.md');
      const merged = await runToEnd(server, sandbox, ['merge', id, '--from', ...copies], {
        cwd: work,
        env: { GITHUB_STEP_SUMMARY: mergeSummary },
      });
      expect(merged.code, merged.stderr).toBe(0);
      expect(merged.stdout).toContain('shard 1/3');
      expect(fs.readFileSync(mergeSummary, 'utf8')).toMatch(
        /shard 3\/3 of task 2.*branches 3, 6, 9/,
      );
      const shown = await runToEnd(server, sandbox, ['sessions', 'show', id], { cwd: work });
      expect(shown.stdout).toMatch(
        /shard 1\/3 of task 2 "note each": branches 1, 4, 7 .*3 succeeded.*merged/,
      );
      expect(shown.stdout).toMatch(/shard 2\/3 of task 2 "note each": branches 2, 5, 8 /);

      const finalFrom = modelRequests(server).length;
      const final = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
        cwd: work,
        env,
      });
      expect(final.code, final.stderr).toBe(0);
      expect(requestsSince(server, finalFrom).map(isSummary)).toEqual([true]);
      expect(outcomeOf(sessionsRoot(sandbox), id)).toEqual(baseline);
      const allShards = servers.flatMap((shardServer) => noteBranches(modelRequests(shardServer)));
      expect(allShards.sort()).toEqual(twice(names));
      expect(logLines(env.PARKED_LOG ?? '').sort()).toEqual(
        names.map((name) => `append_note item-${name}`).sort(),
      );
    } finally {
      await Promise.all(servers.map((shardServer) => shardServer.close()));
    }
  });

  it.each([
    { kind: 'models', items: 1, models: ['alpha', 'beta', 'gamma', 'delta', 'epsilon'] },
    { kind: 'items × models', items: 3, models: ['alpha', 'beta'] },
  ])('a fan-out over $kind is sharded by branch ordinal like any other', async (fanOut) => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      noteFlow(fanOut.items, { models: fanOut.models, items: fanOut.kind !== 'models' }),
    );
    const baseline = await unshardedRun(
      server,
      sandbox,
      work,
      toolEnvironment(sandbox, 'unsharded.log'),
    );
    const env = toolEnvironment(sandbox, 'sharded.log');
    const id = await plan(env);
    const servers = await shardServers(3);
    try {
      const names = branchNames(fanOut.items, fanOut.models);
      const requested = await shardAndMerge(id, servers, env, 'shard');
      expect(requested).toEqual([1, 2, 3].map((shard) => twice(shardBranches(names, shard, 3))));
      const finalFrom = modelRequests(server).length;
      const final = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
        cwd: work,
        env,
      });
      expect(final.code, final.stderr).toBe(0);
      expect(requestsSince(server, finalFrom).map(isSummary)).toEqual([true]);
      expect(outcomeOf(sessionsRoot(sandbox), id)).toEqual(baseline);
      expect(logLines(env.PARKED_LOG ?? '')).toHaveLength(names.length);
    } finally {
      await Promise.all(servers.map((shardServer) => shardServer.close()));
    }
  });

  it('after a merge the next fan-out is planned and sharded again', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: list items
      run: printf '[0, 1, 2, 3]'
  - task:
      name: note each
      id: notes
      agents: [personalities.parker]
      repeat_prompt: true
      user_prompt: "Append note item-{{ result }}"
  - task:
      name: review
      id: reviews
      agents: [personalities.parker]
      models: [alpha, beta, gamma]
      user_prompt: "Append note item-9 after {{ outputs.notes | length }} notes"
  - task:
      name: summarize
      agents: [personalities.plain]
      user_prompt: "Summarize {{ outputs.reviews | tojson }}"
`,
    );
    const baseline = await unshardedRun(
      server,
      sandbox,
      work,
      toolEnvironment(sandbox, 'unsharded.log'),
    );
    const env = toolEnvironment(sandbox, 'sharded.log');
    const id = await plan(env);
    const servers = await shardServers(2);
    try {
      const first = await shardAndMerge(id, servers, env, 'first');
      const notes = branchNames(4, ['fake-model']);
      expect(first).toEqual([twice(shardBranches(notes, 1, 2)), twice(shardBranches(notes, 2, 2))]);

      const replanFrom = modelRequests(server).length;
      const replanned = await runToEnd(
        server,
        sandbox,
        ['resume', id, '--until-fanout', '--output', 'jsonl'],
        { cwd: work, env },
      );
      expect(replanned.code, replanned.stderr).toBe(0);
      expect(endEvent(replanned)).toMatchObject({ status: 'planned', sessionId: id });
      expect(requestsSince(server, replanFrom)).toEqual([]);

      const second = await shardAndMerge(id, servers, env, 'second');
      const reviews = branchNames(1, ['alpha', 'beta', 'gamma']).map((name) =>
        name.replace(/^0@/, '9@'),
      );
      expect(second).toEqual([
        twice(shardBranches(reviews, 1, 2)),
        twice(shardBranches(reviews, 2, 2)),
      ]);
      const final = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
        cwd: work,
        env,
      });
      expect(final.code, final.stderr).toBe(0);
      expect(outcomeOf(sessionsRoot(sandbox), id)).toEqual(baseline);
      expect(logLines(env.PARKED_LOG ?? '')).toHaveLength(notes.length + reviews.length);
    } finally {
      await Promise.all(servers.map((shardServer) => shardServer.close()));
    }
  });
});
