import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { FakeReply } from '../fakes/fake-model-server.js';
import { endEvent, logLines, noteFlow, noteModel } from './shard-kit.js';
import {
  manifestOf,
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

/** A queue that cannot be reached, is lost mid-run, or a worker whose files differ. */

const workspace = useSessionsWorkspace({ handler: noteModel });
const redis = useRedis();

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('queue failures', { timeout: 180_000 }, () => {
  it('an unreachable queue is exit 78 naming the URL (no session is left), for run and worker', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(2));
    const url = `redis://:hunter2secret@127.0.0.1:${await closedPort()}`;
    const run = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--queue', url], {
      cwd: work,
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/cannot reach the queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(run.stderr).not.toContain('hunter2secret');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(sandbox, 'sessions'))).toBe(false);
    const worker = await runToEnd(server, sandbox, ['worker'], {
      cwd: work,
      env: { TASKFLOW_QUEUE: url },
    });
    expect(worker.code).toBe(78);
    expect(worker.stderr).toMatch(/cannot reach the queue at redis:\/\/:\*\*\*@/);
  });

  it('bad queue flags are usage errors (exit 2), one line each', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(2));
    const cases: [string[], RegExp][] = [
      [['run', 'flow.yaml', '--queue', 'http://x'], /--queue http:\/\/x: /],
      [
        ['run', 'flow.yaml', '--queue', 'redis://h', '--until-fanout'],
        /cannot be combined with --until-fanout/,
      ],
      [['worker', '--queue', 'redis://h', '--lock-timeout', '10ms'], /--lock-timeout 10ms/],
      [['worker'], /worker needs the queue/],
    ];
    for (const [args, message] of cases) {
      const result = await runToEnd(server, sandbox, args, { cwd: work });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a worker whose files differ refuses, and the run stops with exit 78 naming the files', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(3));
    const env = {
      PARKED_LOG: path.join(sandbox, 'notes.log'),
      PARKED_FLAG: path.join(sandbox, 'no'),
    };
    const queue = await redis();
    const [host] = workerHosts(sandbox, work, 1);
    fs.appendFileSync(path.join(host!.work, 'personalities', 'parker.yaml'), '# edited\n');
    const workers: RunningCli[] = [];
    try {
      workers.push(await startWorker(server, sandbox, host!, queue.url, { env }));
      const { running: coordinator } = await startCoordinator(
        server,
        sandbox,
        ['run', 'flow.yaml', '--queue', queue.url, '--output', 'plain'],
        { cwd: work, env },
      );
      const run = await finish(coordinator, workers, 60_000);
      expect(run.code, run.stderr).toBe(78);
      expect(run.stderr).toContain('personalities/parker.yaml (modified)');
      expect(workers[0]!.stdoutSoFar()).toContain('refuses');
      expect(logLines(env.PARKED_LOG)).toEqual([]);
      expect(await stopWorkers(workers)).toEqual([0]);
    } finally {
      await killWorkers(workers);
    }
  });

  it('a job the workers cannot run fails on the queue: the run stops resumably (75), naming it', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(2));
    const env = {
      PARKED_LOG: path.join(sandbox, 'notes.log'),
      PARKED_FLAG: path.join(sandbox, 'no'),
    };
    const queue = await redis();
    const client = new Redis(queue.port, '127.0.0.1');
    const workers: RunningCli[] = [];
    try {
      // No worker yet: the jobs wait while branch 0's records are damaged behind its back.
      const { running: coordinator, id } = await startCoordinator(
        server,
        sandbox,
        ['run', 'flow.yaml', '--queue', queue.url, '--output', 'plain'],
        { cwd: work, env },
      );
      const job = `bull:taskflow-branches:${id}.1.0`;
      let queued = false;
      await waitFor('branch 0 to be queued', () => {
        void client.exists(job).then((found) => (queued = found === 1));
        return queued;
      });
      await client.rpush(`taskflow:${id}:branch:1:0`, '{"type":"turn-commit"');
      const [host] = workerHosts(sandbox, work, 1);
      workers.push(await startWorker(server, sandbox, host!, queue.url, { env }));
      const run = await finish(coordinator, workers, 60_000);
      expect(run.code, run.stderr).toBe(75);
      expect(run.stderr).toMatch(
        /branch 0 of task 2 failed on the queue: a queued record of branch 0 of task 2 is damaged/,
      );
      expect(itemEnds(sandbox, id, 1)).toBe(1);
      expect(await stopWorkers(workers)).toEqual([0]);
    } finally {
      client.disconnect();
      await killWorkers(workers);
    }
  });

  it('Redis lost mid-run stops the coordinator resumably (75), keeping what it journaled', async () => {
    const { server, sandbox, work } = workspace;
    const count = 12;
    writeFlow(work, 'flow', noteFlow(count));
    const log = path.join(sandbox, 'notes.log');
    const env = { PARKED_LOG: log, PARKED_FLAG: path.join(sandbox, 'no') };
    server.setHandler((request) => ({ ...noteModel(request), latencyMs: 200 }) as FakeReply);
    const first = await redis();
    const workers: RunningCli[] = [];
    try {
      const hosts = workerHosts(sandbox, work, 2);
      workers.push(
        await startWorker(server, sandbox, hosts[0]!, first.url, { env, concurrency: 2 }),
      );
      const { running: coordinator, id } = await startCoordinator(
        server,
        sandbox,
        ['run', 'flow.yaml', '--queue', first.url, '--output', 'jsonl'],
        { cwd: work, env },
      );
      await waitFor('3 branches to end', () => itemEnds(sandbox, id, 1) >= 3);
      await first.kill();
      const stopped = await finish(coordinator, workers, 60_000);
      expect(stopped.code, stopped.stderr).toBe(75);
      expect(stopped.stderr).toMatch(/lost the queue at redis:\/\/127\.0\.0\.1:\d+/);
      expect(endEvent(stopped)?.status).toBe('stopped');
      const kept = itemEnds(sandbox, id, 1);
      expect(kept).toBeGreaterThanOrEqual(3);
      expect(manifestOf(sandbox, id).status).toBe('stopped');
      await killWorkers(workers);
      // A new, empty Redis: the journal is the truth, the rest is run again.
      const second = await redis();
      workers.push(
        await startWorker(server, sandbox, hosts[1]!, second.url, { env, concurrency: 4 }),
      );
      const resumed = await runToEnd(
        server,
        sandbox,
        ['resume', id, '--queue', second.url, '--output', 'jsonl'],
        { cwd: work, env, timeoutMs: 90_000 },
      );
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(itemEnds(sandbox, id, 1)).toBe(count);
      expect(endEvent(resumed)?.status).toBe('succeeded');
    } finally {
      await killWorkers(workers);
    }
  });
});
