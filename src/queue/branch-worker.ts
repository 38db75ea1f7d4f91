import os from 'node:os';
import path from 'node:path';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { NUDGE_MESSAGE } from '../agent/run-agent.js';
import type { DefinitionLoader } from '../definitions/definition-loader.js';
import { loadTaskflow, type LoadedTaskflow } from '../definitions/load-taskflow.js';
import { isRunStopping } from '../engine/run-prompt-task.js';
import type { RunDependencies } from '../engine/run-types.js';
import { errorMessage, isTaskflowError, TaskflowError } from '../errors.js';
import { SessionRecorder } from '../sessions/session-recorder.js';
import { parseBranchJob, type BranchJobData, type BranchNotice } from './branch-job.js';
import { parseQueuedRecord } from './branch-records.js';
import { loadBullmq } from './load-libraries.js';
import {
  differingFiles,
  parseFanOutContext,
  portableFiles,
  type FanOutContext,
} from './fan-out-context.js';
import {
  BRANCH_QUEUE,
  branchRecordsKey,
  fanOutContextKey,
  QUEUE_STATE_TTL_SECONDS,
  sessionStreamKey,
} from './queue-keys.js';
import { RemoteBranchSession } from './remote-branch-session.js';
import { settleWithin } from '../toolbox/settle-within.js';
import { WorkerTask } from './worker-task.js';

/** How long stopping waits for running branches to hand their jobs back. */
const CLOSE_MS = 15_000;

/** The same queue error is said again only after this long. */
const REPEAT_ERROR_MS = 30_000;

/** How long a task's toolboxes stay up after this worker's last branch of it. */
const TASK_IDLE_MS = 10_000;

export interface BranchWorkerOptions {
  /** BullMQ/ioredis connection options (from the `--queue` URL). */
  readonly connection: Record<string, unknown>;
  /** A connection of its own for records and contexts. */
  readonly redis: Redis;
  readonly concurrency: number;
  /** A job's lock: a dead worker's job is taken over within about twice this. */
  readonly lockMs: number;
  /** Where the toolboxes of a session keep state here (`<stateRoot>/<session>/state`). */
  readonly stateRoot: string;
  readonly workingDirectory: string;
  /** Makes a definition loader for `-p` search roots (relative to the working directory). */
  readonly createLoader: (searchPaths: readonly string[]) => DefinitionLoader;
  /**
   * The dependencies of a session's runs here, for its loaded taskflow (model clients,
   * pacing shared through Redis, this worker's environment and output).
   */
  readonly dependencies: (
    loaded: LoadedTaskflow,
    context: FanOutContext,
    stateDir: string,
  ) => RunDependencies;
  readonly redact: <T>(value: T) => T;
  /** One line per job start and end, and per refusal. */
  readonly say: (line: string) => void;
  /** Aborted when the worker stops: running branches go back to the queue. */
  readonly signal: AbortSignal;
}

/**
 * `taskflow worker`: takes branch jobs from the queue and runs them with the same agent
 * loop as a local run. Each turn and tool result reaches Redis before the next step, so a
 * job taken over from a dead worker continues from its last committed turn.
 */
export class BranchWorker {
  readonly #options: BranchWorkerOptions;
  readonly #tasks = new Map<string, Promise<WorkerTask>>();
  readonly #idleTimers = new Map<string, NodeJS.Timeout>();
  readonly #flows = new Map<string, { loaded: LoadedTaskflow; files: Record<string, string> }>();
  #worker: Worker | undefined;

  constructor(options: BranchWorkerOptions) {
    this.#options = options;
  }

