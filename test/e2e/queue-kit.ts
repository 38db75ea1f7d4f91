import fs from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import { startRedisServer, type RedisServer } from '../fakes/redis-server.js';
import {
  crash,
  journalOf,
  onlySession,
  startCli,
  waitFor,
  type RunningCli,
} from './sessions-kit.js';

/** Shared by the queue e2e tests: a redis-server per test, workers in their own folders. */

/** Starts a redis-server for the current test; stopped after it. */
export function useRedis(): () => Promise<RedisServer> {
  const started: RedisServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.stop()));
  });
  return async () => {
    const server = await startRedisServer();
    started.push(server);
    return server;
  };
}

/** A worker's machine: its own copy of the work folder and its own session folder. */
export interface WorkerHost {
  readonly name: string;
  readonly work: string;
  readonly sessions: string;
}

export function workerHosts(sandbox: string, work: string, count: number): WorkerHost[] {
  return Array.from({ length: count }, (_, index) => {
    const name = `worker-${index + 1}`;
    const host = path.join(sandbox, name);
    fs.cpSync(work, path.join(host, 'work'), { recursive: true });
    return { name, work: path.join(host, 'work'), sessions: path.join(host, 'sessions') };
  });
}

/** Starts `taskflow worker` on `host`; waits until it takes jobs. */
export async function startWorker(
  server: FakeModelServer,
  sandbox: string,
  host: WorkerHost,
  queueUrl: string,
  options: { env?: Record<string, string>; concurrency?: number; lockTimeout?: string } = {},
): Promise<RunningCli> {
  const running = startCli(
    server,
    sandbox,
    [
      'worker',
      '--queue',
      queueUrl,
      '--session-dir',
      host.sessions,
      '--concurrency',
      String(options.concurrency ?? 10),
      '--lock-timeout',
      options.lockTimeout ?? '2s',
    ],
    { cwd: host.work, ...(options.env && { env: options.env }) },
  );
  await waitFor(
    `${host.name} to start`,
    () => running.stdoutSoFar().includes('takes branches') || running.child.exitCode !== null,
  );
  if (running.child.exitCode !== null) {
    throw new Error(`${host.name} exited ${running.child.exitCode}: ${running.stderrSoFar()}`);
  }
  return running;
}

/** Stops workers as an operator would (SIGTERM); they exit 0. */
export async function stopWorkers(workers: readonly RunningCli[]): Promise<number[]> {
  return Promise.all(
    workers.map(async (worker) => {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
        return (await worker.done).code ?? -1;
      }
      worker.child.kill('SIGTERM');
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), 20_000);
      try {
        return (await worker.done).code ?? -1;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** Kills every worker still running (a failed test's clean-up). */
export async function killWorkers(workers: readonly RunningCli[]): Promise<void> {
  await Promise.all(
    workers
      .filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null)
      .map((worker) => crash(worker)),
  );
}

/**
 * The result of a CLI already started, bounded: on a hang it is killed and the error
 * carries its output and the workers' (what each process was doing).
 */
export async function finish(
  running: RunningCli,
  workers: readonly RunningCli[],
  timeoutMs = 90_000,
): Promise<Awaited<RunningCli['done']>> {
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
  try {
    const result = await running.done;
    if (result.signal !== 'SIGKILL') return result;
    const outputs = workers.map(
      (worker, index) =>
        `--- worker ${index + 1}\n${worker.stdoutSoFar()}\n${worker.stderrSoFar()}`,
    );
    throw new Error(
      `the coordinator hung\n${result.stdout}\n${result.stderr}\n${outputs.join('\n')}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a coordinator (`taskflow <args>`) and waits until its session exists; returns its id. */
export async function startCoordinator(
  server: FakeModelServer,
  sandbox: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ running: RunningCli; id: string }> {
  const running = startCli(server, sandbox, args, options);
  await waitFor('the session to start', () => {
    try {
      return onlySession(sandbox) !== '';
    } catch {
      return false;
    }
  });
  return { running, id: onlySession(sandbox) };
}

/** item-end records journaled so far for task `task` (0-based) of session `id`. */
export function itemEnds(sandbox: string, id: string, task: number): number {
  return journalOf(sandbox, id).filter((line) => line.type === 'item-end' && line.task === task)
    .length;
}
