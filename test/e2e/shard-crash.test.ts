import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolResultsOf, type FakeModelServer } from '../fakes/fake-model-server.js';
import {
  branchNames,
  copySessions,
  endEvent,
  logLines,
  noteBranches,
  noteFlow,
  noteModel,
  requestsSince,
  shardBranches,
  shardServers,
} from './shard-kit.js';
import {
  crash,
  isSummary,
  itemOf,
  modelRequests,
  onlySession,
  runToEnd,
  startCli,
  useSessionsWorkspace,
  waitFor,
  writeFlow,
} from './sessions-kit.js';

/**
 * A shard killed mid-branch and resumed from its own copy redoes nothing; a shard that never
 * ran is finished by the resume after the merge, which then requests only its branches.
 */

const workspace = useSessionsWorkspace({ handler: noteModel });

/** item-end records in a session folder's journal. */
function itemEnds(sessionFolder: string): number {
  const file = path.join(sessionFolder, 'journal.jsonl');
  if (!fs.existsSync(file)) return 0;
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"type":"item-end"')).length;
}

describe('shards that crash or never run', { timeout: 120_000 }, () => {
  it('a SIGKILLed shard resumes from its copy without redoing work; the final resume runs only the missing shard', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(9));
    const log = path.join(sandbox, 'notes.log');
    const env = { PARKED_LOG: log, PARKED_FLAG: path.join(sandbox, 'no-flag') };
    const planned = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--until-fanout'], {
      cwd: work,
      env,
    });
    expect(planned.code, planned.stderr).toBe(0);
    const id = onlySession(sandbox);
    const copies = [1, 2].map((shard) => copySessions(sandbox, `shard-${shard}`));
    const [first, second] = (await shardServers(2)) as [FakeModelServer, FakeModelServer];
    try {
      // Shard 1/3 (items 0, 3, 6): item 3's answer after its tool call never comes.
      let stalled = false;
      first.setHandler((request) => {
        if (itemOf(request) === 3 && toolResultsOf(request).length > 0) {
          stalled = true;
          return { kind: 'stall' };
        }
        return noteModel(request);
      });
      const shardArgs = ['resume', id, '--shard', '1/3', '--session-dir', copies[0] ?? ''];
      const running = startCli(first, sandbox, [...shardArgs, '--output', 'plain'], {
        cwd: work,
        env,
      });
      await waitFor(
        'items 0 and 6 to finish and item 3 to stall',
        () => stalled && itemEnds(path.join(copies[0] ?? '', id)) === 2,
      );
      await crash(running);
      expect(logLines(log).sort()).toEqual([
        'append_note item-0@fake-model',
        'append_note item-3@fake-model',
        'append_note item-6@fake-model',
      ]);

      first.setHandler(noteModel);
      const before = modelRequests(first).length;
      const resumed = await runToEnd(first, sandbox, [...shardArgs, '--output', 'jsonl'], {
        cwd: work,
        env,
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(endEvent(resumed)).toMatchObject({ status: 'sharded', exitCode: 0 });
      // Only the answer that never came is asked again; no tool call is made again.
      const again = requestsSince(first, before);
      expect(again.map(itemOf)).toEqual([3]);
      expect(toolResultsOf(again[0] ?? ({} as never))).toHaveLength(1);
      expect(logLines(log)).toHaveLength(3);

      const secondShard = await runToEnd(
        second,
        sandbox,
        ['resume', id, '--shard', '2/3', '--session-dir', copies[1] ?? ''],
        { cwd: work, env },
      );
      expect(secondShard.code, secondShard.stderr).toBe(0);

      // Shard 3/3 never ran: merge the two copies, then the resume runs items 2, 5 and 8.
      const merged = await runToEnd(server, sandbox, ['merge', id, '--from', ...copies], {
        cwd: work,
      });
      expect(merged.code, merged.stderr).toBe(0);
      const finalFrom = modelRequests(server).length;
      const final = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
        cwd: work,
        env,
      });
      expect(final.code, final.stderr).toBe(0);
      const finalRequests = requestsSince(server, finalFrom);
      const names = branchNames(9, ['fake-model']);
      expect(noteBranches(finalRequests)).toEqual(
        shardBranches(names, 3, 3)
          .flatMap((name) => [name, name])
          .sort(),
      );
      expect(finalRequests.filter(isSummary)).toHaveLength(1);
      expect(logLines(log).sort()).toEqual(names.map((name) => `append_note item-${name}`).sort());
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
