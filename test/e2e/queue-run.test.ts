import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  endEvent,
  logLines,
  noteBranches,
  noteFlow,
  noteModel,
  outcomeOf,
  requestsSince,
  unshardedRun,
} from './shard-kit.js';
import {
  modelRequests,
  onlySession,
  runToEnd,
  sessionsRoot,
  useSessionsWorkspace,
  writeFlow,
} from './sessions-kit.js';
import { killWorkers, startWorker, stopWorkers, useRedis, workerHosts } from './queue-kit.js';
import type { RunningCli } from './sessions-kit.js';

/**
 * A run with --queue hands its fan-out to `taskflow worker`s on other "machines" (their
 * own working and session folders) through a real redis-server, and ends as a local run.
 */

const workspace = useSessionsWorkspace({ handler: noteModel });
const redis = useRedis();

describe('run --queue with workers', { timeout: 180_000 }, () => {
  it('3 workers run a 100-item fan-out: results as a local run, every side effect and request once', async () => {
    const { server, sandbox, work } = workspace;
    const count = 100;
    writeFlow(work, 'flow', noteFlow(count));
    const localLog = path.join(sandbox, 'local.log');
    const local = await unshardedRun(server, sandbox, work, {
      PARKED_LOG: localLog,
      PARKED_FLAG: path.join(sandbox, 'no-flag'),
    });
    const before = modelRequests(server).length;
    const queue = await redis();
    const log = path.join(sandbox, 'notes.log');
    const env = { PARKED_LOG: log, PARKED_FLAG: path.join(sandbox, 'no-flag') };
    const workers: RunningCli[] = [];
    try {
      for (const host of workerHosts(sandbox, work, 3)) {
        workers.push(await startWorker(server, sandbox, host, queue.url, { env }));
      }
      const run = await runToEnd(
        server,
        sandbox,
        ['run', 'flow.yaml', '--queue', queue.url, '--output', 'jsonl'],
        { cwd: work, env, timeoutMs: 120_000 },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(endEvent(run)?.status).toBe('succeeded');
      const id = onlySession(sandbox);
      const queued = outcomeOf(sessionsRoot(sandbox), id);
      expect(queued.results).toEqual(local.results);
      expect(queued.outputs).toEqual(local.outputs);
      // Every side effect once: one note per branch, none twice.
      const notes = logLines(log);
      expect(notes).toHaveLength(count);
      expect(new Set(notes).size).toBe(count);
      // Every model request once: two per branch (the tool call, the answer), one summary.
      const requests = requestsSince(server, before);
      const branches = noteBranches(requests);
      expect(branches).toHaveLength(2 * count);
      expect(new Set(branches).size).toBe(count);
      // The work was shared: every worker ran some branches.
      for (const worker of workers) expect(worker.stdoutSoFar()).toMatch(/succeeded/);
      expect(await stopWorkers(workers)).toEqual([0, 0, 0]);
    } finally {
      await killWorkers(workers);
    }
  });
});