  /** Starts taking jobs; resolves once connected. */
  async start(): Promise<void> {
    const { Worker } = await loadBullmq();
    const options = this.#options;
    this.#worker = new Worker(BRANCH_QUEUE, (job, token) => this.#process(job, token), {
      connection: { ...options.connection, maxRetriesPerRequest: null },
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      // A stall is a dead or frozen worker, never the job's fault: it is always taken over.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      // Kept until the coordinator has the branch's end (then it removes the job): while a
      // finished job holds its id, enqueueing the branch again is a no-op.
      removeOnComplete: { age: QUEUE_STATE_TTL_SECONDS },
      removeOnFail: { count: 1000 },
      autorun: false,
    });
    // Redis away: BullMQ reconnects and says so on every attempt; say it once in a while.
    let said = { message: '', at: 0 };
    this.#worker.on('error', (error) => {
      const message = `queue error: ${errorMessage(error)}`;
      if (message === said.message && Date.now() - said.at < REPEAT_ERROR_MS) return;
      said = { message, at: Date.now() };
      options.say(message);
    });
    void this.#worker.run();
    await this.#worker.waitUntilReady();
  }

  /** Stops taking jobs, lets running branches hand theirs back, closes the toolboxes. */
  async close(): Promise<void> {
    const worker = this.#worker;
    // Running branches were aborted and hand their jobs back; with Redis gone that cannot
    // finish, so the wait is bounded (the jobs are then taken over after their lock).
    if (worker && !(await settleWithin(worker.close(), CLOSE_MS))) await worker.close(true);
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
    const tasks = [...this.#tasks.values()];
    this.#tasks.clear();
    await Promise.allSettled(tasks.map(async (task) => (await task).close()));
  }

  async #process(job: Job, token: string | undefined): Promise<string> {
    const jobId = job.id ?? '?';
    const data = parseBranchJob(job.data, jobId);
    const { sessionId, taskIndex, branch } = data;
    const where = `session ${sessionId} task ${taskIndex + 1} branch ${branch.index}`;
    let task: WorkerTask;
    try {
      task = await this.#task(sessionId, taskIndex);
    } catch (error) {
      const message = `worker ${os.hostname()} refuses ${where}: ${errorMessage(error)}`;
      this.#options.say(message);
      await this.#notify(data, { kind: 'refused', message });
      const { UnrecoverableError } = await loadBullmq();
      throw new UnrecoverableError(message);
    }
    const key = `${sessionId}.${taskIndex}`;
    clearTimeout(this.#idleTimers.get(key));
    this.#options.say(`${where}: started`);
    const texts = await this.#options.redis.lrange(
      branchRecordsKey(sessionId, taskIndex, branch.index),
      0,
      -1,
    );
    const remote = new RemoteBranchSession(
      this.#options.redis,
      { sessionId, taskIndex, ordinal: branch.index, jobId, token: token ?? '' },
      texts.map((text) => parseQueuedRecord(text, taskIndex, branch.index)),
    );
    const recorder = new SessionRecorder(remote, {
      redact: this.#options.redact,
      nudgeMessage: NUDGE_MESSAGE,
    });
    try {
      const outcome = await task.runBranch(branch, recorder, this.#options.signal);
      if (!outcome.reused) {
        recorder.itemEnd(taskIndex, branch.index, { status: 'succeeded', result: outcome.result });
      }
      await remote.journal.durable();
      this.#options.say(`${where}: succeeded`);
      return 'ended';
    } catch (error) {
      if (remote.failure) throw remote.failure;
      if (this.#options.signal.aborted) {
        // Stopping: the branch goes back to the queue and continues from its last turn.
        const { WaitingError } = await loadBullmq();
        await job.moveToWait(token);
        this.#options.say(`${where}: handed back`);
        throw new WaitingError();
      }
      if (isRunStopping(error)) {
        const code = isTaskflowError(error) ? error.code : 'internal';
        this.#options.say(`${where}: stops the run: ${errorMessage(error)}`);
        await remote.journal.durable().catch(() => undefined);
        await this.#notify(data, { kind: 'stop', code, message: errorMessage(error) });
        return 'stopped';
      }
      recorder.itemEnd(taskIndex, branch.index, {
        status: 'failed',
        error: error instanceof Error ? error : new Error(String(error)),
      });
      await remote.journal.durable();
      this.#options.say(`${where}: failed: ${errorMessage(error)}`);
      return 'ended';
    } finally {
      this.#whenIdle(key);
    }
  }

  /** The task of a session as this worker runs it (loaded and checked once). */
  #task(sessionId: string, taskIndex: number): Promise<WorkerTask> {
    const key = `${sessionId}.${taskIndex}`;
    let task = this.#tasks.get(key);
    if (!task) {
      task = this.#openTask(sessionId, taskIndex);
      this.#tasks.set(key, task);
      // A refusal is not kept: the files may be fixed before the next job.
      task.catch(() => this.#tasks.delete(key));
    }
    return task;
  }

  async #openTask(sessionId: string, taskIndex: number): Promise<WorkerTask> {
    const text = await this.#options.redis.get(fanOutContextKey(sessionId, taskIndex));
    if (text === null) {
      throw new TaskflowError(
        'session',
        `the queue holds no context for it (expired, or the coordinator's Redis was reset)`,
      );
    }
    const context = parseFanOutContext(text, `session ${sessionId} task ${taskIndex + 1}`);
    const loaded = this.#flow(context);
    const stateDir = path.join(this.#options.stateRoot, sessionId, 'state');
    return new WorkerTask(loaded, context, this.#options.dependencies(loaded, context, stateDir));
  }

  /** The taskflow of `context` as loaded here; refuses when its files differ from the run's. */
  #flow(context: FanOutContext): LoadedTaskflow {
    const { reference, searchPaths, modelConfig } = context.taskflow;
    const key = JSON.stringify([reference, searchPaths, modelConfig ?? null]);
    let flow = this.#flows.get(key);
    if (!flow || differingFiles(context.files, flow.files).length > 0) {
      const loader = this.#options.createLoader(searchPaths);
      const loaded = loadTaskflow(loader, reference, {
        ...(modelConfig !== undefined && { modelConfigOverride: modelConfig }),
        // The run's globals were checked by the coordinator; here they are only read.
        globalFlags: Object.keys(context.globals),
        strict: false,
      });
      flow = { loaded, files: portableFiles(loaded.files, this.#options.workingDirectory) };
      this.#flows.set(key, flow);
    }
    const differ = differingFiles(context.files, flow.files);
    if (differ.length > 0) {
      throw new TaskflowError(
        'config',
        `its files differ from the session's: ${differ.slice(0, 5).join(', ')}${differ.length > 5 ? `, and ${differ.length - 5} more` : ''}`,
      );
    }
    return flow.loaded;
  }

  async #notify(data: BranchJobData, notice: BranchNotice): Promise<void> {
    const stream = sessionStreamKey(data.sessionId);
    const fields = Object.entries(notice).flat();
    await this.#options.redis
      .multi()
      .xadd(stream, '*', 'branch', `${data.taskIndex}.${data.branch.index}`, ...fields)
      .expire(stream, QUEUE_STATE_TTL_SECONDS)
      .exec();
  }

  #whenIdle(key: string): void {
    void this.#tasks.get(key)?.then(
      (task) => {
        if (task.active > 0) return;
        clearTimeout(this.#idleTimers.get(key));
        const timer = setTimeout(() => {
          this.#idleTimers.delete(key);
          if (task.active > 0) return;
          this.#tasks.delete(key);
          void task.close();
        }, TASK_IDLE_MS);
        timer.unref();
        this.#idleTimers.set(key, timer);
      },
      () => undefined,
    );
  }
}
