import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolResultsOf, type FakeReply, type RecordedRequest } from '../fakes/fake-model-server.js';
import {
  endEvent,
  logLines,
  noteBranches,
  noteFlow,
  noteModel,
  requestsSince,
} from './shard-kit.js';
import {
  crash,
  itemOf,
  journalOf,
  modelRequests,
  runToEnd,
  useSessionsWorkspace,
  waitFor,
  writeFlow,
  type RunningCli,
} from './sessions-kit.js';
import {
  finish,
  itemEnds,
  killWorkers,
  startCoordinator,
  startWorker,
  stopWorkers,
  useRedis,
  workerHosts,
} from './queue-kit.js';

/**
 * A worker or the coordinator killed mid-run loses nothing: another worker continues a
 * branch from its last committed turn, and `resume --queue` adopts what workers did while
 * the coordinator was gone.
 */

const workspace = useSessionsWorkspace({ handler: noteModel });
const redis = useRedis();

/** How many times each branch was started, from the workers' job lines. */
function startsPerBranch(workers: readonly RunningCli[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const worker of workers) {
    for (const match of worker.stdoutSoFar().matchAll(/task (\d+) branch (\d+): started/g)) {
      const key = `${match[1]}.${match[2]}`;
      starts.set(key, (starts.get(key) ?? 0) + 1);
    }
  }
  return starts;
}

describe('queue runs that lose a process', { timeout: 180_000 }, () => {
  it('a SIGKILLed worker’s branch is finished by another from its last committed turn', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(4));
    const log = path.join(sandbox, 'notes.log');
    const env = { PARKED_LOG: log, PARKED_FLAG: path.join(sandbox, 'no-flag') };
    const queue = await redis();
    const [firstHost, secondHost] = workerHosts(sandbox, work, 2);
    const workers: RunningCli[] = [];
    // Item 2's answer after its tool call never comes while the first worker lives.
    let stalled = false;
    let firstAlive = true;
    server.setHandler((request: RecordedRequest): FakeReply => {
      if (firstAlive && itemOf(request) === 2 && toolResultsOf(request).length > 0) {
        stalled = true;
        return { kind: 'stall' };
      }
      return noteModel(request);
    });
    try {
      workers.push(await startWorker(server, sandbox, firstHost!, queue.url, { env }));
      const { running: coordinator, id } = await startCoordinator(
        server,
        sandbox,
        ['run', 'flow.yaml', '--queue', queue.url, '--output', 'jsonl'],
        { cwd: work, env },
      );
      await waitFor('items 0, 1, 3 to end and item 2 to stall', () => {
        return stalled && itemEnds(sandbox, id, 1) === 3;
      });
      // Item 2's tool call ran and its result is journaled (it came through Redis).
      await waitFor('item 2’s tool result to be journaled', () =>
        journalOf(sandbox, id).some(
          (line) => line.type === 'tool-result' && line.task === 1 && line.item === 2,
        ),
      );
      const before = modelRequests(server).length;
      await crash(workers[0]!);
      firstAlive = false;
      workers.push(await startWorker(server, sandbox, secondHost!, queue.url, { env }));
      const run = await finish(coordinator, workers, 60_000);
      expect(run.code, run.stderr).toBe(0);
      expect(endEvent(run)?.status).toBe('succeeded');
      // The recorded tool call never ran again: one note per item.
      expect(logLines(log).sort()).toEqual(
        [0, 1, 2, 3].map((item) => `append_note item-${item}@fake-model`),
      );
      // Only item 2's missing answer was asked for, with its tool result, then the summary.
      const again = requestsSince(server, before);
      expect(noteBranches(again)).toEqual(['2@fake-model']);
      const continued = again.find((request) => itemOf(request) === 2);
      expect(toolResultsOf(continued!)).toHaveLength(1);
      expect(workers[1]!.stdoutSoFar()).toMatch(/task 2 branch 2: succeeded/);
      expect(await stopWorkers([workers[1]!])).toEqual([0]);
    } finally {
      await killWorkers(workers);
    }
  });

  it('a SIGKILLed coordinator is continued by resume --queue, which re-enqueues no finished branch', async () => {
    const { server, sandbox, work } = workspace;
    const count = 20;
    writeFlow(work, 'flow', noteFlow(count));
    const log = path.join(sandbox, 'notes.log');
    const env = { PARKED_LOG: log, PARKED_FLAG: path.join(sandbox, 'no-flag') };
    const queue = await redis();
    // Slow answers, so the workers are mid-fan-out when the coordinator dies.
    server.setHandler((request) => ({ ...noteModel(request), latencyMs: 150 }) as FakeReply);
    const workers: RunningCli[] = [];
    try {
      for (const host of workerHosts(sandbox, work, 2)) {
        workers.push(await startWorker(server, sandbox, host, queue.url, { env, concurrency: 2 }));
      }
      const { running: coordinator, id } = await startCoordinator(
        server,
        sandbox,
        ['run', 'flow.yaml', '--queue', queue.url, '--output', 'plain'],
        { cwd: work, env },
      );
      await waitFor('4 branches to end', () => itemEnds(sandbox, id, 1) >= 4);
      await crash(coordinator);
      const journaledAtCrash = itemEnds(sandbox, id, 1);
      // The workers go on meanwhile: let a few more branches end while nobody copies them.
      await waitFor('more branches to run', () => logLines(log).length >= journaledAtCrash + 2);
      const resumed = await runToEnd(
        server,
        sandbox,
        ['resume', id, '--queue', queue.url, '--output', 'jsonl'],
        { cwd: work, env, timeoutMs: 120_000 },
      );
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(endEvent(resumed)?.status).toBe('succeeded');
      // Every branch ran once, on one worker, once: none was enqueued again after it ended.
      const starts = startsPerBranch(workers);
      expect(starts.size).toBe(count);
      expect([...starts.values()].every((times) => times === 1)).toBe(true);
      expect(logLines(log)).toHaveLength(count);
      expect(new Set(logLines(log)).size).toBe(count);
      expect(noteBranches(modelRequests(server))).toHaveLength(2 * count);
      expect(itemEnds(sandbox, id, 1)).toBe(count);
      expect(fs.existsSync(path.join(sandbox, 'sessions', id, 'journal.jsonl'))).toBe(true);
      expect(await stopWorkers(workers)).toEqual([0, 0]);
    } finally {
      await killWorkers(workers);
    }
  });
});
